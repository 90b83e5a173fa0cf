"""A command in a pod's container through the API server, with its exit status."""
from __future__ import annotations

from dataclasses import dataclass

from dockyard.errors import WaitTimedOut


@dataclass
class ExecResult:
    exit_code: int | None      # None: the command did not start (see message)
    stdout: str
    stderr: str
    message: str = ""


def parse_exec_status(text: str) -> tuple[int | None, str]:
    """The exit code from the exec's status channel (channel 3), and its message."""
    import yaml
    if not text:
        return None, "no status from the API server"
    status = yaml.safe_load(text) or {}
    if status.get("status") == "Success":
        return 0, ""
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause["message"]), status.get("message", "")
    return None, status.get("message", "")


def exec_in_pod(core, namespace: str, pod: str, command: list[str], container: str | None = None,
                timeout: float = 30) -> ExecResult:
    """`kubectl exec pod -- command` through the client's stream API, exit code included."""
    from kubernetes.stream import stream
    from kubernetes.stream.ws_client import ERROR_CHANNEL
    resp = stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=command,
                  container=container, stdout=True, stderr=True, stdin=False, tty=False,
                  _preload_content=False)
    try:
        resp.run_forever(timeout=timeout)
        if resp.is_open():
            raise WaitTimedOut(f"`{' '.join(command)}` in {pod} still ran after {timeout:.0f}s",
                               "give it a shorter task, or a longer timeout=")
        stdout, stderr = resp.read_stdout(timeout=0) or "", resp.read_stderr(timeout=0) or ""
        code, message = parse_exec_status(resp.read_channel(ERROR_CHANNEL, timeout=0))
    finally:
        resp.close()
    return ExecResult(code, stdout, stderr, message)

"""Info and exec: exit codes, logs, files read with exec, a container's environment (lab 7)."""
from __future__ import annotations

from dockyard.errors import DockyardError
from dockyard.labs.checks.docker import _container, container_state_words
from dockyard.labs.checks.words import _clip, short_error
from dockyard.labs.lab import Verdict, missing, passed
from dockyard.waits import wait_until


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# A variable the learner has not set yet: `globals().get("TOKEN", check.UNSET)`.
UNSET = _Unset()
_STATUS_WORDS = {"created", "running", "paused", "restarting", "removing", "exited", "dead"}


def exit_code_problem(variable: str, value, code: int, name: str) -> str | None:
    """What is wrong with the exit code the learner recorded in `variable`, or None. Never says the code."""
    where = "its state (.attrs['State']['ExitCode'])"
    if value is UNSET:
        return f"{variable} is not set yet: read the exit code of `{name}` from {where}, and store it in {variable}"
    if isinstance(value, dict) and "StatusCode" in value:
        return f"{variable} is the dict .wait() returns: the exit code is its 'StatusCode'"
    if isinstance(value, str):
        if value.strip().lower() in _STATUS_WORDS:
            return (f"{variable} is {value!r}, the container's status, not its exit code: the exit code is a "
                    f"number, in {where}")
        return f"{variable} is the text {value!r}, not a number: store the code itself, from {where}"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{variable} is {type(value).__name__} {_clip(repr(value), 60)}, not a number: read it from {where}"
    if value == code:
        return None
    if value == 0:
        return (f"{variable} is 0, but 0 means a program ended well, and `{name}` failed: read the code of its own "
                f"last exit, from {where}")
    return (f"{variable} is {value}, which is not the code `{name}` last exited with: read it from {where} "
            "instead of guessing")


def exit_code_recorded(client, name: str, variable: str, value) -> Verdict:
    """`value` is the code container `name` last exited with, as the engine has it."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    if container.status == "running":   # a (re)started container has no last exit code any more
        return missing(f"container `{name}` is running again, so it has no exit code to compare with: wait until "
                       "it has ended")
    problem = exit_code_problem(variable, value, container.attrs["State"]["ExitCode"], name)
    return missing(problem) if problem else passed()


def logged_path_problem(variable: str, value, path: str, name: str) -> str | None:
    """What is wrong with the file path the learner copied from a log into `variable`, or None."""
    if value is UNSET:
        return (f"{variable} is not set yet: the log of `{name}` says which file it could not find; store that "
                f"path in {variable}")
    if isinstance(value, bytes):
        return f"{variable} is bytes: decode them to text (.decode()), and keep only the path"
    if not isinstance(value, str):
        return f"{variable} is {type(value).__name__}, not text: store the path as a string"
    text = value.strip()
    if text == path:
        return None
    if path in text:
        what = "the whole log" if "\n" in text else "a whole line of the log"
        return (f"{variable} holds more than the path: it is {what} ({len(text)} characters); keep only the "
                "file's path (it starts with /)")
    return f"{variable} is {_clip(text, 60)!r}, but that is not the file the log of `{name}` says is missing"


def logged_path_recorded(client, name: str, variable: str, value, path: str) -> Verdict:
    """`value` is `path`, and the log of container `name` really names it."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    if path not in container.logs().decode(errors="replace"):
        return missing(f"the log of `{name}` does not name {path} any more: `dockyard lab reset` starts the lab again")
    problem = logged_path_problem(variable, value, path, name)
    return missing(problem) if problem else passed()


def file_value_problem(variable: str, value, truth: str, *, path: str, name: str, log: str = "",
                       env: tuple | list = ()) -> str | None:
    """What is wrong with the text the learner read from the file `path` inside `name`, or None.

    Whitespace around it does not count. `log` and `env` (the container's log and its environment
    values) tell the two usual stand-ins apart: the log line that says where the file is, and the
    path itself."""
    if value is UNSET:
        return f"{variable} is not set yet: read the file inside `{name}` (exec), and store its text in {variable}"
    if hasattr(value, "exit_code") and hasattr(value, "output"):
        return (f"{variable} is an ExecResult (the command's exit code and its output): the file's text is its "
                ".output, as bytes: .output.decode().strip()")
    if isinstance(value, bytes):
        return f"{variable} is bytes ({_clip(repr(value), 40)}): decode them to text, .decode().strip()"
    if not isinstance(value, str):
        return f"{variable} is {type(value).__name__}, not text"
    text = value.strip()
    if text == truth:
        return None
    if not text:
        return f"{variable} is empty: read the file inside `{name}`"
    if text == path or text in env:
        return (f"{variable} is {text!r}, the path of the file (its environment says where it is), not what the "
                f"file holds: read the file itself inside `{name}`")
    if text in log:
        return (f"{variable} is {_clip(text, 60)!r}, from the log of `{name}`: the log only says where the token "
                "is, not what it is; read the file itself, with exec_run")
    # the path is not named: finding the file is part of the exercise
    return f"{variable} is {_clip(text, 60)!r}, not what the file holds inside `{name}`"


def file_value_recorded(client, name: str, path: str, variable: str, value) -> Verdict:
    """`value` is what the file `path` holds inside the running container `name`: the check reads it
    there itself, with exec."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    if container.status != "running":
        return missing(f"container `{name}` {container_state_words(container.attrs)}: exec needs a running container")
    result = container.exec_run(["cat", path])
    if result.exit_code != 0:
        return missing(f"there is no {path} inside `{name}` any more "
                       f"({short_error(result.output.decode(errors='replace'))})")
    env = [line.partition("=")[2] for line in container.attrs["Config"].get("Env") or []]
    problem = file_value_problem(variable, value, result.output.decode(errors="replace").strip(), path=path,
                                 name=name, log=container.logs().decode(errors="replace"), env=env)
    return missing(problem) if problem else passed()


def env_of(attrs: dict) -> dict[str, str]:
    """A container's environment (Config.Env, `NAME=value` lines) as a dict."""
    return dict(line.partition("=")[::2] for line in (attrs.get("Config") or {}).get("Env") or [])


def env_problem(name: str, env: dict, variable: str, value: str, restarted: bool = False) -> str | None:
    """What is wrong with `variable` in a container's environment, or None."""
    if env.get(variable) == value:
        return None
    fixed = ("a container's environment is fixed when it is created"
             + (", so starting it again changed nothing" if restarted else "")
             + f": remove it, and run a new `{name}` with {variable} set")
    if variable not in env:
        names = ", ".join(k for k in env if k != "PATH") or "nothing else"
        return f"container `{name}` has no variable {variable} (its environment sets {names}): {fixed}"
    return f"container `{name}` has {variable}={env[variable]!r}, not {value!r}: {fixed}"


def container_env(client, name: str, variable: str, value: str,
                  first_start: tuple[str, str] | None = None) -> Verdict:
    """Container `name` was created with `variable`=`value`. `first_start` is (id, State.StartedAt)
    of the container as the lab left it: the same container started since then was started again."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent
    restarted = (first_start is not None and container.id == first_start[0]
                 and (container.attrs.get("State") or {}).get("StartedAt") != first_start[1])
    problem = env_problem(name, env_of(container.attrs), variable, value, restarted)
    return missing(problem) if problem else passed()


def container_settles(client, name: str, ready: str, command: list[str] | None = None,
                      wait: float = 5) -> Verdict:
    """Container `name` runs and its log says `ready`; it gets `wait` seconds to say so, or to end.
    When it ended, say how and the last line it printed; with `command`, whether it ran another one."""
    container, absent = _container(client, name)
    if absent is not None:
        return absent

    def settled():
        container.reload()
        return container.status != "running" or ready in container.logs().decode(errors="replace")
    try:
        wait_until(settled, timeout=wait, interval=0.3, what=f"{name} to settle")
    except DockyardError:
        pass
    logs = container.logs().decode(errors="replace")
    if container.status == "running" and ready in logs:
        return passed()
    # stdout and stderr reach the log through separate pipes, so their order there is not to be
    # trusted: the last line on stderr is what a failing program had to say
    errors = [line for line in container.logs(stdout=False).decode(errors="replace").splitlines() if line.strip()]
    lines = [line for line in logs.splitlines() if line.strip()]
    said = (f"its last error line is {_clip(errors[-1].strip(), 100)!r}" if errors else
            f"its log ends with {_clip(lines[-1].strip(), 100)!r}" if lines else "it printed nothing")
    ran = container.attrs["Config"].get("Cmd") or []
    other = (f": it ran `{_clip(' '.join(ran), 60)}`, not the command it should run; give it the old container's "
             "command (its .attrs['Config']['Cmd'])" if command is not None and ran != list(command) else "")
    if container.status != "running":
        return missing(f"container `{name}` {container_state_words(container.attrs)}, and {said}{other}")
    return missing(f"container `{name}` runs, but its log never said {ready!r} ({said}){other}")

"""What every notebook calls first: short errors for people, and the labels to put on things.

The teaching calls (client.containers.run, CoreV1Api...) stay in the notebook itself.
"""
from __future__ import annotations

from dockyard import versions
from dockyard.display import ipython_shell
from dockyard.lessons.claims import claim  # noqa: F401  (notebooks import it beside setup)
from dockyard.errors import DockyardError
from dockyard.labels import label_filter, labels  # noqa: F401  (notebooks import them from here)


def lost_engine(value: BaseException) -> str | None:
    """One line when a call failed because the engine went away in the middle; else None."""
    text = str(value)
    signs = ("Connection aborted", "Connection refused", "RemoteDisconnected", "No such file or directory",
             "Max retries exceeded", "connection reset")
    if any(sign in text for sign in signs):
        return ("the Docker engine stopped answering in the middle of this cell → start it again "
                "(`dockyard engine up`, or start Docker Desktop), then run the notebook from the top: "
                "its first cells remove what this run left half-made")
    return None


def _one_line(shell, etype, value, tb, tb_offset=None):
    if isinstance(value, DockyardError):
        print(f"✗ {value}")
        return None
    line = lost_engine(value)
    if line is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    print(f"✗ {line}")
    return None


def setup() -> None:
    """In a notebook, a DockyardError prints one line instead of a traceback (the cell still fails),
    and so does an engine that disappears in the middle of a cell."""
    shell = ipython_shell()
    if shell is None:
        return
    import requests
    shell.set_custom_exc((DockyardError, requests.exceptions.ConnectionError), _one_line)
    from dockyard.kube import given_namespace
    if given_namespace() and presenters_part not in shell.input_transformers_post:
        shell.input_transformers_post.append(presenters_part)


PRESENTERS_PART = "# presenter's part:"


def presenters_part(lines: list[str]) -> list[str]:
    """In a classroom, a cell that starts with `# presenter's part: <what>` needs a cluster
    administrator (the control plane, etcd, cordoning a node): it prints one line instead of running,
    and the notebook goes on. Everywhere else the comment is just a comment."""
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first.startswith(PRESENTERS_PART):
        return lines
    what = first[len(PRESENTERS_PART):].strip()
    return [f"print({'↪ in a classroom this is the presenter’s part (' + what + '): watch the screen'!r})\n"]


def require_engine():
    """The doctor's engine check; stops the notebook with its message when there is no engine."""
    from dockyard.engine import connect
    return connect()


LABEL_KEY = versions.LABEL_KEY


def docker_cli(args: str) -> None:
    """Print the docker CLI command a cell's docker-py call corresponds to (it honours the same
    DOCKER_HOST), as kube.kubectl does for the Kubernetes client."""
    print(f"$ docker {args}")

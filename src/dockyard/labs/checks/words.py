"""Words shared by Docker and Kubernetes: exit codes, signals, runtime errors, commands."""
from __future__ import annotations

import json
import re


_SIGNALS = {137: "SIGKILL", 143: "SIGTERM", 130: "SIGINT"}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def short_error(message: str | None) -> str:
    """The part of a runtime's error a learner can act on.

    'failed to create shim task: OCI runtime create failed: … exec: "sleep 3600": executable file
    not found in $PATH: unknown' → 'exec: "sleep 3600": executable file not found in $PATH'."""
    text = (message or "").strip()
    at = text.find("exec:")
    if at >= 0:
        text = text[at:]
    text = re.sub(r":\s*unknown$", "", text)
    return text if len(text) <= 200 else text[:197] + "..."


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def command_advice(command: list[str] | None, error: str | None) -> str:
    """Advice when a command could not be started because it was written as one string.

    ["echo hello"] asks for a program called `echo hello`; each word is its own string."""
    words = list(command or [])
    if not words or " " not in words[0]:
        return ""
    if not any(s in (error or "") for s in ("executable file not found", "no such file or directory")):
        return ""
    program, _, rest = words[0].strip().partition(" ")
    split = [program, rest.strip()] + words[1:]
    return f" (a command is a list: the program, then each argument, e.g. {json.dumps(split)})"


def exit_words(code: int) -> str:
    """'exit code 137, killed by SIGKILL' for the codes a signal leaves, else 'exit code N'."""
    signal = _SIGNALS.get(code)
    return f"exit code {code}, killed by {signal}" if signal else f"exit code {code}"

"""Errors meant for people: what happened, and the command that fixes it.

Two kinds are told apart, because the caller acts on them differently: a wait whose deadline
passed (the thing may still come; a slow machine), and a command that failed (its output says
why, and is kept whole for whoever reads further than the one line)."""
from __future__ import annotations


class DockyardError(Exception):
    """A failure with a one-line explanation and the next step. The CLI prints just that."""

    def __init__(self, what: str, fix: str = ""):
        super().__init__(what)
        self.what = what
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.what} — {self.fix}" if self.fix else self.what


class WaitTimedOut(DockyardError):
    """The deadline of a wait passed before the real state came about. Nothing said it never will."""


class CommandFailed(DockyardError):
    """A program the kit ran exited with an error. `output` keeps all it printed; the one line
    for people is its last non-empty line."""

    def __init__(self, what: str, fix: str = "", *, command: list[str] | None = None,
                 returncode: int | None = None, output: str = ""):
        super().__init__(what, fix)
        self.command = list(command or [])
        self.returncode = returncode
        self.output = output

    @classmethod
    def of(cls, what: str, proc, fix: str = "") -> "CommandFailed":
        """From a finished subprocess.CompletedProcess: '<what> failed: <its last line>'."""
        output = "".join(part for part in (proc.stdout, proc.stderr) if isinstance(part, str))
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        command = proc.args if isinstance(proc.args, list) else [str(proc.args)]
        return cls(f"{what} failed: {last}", fix, command=command, returncode=proc.returncode, output=output)

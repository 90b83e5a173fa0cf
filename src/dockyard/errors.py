"""Errors meant for people: what happened, and the command that fixes it."""


class DockyardError(Exception):
    """A failure with a one-line explanation and the next step. The CLI prints just that."""

    def __init__(self, what: str, fix: str = ""):
        super().__init__(what)
        self.what = what
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.what} — {self.fix}" if self.fix else self.what

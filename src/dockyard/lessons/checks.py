"""Check cells: assert the real state, and say in plain words what was expected and found."""
from __future__ import annotations


class CheckFailed(AssertionError):
    """A check that did not hold. Its message is the whole explanation."""


def expect(condition: bool, what: str, found: object = None) -> None:
    """✓ `what` when `condition` holds; otherwise fail, saying what was found instead."""
    if condition:
        print(f"✓ {what}")
        return
    detail = f" — found: {found}" if found is not None else ""
    raise CheckFailed(f"✗ expected {what}{detail}")


def expect_equal(actual, expected, what: str) -> None:
    expect(actual == expected, f"{what} is {expected!r}", found=repr(actual))


def expect_in(item, collection, what: str) -> None:
    expect(item in collection, f"{what} contains {item!r}", found=repr(collection))


def expect_between(value: float, low: float, high: float, what: str) -> None:
    expect(low <= value <= high, f"{what} between {low} and {high}", found=value)

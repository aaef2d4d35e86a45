"""What the validation rules of both profiles report, and the path lookups they share (pure).

A ``Problem`` names the user (``user.uid``, or the event's position when the uid itself is
missing) and the field, so a failing check says exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MISSING: Any = object()  # what ``get_path`` returns for an absent field (``None`` is a null)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one event."""

    user: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.user}: {self.field}: {self.message}"


def get_path(event: Any, path: str) -> Any:
    """``a.b.c`` lookup; ``MISSING`` when any step is absent or not an object."""
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def name_of(event: Any, index: int) -> str:
    """How a problem names its event: ``user.uid``, else the event's position."""
    uid = get_path(event, "user.uid")
    return uid if isinstance(uid, str) and uid else f"event #{index}"


def show(value: Any) -> str:
    """A value as a problem message quotes it: ``missing``, or its ``repr``."""
    return "missing" if value is MISSING else repr(value)


def constant_problems(
    event: Mapping[str, Any], name: str, constants: Mapping[str, Any]
) -> list[Problem]:
    """Each of ``constants`` (path -> value) whose value or exact type differs in ``event``."""
    problems = []
    for path, expected in constants.items():
        value = get_path(event, path)
        if value != expected or type(value) is not type(expected):
            problems.append(Problem(name, path, f"is {show(value)}, expected {expected!r}"))
    return problems

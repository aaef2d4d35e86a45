"""Reading the credential report's CSV (pure): its records, its columns by header name, each cell
checked as a flag or a time, and the ARNs a record may name where the CSV itself is broken.

In time columns IAM writes ``N/A`` (no such credential) and ``no_information`` (never used, or
not tracked); moto writes ``not_supported`` where IAM writes ``N/A``. They mean "no value".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

NO_VALUE = frozenset({"N/A", "no_information", "not_supported"})
# Times IAM could have written: AWS did not exist before, pandas' nanoseconds end after.
EARLIEST = datetime(2006, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# arn:<partition>:iam::<account>:user<path up to 512><name up to 64>, with room to spare.
LONGEST_ARN = 700
_BOUNDARY = frozenset(',"\r\n')  # what may stand around a value in CSV


class Misfit(ValueError):
    """A report value that does not fit its column: the row is rejected, never guessed."""


def csv_records(text: str) -> Iterator[list[str]]:
    """CSV records; a lone CR, quotes or NULs inside fields are data, not an error."""
    yield from csv.reader(io.StringIO(text, newline=""))


class Columns:
    """Where each usable column is in a row, by header name (trimmed, case-insensitive)."""

    def __init__(self, header: list[str]) -> None:
        names = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
        self.width = len(names)
        self.index = {name: names.index(name) for name in names if names.count(name) == 1}
        self.repeated = sorted({name for name in names if names.count(name) > 1})

    def cell(self, cells: list[str], column: str) -> str | None:
        """The trimmed value of an optional column (``None`` when the report lacks it)."""
        position = self.index.get(column)
        return None if position is None else cells[position].strip()

    def value(self, cells: list[str], column: str) -> str:
        """A column known to be present (checked with ``absent`` beforehand)."""
        return cells[self.index[column]]

    def absent(self, column: str) -> str | None:
        """Why ``column`` cannot be used, or ``None`` when it can."""
        if column in self.repeated:
            return f"the credential report has the {column} column more than once"
        if column not in self.index:
            return f"the credential report has no {column} column"
        return None


# -- values ---------------------------------------------------------------------------------
def flag(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value not in {"true", "false"}:
        raise Misfit(f"{column} is {text!r}, neither true nor false")
    return value == "true"


def instant(text: str, column: str) -> datetime:
    """An ISO 8601 date and time with its offset, in UTC; anything else does not fit."""
    value = text.strip()
    try:
        if "T" not in value:
            raise ValueError("no time of day")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("no UTC offset")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Misfit(f"{column} is {text!r}, not an ISO 8601 time with an offset") from None
    if not EARLIEST <= moment < LATEST:
        raise Misfit(f"{column} is {text!r}, outside the years IAM could have written")
    return moment


def optional_instant(text: str, column: str) -> datetime | None:
    return None if text.strip() in NO_VALUE else instant(text, column)


# -- ARNs where the CSV is broken -----------------------------------------------------------
def arns_in(cells: list[str]) -> frozenset[str]:
    """Every ARN a row of the wrong width may hold: from each ``arn:`` cell to each later cell
    boundary (an ARN whose path or name holds a comma spans several cells when unquoted), up
    to the longest ARN IAM can make."""
    found = set()
    for start, cell in enumerate(cells):
        if not cell.strip().startswith("arn:"):
            continue
        candidate = cell
        for following in cells[start + 1 :]:
            found.add(candidate.strip())
            candidate = f"{candidate},{following}"
            if len(candidate) > LONGEST_ARN:
                break
        else:
            found.add(candidate.strip())
    return frozenset(found)


def mentions(text: str, arn: str) -> bool:
    """Whether ``arn`` stands whole in the report's text (e.g. in a row that unbalanced quotes
    merged into another): then the report had a row for the user that could not be read."""
    if not arn:
        return False
    start = text.find(arn)
    while start >= 0:
        end = start + len(arn)
        before = text[start - 1] if start else ","
        after = text[end] if end < len(text) else ","
        if before in _BOUNDARY and after in _BOUNDARY:
            return True
        start = text.find(arn, start + 1)
    return False

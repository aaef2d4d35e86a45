"""What the strict profile's modules share: the mapping-table row and OCSF ``timestamp_t``
(``strict_profile`` re-exports both; pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from iam_assets.collect.timestamps import to_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MappingRow(NamedTuple):
    """One row of a mapping table: where a value comes from, where it goes, and how."""

    source: str
    path: str
    rule: str


CONSTANT = "(constant)"


def constant_row(path: str, value: Any, note: str = "") -> MappingRow:
    """A row for a value the mapper always emits; the rule shows it as JSON, then ``(note)``."""
    shown = f"`{json.dumps(value, ensure_ascii=False)}`"
    return MappingRow(CONSTANT, path, f"{shown} ({note})" if note else shown)


def constant_rows(values: Mapping[str, Any]) -> tuple[MappingRow, ...]:
    """A constant row for each path -> value, in order."""
    return tuple(constant_row(path, value) for path, value in values.items())


def epoch_millis(value: datetime | str | None) -> int | None:
    """ISO 8601 string or datetime -> whole Unix milliseconds (OCSF ``timestamp_t``), UTC."""
    moment = to_utc(value)
    return None if moment is None else (moment - _EPOCH) // timedelta(milliseconds=1)


def put(holder: dict[str, Any], key: str, value: Any, path: str, unknown: list[str]) -> None:
    """``holder[key] = value``; an unknown (``None``) value is omitted and its path listed."""
    if value is None:
        unknown.append(path)
    else:
        holder[key] = value

"""One reading of timestamps for every stage: ISO 8601 text or datetime, naive taken as UTC."""

from datetime import UTC, datetime
from typing import overload


@overload
def to_utc(value: datetime | str) -> datetime: ...
@overload
def to_utc(value: None) -> None: ...
@overload
def to_utc(value: datetime | str | None) -> datetime | None: ...


def to_utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime, or ``None`` (only for ``None``)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

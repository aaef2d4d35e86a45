"""One reading of timestamps for every stage: ISO 8601 text or datetime, naive taken as UTC."""

from datetime import UTC, datetime


def to_utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime, or ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

"""Parse IAM's credential report (CSV) into the raw-user fields it can answer (pure).

IAM writes ``N/A`` (no such credential), ``no_information`` (never used, or not tracked) and
``not_supported`` (e.g. the root account); moto writes ``not_supported`` where IAM writes ``N/A``.
All of them mean "no value": ``None``.
"""

import csv
import io
from dataclasses import dataclass
from typing import Any

ROOT_ROW = "<root_account>"
NO_VALUE = frozenset({"", "N/A", "no_information", "not_supported"})


@dataclass(frozen=True)
class ReportRow:
    """What the credential report says about one user."""

    user: str
    arn: str
    password_enabled: bool | None
    password_last_used: str | None
    mfa_active: bool | None
    access_keys: tuple[dict[str, Any], ...]


def _value(text: str | None) -> str | None:
    return None if text is None or text.strip() in NO_VALUE else text.strip()


def _flag(text: str | None) -> bool | None:
    value = _value(text)
    if value is None:
        return None
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ValueError(f"credential report flag {text!r} is neither true nor false")


def _keys(row: dict[str, str]) -> tuple[dict[str, Any], ...]:
    """Up to two access keys: status and creation ("last rotated") time; ids are not reported."""
    keys = []
    for number in (1, 2):
        active = _flag(row.get(f"access_key_{number}_active"))
        rotated = _value(row.get(f"access_key_{number}_last_rotated"))
        if rotated is None and not active:
            continue  # no such key
        keys.append(
            {
                "AccessKeyId": None,
                "Status": "Active" if active else "Inactive",
                "CreateDate": rotated,
            }
        )
    return tuple(keys)


def parse_credential_report(content: bytes | str) -> dict[str, ReportRow]:
    """Report rows by user name, without the root account's row."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows: dict[str, ReportRow] = {}
    for row in csv.DictReader(io.StringIO(text)):
        name = row.get("user", "")
        if not name or name == ROOT_ROW:
            continue
        rows[name] = ReportRow(
            user=name,
            arn=row.get("arn", ""),
            password_enabled=_flag(row.get("password_enabled")),
            password_last_used=_value(row.get("password_last_used")),
            mfa_active=_flag(row.get("mfa_active")),
            access_keys=_keys(row),
        )
    return rows

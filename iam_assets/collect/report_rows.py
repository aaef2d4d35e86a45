"""What one row of the credential report says (pure): a user's row, checked value by value, and
the ``<root_account>`` row. ``credential_report`` finds the rows and joins them to users.

Columns (AWS IAM User Guide, "Getting credential reports for your AWS account"): per access
key ``access_key_N_active``, ``_last_rotated`` (its creation), ``_last_used_date``,
``_last_used_region`` and ``_last_used_service`` (``N/A`` when never used); per signing certificate
``cert_N_active`` and ``cert_N_last_rotated``; the root user's row is named ``<root_account>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iam_assets.collect.records import RootAccount, iso_utc
from iam_assets.collect.report_csv import (
    NO_VALUE,
    Columns,
    Misfit,
    flag,
    instant,
    optional_instant,
)

ROOT_SOURCE = "credential report"


@dataclass(frozen=True)
class ReportRow:
    """What the credential report says about one user; ``None`` where its column is absent."""

    user: str | None
    arn: str
    created: datetime
    password_enabled: bool | None
    password_last_used: datetime | None  # also None when never used
    mfa_active: bool | None
    access_keys: tuple[dict[str, Any], ...] | None
    # One per key of ``access_keys``, in order: LastUsedDate, Region, ServiceName (as IAM's
    # AccessKeyLastUsed names them).
    key_last_used: tuple[dict[str, Any], ...] | None = None
    # None when unknown, or when an active certificate has no time (read it per user then).
    signing_certificates: tuple[dict[str, Any], ...] | None = None


def _slot(columns: Columns, cells: list[str], kind: str, number: int) -> tuple[bool, Any]:
    """``(active, last rotated)`` of key or certificate slot ``number``."""
    active_column, rotated_column = f"{kind}_{number}_active", f"{kind}_{number}_last_rotated"
    active = flag(columns.value(cells, active_column), active_column)
    return active, optional_instant(columns.value(cells, rotated_column), rotated_column)


def _keys(columns: Columns, cells: list[str]) -> tuple[dict[str, Any], ...]:
    """Up to two access keys: status and creation ("last rotated") time; ids are not reported."""
    keys = []
    for number in (1, 2):
        active, rotated = _slot(columns, cells, "access_key", number)
        if rotated is None:
            if active:
                raise Misfit(
                    f"access_key_{number}_active is true but access_key_{number}_last_rotated"
                    " has no time"
                )
            continue  # no such key
        status = "Active" if active else "Inactive"
        keys.append({"AccessKeyId": None, "Status": status, "CreateDate": rotated})
    return tuple(keys)


def _text(value: str) -> str | None:
    value = value.strip()
    return None if value in NO_VALUE or not value else value


def _key_last_used(columns: Columns, cells: list[str]) -> tuple[dict[str, Any], ...]:
    """When, where and with which service each key of ``_keys`` was last used."""
    used = []
    for number in (1, 2):
        if _slot(columns, cells, "access_key", number)[1] is None:
            continue  # no such key
        prefix = f"access_key_{number}_last_used"
        used.append(
            {
                "LastUsedDate": optional_instant(
                    columns.value(cells, f"{prefix}_date"), f"{prefix}_date"
                ),
                "Region": _text(columns.value(cells, f"{prefix}_region")),
                "ServiceName": _text(columns.value(cells, f"{prefix}_service")),
            }
        )
    return tuple(used)


def _certificates(columns: Columns, cells: list[str]) -> tuple[dict[str, Any], ...] | None:
    """Up to two signing certificates; ``None`` when an active one has no time (moto writes
    ``N/A`` there, IAM never does): the collector then lists that user's certificates."""
    certificates = []
    for number in (1, 2):
        active, rotated = _slot(columns, cells, "cert", number)
        if rotated is None:
            if active:
                return None
            continue  # no such certificate
        status = "Active" if active else "Inactive"
        certificates.append({"CertificateId": None, "Status": status, "UploadDate": rotated})
    return tuple(certificates)


def user_row(columns: Columns, cells: list[str], unknown: Mapping[str, str]) -> ReportRow:
    """One row whose width matches the header; raises ``Misfit`` for any value that does not fit."""
    if any("\ufffd" in cell for cell in cells):
        raise Misfit("the row is not valid UTF-8")
    arn = columns.cell(cells, "arn")
    if not arn:
        raise Misfit("the row has no arn")
    created = instant(columns.value(cells, "user_creation_time"), "user_creation_time")

    def known(*raw_fields: str, read: Any) -> Any:
        return None if any(name in unknown for name in raw_fields) else read()

    return ReportRow(
        user=columns.cell(cells, "user"),
        arn=arn,
        created=created,
        password_enabled=known(
            "ConsoleAccessEnabled",
            read=lambda: flag(columns.value(cells, "password_enabled"), "password_enabled"),
        ),
        password_last_used=known(
            "PasswordLastUsed",
            read=lambda: optional_instant(
                columns.value(cells, "password_last_used"), "password_last_used"
            ),
        ),
        mfa_active=known(
            "MFAActive", read=lambda: flag(columns.value(cells, "mfa_active"), "mfa_active")
        ),
        access_keys=known("AccessKeys", read=lambda: _keys(columns, cells)),
        key_last_used=known(
            "AccessKeys", "AccessKeys[].LastUsed", read=lambda: _key_last_used(columns, cells)
        ),
        signing_certificates=known(
            "SigningCertificates", read=lambda: _certificates(columns, cells)
        ),
    )


_ROOT_KEY_SLOTS = tuple(
    f"access_key_{n}_{part}" for n in (1, 2) for part in ("active", "last_rotated")
)


def _used_dates(columns: Columns, cells: list[str]) -> list[datetime]:
    """When each access key of the row was last used (keys never used left out)."""
    return [used["LastUsedDate"] for used in _key_last_used(columns, cells) if used["LastUsedDate"]]


def root_row(columns: Columns, cells: list[str]) -> RootAccount:
    """The ``<root_account>`` row: each fact, or ``None`` and why (column absent, or a value
    that does not fit, such as ``not_supported``)."""
    unknown: dict[str, str] = {}

    def fact(name: str, needed: tuple[str, ...], read: Any) -> Any:
        reasons = [reason for column in needed if (reason := columns.absent(column))]
        try:
            if not reasons:
                return read()
        except ValueError as misfit:
            reasons.append(f"the <root_account> row: {misfit}")
        unknown[name] = reasons[0]
        return None

    def active(kind: str) -> int:
        return sum(
            flag(columns.value(cells, f"{kind}_{n}_active"), f"{kind}_{n}_active") for n in (1, 2)
        )

    return {
        "MFAActive": fact(
            "MFAActive",
            ("mfa_active",),
            lambda: flag(columns.value(cells, "mfa_active"), "mfa_active"),
        ),
        "ActiveAccessKeys": fact(
            "ActiveAccessKeys",
            ("access_key_1_active", "access_key_2_active"),
            lambda: active("access_key"),
        ),
        "ActiveSigningCertificates": fact(
            "ActiveSigningCertificates",
            ("cert_1_active", "cert_2_active"),
            lambda: active("cert"),
        ),
        "PasswordLastUsed": fact(
            "PasswordLastUsed",
            ("password_last_used",),
            lambda: iso_utc(
                optional_instant(columns.value(cells, "password_last_used"), "password_last_used")
            ),
        ),
        "AccessKeysPresent": fact(
            "AccessKeysPresent", _ROOT_KEY_SLOTS, lambda: bool(_keys(columns, cells))
        ),
        "AccessKeyLastUsed": fact(
            "AccessKeyLastUsed",
            (*_ROOT_KEY_SLOTS, "access_key_1_last_used_date", "access_key_2_last_used_date"),
            lambda: iso_utc(max(_used_dates(columns, cells), default=None)),
        ),
        "Source": ROOT_SOURCE,
        "UnknownFields": unknown,
    }

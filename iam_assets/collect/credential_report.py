"""Parse IAM's credential report (CSV) into the raw-user fields it can answer (pure).

The report is the bulk strategy's source for password, MFA and access-key facts, so it must
neither fail the run nor lie. Columns are found by header name (any order, extra columns ignored)
and every value is checked before it is used:

* a column the report lacks makes its fields unknown (``None``, named in ``unknown_fields``) for
  every user, never ``False`` or ``0``;
* a row that does not fit (field count differs from the header, a flag neither true nor false, a
  time that is not an ISO 8601 instant, an active key without a creation time) is *rejected*
  with its reason, never guessed: the collector reads that user with per-user calls instead;
* rows are joined to users by ARN and checked against the user's name and creation time, so that
  a stale row (the user was deleted and re-created under the same name while IAM reused a report
  up to 4 hours old) is rejected too (see ``CredentialReport.row_for``).

The CSV itself (records, columns, cells) is read in ``report_csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from iam_assets.collect.records import RootAccount, iso_utc
from iam_assets.collect.report_csv import Columns, Misfit, arns_in, csv_records, mentions
from iam_assets.collect.report_rows import ReportRow, root_row, user_row

__all__ = ["CredentialReport", "ReportRow", "parse_credential_report"]

ROOT_ROW = "<root_account>"
# The columns without which no row can be trusted: the join key, and what tells a stale row.
KEY_COLUMNS = ("arn", "user_creation_time")
# Raw field -> the report columns it is read from; without any of them the field is unknown.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "ConsoleAccessEnabled": ("password_enabled",),
    "PasswordLastUsed": ("password_last_used",),
    "MFAActive": ("mfa_active",),
    "AccessKeys": (
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_2_active",
        "access_key_2_last_rotated",
    ),
    "AccessKeys[].LastUsed": tuple(
        f"access_key_{number}_last_used_{part}"
        for number in (1, 2)
        for part in ("date", "region", "service")
    ),
    "SigningCertificates": (
        "cert_1_active",
        "cert_1_last_rotated",
        "cert_2_active",
        "cert_2_last_rotated",
    ),
}


@dataclass(frozen=True)
class RejectedRow:
    """A row that did not fit, with the ARNs and name it may belong to and why it was rejected."""

    arns: frozenset[str]
    user: str | None
    reason: str


@dataclass(frozen=True)
class CredentialReport:
    """The parsed report: usable rows, rejected rows, and what it cannot tell anyone."""

    rows: tuple[ReportRow, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()
    # Raw field -> why it is unknown for every user (its column is absent or ambiguous).
    unknown_fields: Mapping[str, str] = field(default_factory=dict)
    # Why a user without a row may still have had one we could not read (None: it has none).
    gap: str | None = None
    notes: tuple[str, ...] = ()
    text: str = field(default="", repr=False)  # to find users whose row broke the CSV itself
    root: RootAccount | None = None  # the <root_account> row; None when the report has none
    _by_key: dict[str, list[ReportRow | RejectedRow]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        """Index every row by the ARNs and name it may belong to (``arn:``/``name:`` keys)."""
        every: tuple[ReportRow | RejectedRow, ...] = (*self.rows, *self.rejected)
        for row in every:
            arns = row.arns if isinstance(row, RejectedRow) else {row.arn}
            keys = {f"arn:{arn}" for arn in arns}
            if row.user is not None:
                keys.add(f"name:{row.user}")
            for key in keys:
                self._by_key.setdefault(key, []).append(row)

    def row_for(
        self, user: str, arn: str, created: datetime
    ) -> tuple[ReportRow | None, str | None]:
        """This user's row, or why there is none to use.

        ``(row, None)``: use it. ``(None, None)``: the report has no row for the user (created
        after the report). ``(None, reason)``: the report has a row that cannot be trusted.
        """
        candidates = self._candidates(user, arn)
        if not candidates:
            if self.gap is None and mentions(self.text, arn):
                return None, "the credential report names this user's ARN in no readable row"
            return None, self.gap
        if len(candidates) > 1:
            return None, f"the credential report has {len(candidates)} rows for this user"
        (row,) = candidates
        if isinstance(row, RejectedRow):
            return None, row.reason
        return _verified(row, user, arn, created)

    def _candidates(self, user: str, arn: str) -> list[ReportRow | RejectedRow]:
        found = self._by_key.get(f"arn:{arn}", []) + self._by_key.get(f"name:{user}", [])
        return list({id(row): row for row in found}.values())


def _verified(
    row: ReportRow, user: str, arn: str, created: datetime
) -> tuple[ReportRow | None, str | None]:
    """The row if it is this very user's (same ARN, name and creation second), else why not."""
    if row.arn != arn:
        return None, f"the report's row for this name has ARN {row.arn!r}, not {arn!r}"
    if row.user is not None and row.user != user:
        return None, f"the report's row for this ARN names user {row.user!r}"
    mine = created.astimezone(UTC).replace(microsecond=0)
    if row.created.replace(microsecond=0) != mine:
        return None, (
            f"stale row: user_creation_time {iso_utc(row.created)} is not the user's CreateDate"
            f" {iso_utc(mine)} (deleted and re-created since the report was generated)"
        )
    return row, None


def _unknown_fields(columns: Columns) -> dict[str, str]:
    unknown: dict[str, str] = {}
    for raw_field, needed in FIELD_COLUMNS.items():
        reasons = [reason for column in needed if (reason := columns.absent(column))]
        if reasons:
            unknown[raw_field] = reasons[0]
    return unknown


def _rejected(columns: Columns, cells: list[str], reason: str) -> RejectedRow:
    if len(cells) != columns.width:  # positions mean nothing: find the user by ARN alone
        return RejectedRow(arns_in(cells), None, reason)
    arn = columns.cell(cells, "arn")
    return RejectedRow(frozenset({arn} if arn else ()), columns.cell(cells, "user"), reason)


def _is_root(columns: Columns, cells: list[str]) -> bool:
    user = columns.cell(cells, "user") if len(cells) == columns.width else None
    arn = columns.cell(cells, "arn") if len(cells) == columns.width else None
    return user == ROOT_ROW or (arn or "").endswith(":root")


def parse_credential_report(content: bytes | str) -> CredentialReport:
    """Every row of the report, usable or rejected; never raises on what the report holds."""
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    lines = csv_records(text)
    try:
        header = next(lines, None)
    except csv.Error as error:
        return CredentialReport(gap=f"the credential report's header is not CSV ({error})")
    if not header or not any(name.strip() for name in header):
        return CredentialReport(gap="the credential report is empty")
    columns = Columns(header)
    missing_keys = [reason for column in KEY_COLUMNS if (reason := columns.absent(column))]
    if missing_keys:
        return CredentialReport(
            gap=f"{missing_keys[0]}: no row can be joined to its user and checked for staleness"
        )
    return _read_rows(columns, lines, _unknown_fields(columns), text)


def _read_rows(
    columns: Columns, lines: Iterator[list[str]], unknown: dict[str, str], text: str
) -> CredentialReport:
    """The records after the header: each a usable row, a rejected row, or a note."""
    rows: list[ReportRow] = []
    rejected: list[RejectedRow] = []
    notes: list[str] = []
    gap: str | None = None
    root: RootAccount | None = None
    line = 1
    while True:
        try:
            cells = next(lines, None)
        except csv.Error as error:
            gap = f"the credential report is not CSV after record {line} ({error})"
            break
        if cells is None:
            break
        line += 1
        if not any(cell.strip() for cell in cells):
            continue
        if _is_root(columns, cells):
            root = root if root is not None else root_row(columns, cells)
            continue
        try:
            if len(cells) != columns.width:
                raise Misfit(
                    f"a row holding this user's ARN has {len(cells)} fields,"
                    f" the header {columns.width}"
                )
            rows.append(user_row(columns, cells, unknown))
        except (ValueError, OverflowError) as misfit:  # Misfit, or a check's own slip
            row = _rejected(columns, cells, str(misfit))
            if row.arns or row.user:
                rejected.append(row)
            else:
                notes.append(f"record {line} of the credential report names no user: {misfit}")
    return CredentialReport(
        tuple(rows), tuple(rejected), unknown, gap, tuple(notes), text, root=root
    )

"""The bulk strategy: every user from ``GetAccountAuthorizationDetails`` joined with the
credential report, a few calls per thousand users. Users the report cannot answer (created after
it, or whose row is rejected) are read with per-user calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect.client import IAMCalls, IAMCollectionError, denial, error_code
from iam_assets.collect.credential_report import (
    CredentialReport,
    ReportRow,
    parse_credential_report,
)
from iam_assets.collect.per_user import PerUserReader
from iam_assets.collect.policies import allows_everything
from iam_assets.collect.records import Group, RawUser, iso_utc, tags
from iam_assets.collect.timestamps import to_utc

# Two APIs that hold almost every field of every user at once.
BULK_ACTIONS: tuple[str, ...] = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
)
# Raw fields this strategy cannot know (the credential report has no key ids nor devices).
NOT_READ_BY_BULK = ("AccessKeys[].AccessKeyId", "MFADevices")
_REPORT_RETRY_CODES = frozenset({"ReportInProgress", "ReportExpired", "ReportNotPresent"})


class BulkDenied(Exception):
    """A bulk API is not granted: fall back to per-user calls."""


@dataclass
class BulkRead:
    """The users the bulk strategy read, and what the credential report made of them."""

    users: list[RawUser]
    dropped: list[dict[str, str]]
    report_generated_at: str | None
    completed_per_user: list[str]  # users read per user: missing from the report, or rejected
    report_rows_rejected: dict[str, str]  # user -> why their report row was not used


class BulkReader:
    """Reads the whole account with the bulk APIs; ``BulkDenied`` when one is not granted."""

    def __init__(
        self,
        calls: IAMCalls,
        per_user: PerUserReader,
        *,
        note: Callable[[str], None],
        report_poll_seconds: float,
        report_timeout_seconds: float,
    ) -> None:
        self._calls = calls
        self._per_user = per_user
        self._note = note
        self._report_poll = report_poll_seconds
        self._report_timeout = report_timeout_seconds

    def read(self) -> BulkRead:
        details = _granted(
            lambda: self._calls.all_pages(
                "GetAccountAuthorizationDetails", Filter=["User", "Group"], MaxItems=1000
            )
        )
        generated_at, report = _granted(self._credential_report)
        groups = {
            group["GroupName"]: group
            for page in details
            for group in page.get("GroupDetailList", [])
        }
        users: list[RawUser] = []
        per_user: list[dict[str, Any]] = []
        rejected: dict[str, str] = {}
        for page in details:
            for detail in page.get("UserDetailList", []):
                row, reason = report.row_for(
                    detail["UserName"], detail["Arn"], to_utc(detail["CreateDate"])
                )
                if row is not None:
                    users.append(_bulk_user(detail, row, groups, report.unknown_fields))
                    continue
                per_user.append(detail)  # created after the report, or its row cannot be used
                if reason is not None:
                    rejected[detail["UserName"]] = reason
        completed, dropped = self._per_user.read_many(per_user)
        self._note_report(report, generated_at, len(per_user) - len(rejected), rejected)
        return BulkRead(
            users=sorted(users + completed, key=lambda user: user["UserName"]),
            dropped=dropped,
            report_generated_at=generated_at,
            completed_per_user=sorted(detail["UserName"] for detail in per_user),
            report_rows_rejected=dict(sorted(rejected.items())),
        )

    def _credential_report(self) -> tuple[str | None, CredentialReport]:
        """Generate the report, wait while IAM builds it (with backoff), fetch and parse it."""
        deadline = time.monotonic() + self._report_timeout
        delay = self._report_poll
        while True:
            try:
                ready = self._calls.call("GenerateCredentialReport").get("State") == "COMPLETE"
            except ClientError as error:
                if error_code(error) != "LimitExceeded":
                    raise
                ready = False  # too many generations at once: wait, then ask again
            if ready:
                try:
                    report = self._calls.call("GetCredentialReport")
                except ClientError as error:
                    if error_code(error) not in _REPORT_RETRY_CODES:
                        raise
                else:
                    generated = iso_utc(report.get("GeneratedTime"))
                    return generated, parse_credential_report(report.get("Content") or b"")
            if time.monotonic() + delay > deadline:
                raise IAMCollectionError(
                    f"The IAM credential report was not ready after {self._report_timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 8.0)

    def _note_report(
        self,
        report: CredentialReport,
        generated_at: str | None,
        missing: int,
        rejected: dict[str, str],
    ) -> None:
        """Say what the credential report could not tell, and who was read per user instead."""
        for note in report.notes:
            self._note(note)
        for raw_field, reason in sorted(report.unknown_fields.items()):
            self._note(f"{raw_field} is unknown for every user: {reason}")
        if missing:
            self._note(
                f"{missing} user(s) were not in the credential report generated at"
                f" {generated_at}; they were read with per-user calls"
            )
        if rejected:
            self._note(
                f"{len(rejected)} credential report row(s) could not be used; those users were"
                " read with per-user calls: "
                + "; ".join(f"{name}: {reason}" for name, reason in sorted(rejected.items())[:10])
            )


def _granted(read: Callable[[], Any]) -> Any:
    """Run a bulk read; its denial raises ``BulkDenied`` (the caller may fall back)."""
    try:
        return read()
    except ClientError as error:
        reason = denial(error)
        if reason is not None:
            raise BulkDenied(reason) from error
        raise


def _bulk_user(
    detail: dict[str, Any],
    row: ReportRow,
    groups: dict[str, dict[str, Any]],
    unknown: Mapping[str, str],
) -> RawUser:
    """One raw user from its authorization details and its credential report row; ``unknown``
    names the fields the report has no column for (``None`` in the row, never ``[]``/``False``)."""
    unknown_fields = dict(unknown)
    return {
        "UserId": detail["UserId"],
        "UserName": detail["UserName"],
        "Arn": detail["Arn"],
        "Path": detail["Path"],
        "CreateDate": iso_utc(detail["CreateDate"]),
        "PasswordLastUsed": iso_utc(row.password_last_used),
        "AccessKeys": None
        if row.access_keys is None
        else [{**key, "CreateDate": iso_utc(key["CreateDate"])} for key in row.access_keys],
        "MFADevices": None,  # the report says whether MFA is active, not which devices
        "MFAActive": row.mfa_active,
        "ConsoleAccessEnabled": row.password_enabled,
        "Tags": tags(detail.get("Tags", [])),
        "Groups": [
            _group(name, groups.get(name), unknown_fields) for name in detail.get("GroupList", [])
        ],
        "AttachedPolicies": [p["PolicyName"] for p in detail.get("AttachedManagedPolicies", [])],
        "InlinePolicies": [p["PolicyName"] for p in detail.get("UserPolicyList", [])],
        "AdminInline": _admin_inline(detail, groups),
        "UnknownFields": unknown_fields,
    }


def _group(name: str, group: dict[str, Any] | None, unknown: dict[str, str]) -> Group:
    """A group of the user with its policy names; a group the details lack is unknown."""
    if group is None:
        unknown[f"Groups[{name}]"] = "group missing from authorization details"
        return {"GroupName": name, "AttachedPolicies": None, "InlinePolicies": None}
    return {
        "GroupName": name,
        "AttachedPolicies": [p["PolicyName"] for p in group.get("AttachedManagedPolicies", [])],
        "InlinePolicies": [p["PolicyName"] for p in group.get("GroupPolicyList", [])],
    }


def _admin_inline(detail: dict[str, Any], groups: dict[str, dict[str, Any]]) -> bool:
    """Whether an inline policy of the user, or of one of their groups, allows ``*:*``."""
    return any(
        allows_everything(p.get("PolicyDocument")) for p in detail.get("UserPolicyList", [])
    ) or any(
        allows_everything(p.get("PolicyDocument"))
        for name in detail.get("GroupList", [])
        for p in groups.get(name, {}).get("GroupPolicyList", [])
    )

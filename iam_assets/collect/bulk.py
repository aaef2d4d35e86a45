"""The bulk strategy: every user from ``GetAccountAuthorizationDetails`` (users, groups and the
customer-managed policies with their documents) joined with the credential report, a few calls
per thousand users, plus what neither holds: the attached AWS managed policies' documents (one
``ListPolicies`` and one ``GetPolicyVersion`` per policy, once per account), every user's
service-specific credentials in one paged listing (``AllUsers``), and in the per-user pool one
``ListSSHPublicKeys`` per user, ``ListMFADevices`` for the users the report says have MFA (for
each device's kind) and ``ListSigningCertificates`` where the report gives an active certificate
no time. Users the report cannot answer (created after it, or whose row is rejected) are read
with per-user calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect import bulk_policies, credentials
from iam_assets.collect.client import IAMCalls, IAMCollectionError, denial, error_code
from iam_assets.collect.credential_report import (
    CredentialReport,
    ReportRow,
    parse_credential_report,
)
from iam_assets.collect.per_user import PerUserReader, boundary
from iam_assets.collect.policies import PolicyReader
from iam_assets.collect.records import Group, RawUser, RootAccount, iso_utc, tags
from iam_assets.collect.timestamps import to_utc

# Two APIs that hold almost every field of every user at once.
BULK_ACTIONS: tuple[str, ...] = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListPolicies",
)
# Per-user actions the bulk strategy also calls (the last only when the report has no root row).
ALSO_CALLED_BY_BULK: tuple[str, ...] = (
    "iam:ListServiceSpecificCredentials",
    "iam:ListSSHPublicKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
    "iam:GetAccountSummary",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
# Raw fields this strategy cannot know (the credential report tells no key or certificate ids).
NOT_READ_BY_BULK = ("AccessKeys[].AccessKeyId", "SigningCertificates[].CertificateId")
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
    root: RootAccount | None  # the report's <root_account> row; None when it has none


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
        self._policies = per_user.policies
        self._note = note
        self._report_poll = report_poll_seconds
        self._report_timeout = report_timeout_seconds

    def read(self) -> BulkRead:
        details = _granted(
            lambda: self._calls.all_pages(
                "GetAccountAuthorizationDetails",
                Filter=["User", "Group", "LocalManagedPolicy"],
                MaxItems=1000,
            )
        )
        self._policies.preload_authorization_details(
            policy for page in details for policy in page.get("Policies", [])
        )
        bulk_policies.learn_aws_managed_versions(self._calls, self._policies)
        generated_at, report = _granted(self._credential_report)
        services = credentials.every_users_service_credentials(self._calls)
        groups = {
            group["GroupName"]: group
            for page in details
            for group in page.get("GroupDetailList", [])
        }
        users: list[RawUser] = []
        pending: dict[str, tuple[str, ...]] = {}  # user -> fields still to read per user
        per_user: list[dict[str, Any]] = []
        rejected: dict[str, str] = {}
        for page in details:
            for detail in page.get("UserDetailList", []):
                row, reason = report.row_for(
                    detail["UserName"], detail["Arn"], to_utc(detail["CreateDate"])
                )
                if row is not None:
                    user, pending[detail["UserName"]] = _bulk_user(
                        detail, row, groups, report.unknown_fields, services, self._policies
                    )
                    users.append(user)
                    continue
                per_user.append(detail)  # created after the report, or its row cannot be used
                if reason is not None:
                    rejected[detail["UserName"]] = reason
        skipped = self._per_user.skipped
        users, gone = self._per_user.each(
            users,
            lambda user: self._complete(
                user, tuple(name for name in pending[user["UserName"]] if name not in skipped)
            ),
        )
        completed, dropped = self._per_user.read_many(per_user)
        self._note_report(report, generated_at, len(per_user) - len(rejected), rejected)
        return BulkRead(
            users=sorted(users + completed, key=lambda user: user["UserName"]),
            dropped=gone + dropped,
            report_generated_at=generated_at,
            completed_per_user=sorted(detail["UserName"] for detail in per_user),
            report_rows_rejected=dict(sorted(rejected.items())),
            root=report.root,
        )

    def _complete(self, user: RawUser, fields: tuple[str, ...]) -> RawUser:
        """Read per user the credential lists the report and the details do not hold."""
        for raw_field in fields:
            found = credentials.listed(
                self._calls, user["UnknownFields"], raw_field, user["UserName"]
            )
            user[raw_field] = found  # type: ignore[literal-required]
        return user

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
    services: tuple[dict[str, list[Any]] | None, str | None],
    reader: PolicyReader,
) -> tuple[RawUser, tuple[str, ...]]:
    """One raw user from its authorization details and its credential report row, and the
    credential lists still to read per user; ``unknown`` names the fields the report has no
    column for (``None`` in the row, never ``[]``/``False``)."""
    unknown_fields = dict(unknown)
    pending = ["SSHPublicKeys"]
    devices: list[Any] | None = []
    if row.mfa_active is None:  # the report cannot say whose devices to list
        devices = None
        unknown_fields["MFADevices"] = unknown_fields["MFAActive"]
    elif row.mfa_active:
        pending.append("MFADevices")
    certificates: list[Any] | None = None
    if row.signing_certificates is not None:
        certificates = [credentials.signing_certificate(c) for c in row.signing_certificates]
    elif "SigningCertificates" not in unknown_fields:
        pending.append("SigningCertificates")  # an active certificate without a time
    by_user, denied = services
    if by_user is None and denied is None:
        pending.append("ServiceSpecificCredentials")  # AllUsers is not taken here
    elif denied is not None:
        unknown_fields["ServiceSpecificCredentials"] = denied
    return {
        "UserId": detail["UserId"],
        "UserName": detail["UserName"],
        "Arn": detail["Arn"],
        "Path": detail["Path"],
        "CreateDate": iso_utc(detail["CreateDate"]),
        "PasswordLastUsed": iso_utc(row.password_last_used),
        "AccessKeys": _keys(row),
        "MFADevices": devices,
        "MFAActive": row.mfa_active,
        "ConsoleAccessEnabled": row.password_enabled,
        "Tags": tags(detail.get("Tags", [])),
        "Groups": [
            _group(name, groups.get(name), unknown_fields) for name in detail.get("GroupList", [])
        ],
        "AttachedPolicies": [p["PolicyName"] for p in detail.get("AttachedManagedPolicies", [])],
        "InlinePolicies": [p["PolicyName"] for p in detail.get("UserPolicyList", [])],
        "Policies": bulk_policies.grants(detail, groups, reader, unknown_fields),
        "SigningCertificates": certificates,
        "SSHPublicKeys": None,  # read per user (``pending``)
        "ServiceSpecificCredentials": None
        if by_user is None
        else by_user.get(detail["UserName"], []),
        "PermissionsBoundary": boundary(detail),
        "UnknownFields": unknown_fields,
    }, tuple(pending)


def _keys(row: ReportRow) -> list[Any] | None:
    """The report's access keys with their last use (``None`` where the report cannot tell)."""
    if row.access_keys is None:
        return None
    used = row.key_last_used or ({},) * len(row.access_keys)
    return [
        credentials.access_key(key, last_used)
        for key, last_used in zip(row.access_keys, used, strict=True)
    ]


def _group(name: str, group: dict[str, Any] | None, unknown: dict[str, str]) -> Group:
    """A group of the user with its policy names; a group the details lack is unknown."""
    if group is None:
        unknown[f"Groups[{name}]"] = "group missing from authorization details"
        return {"GroupName": name, "Arn": None, "AttachedPolicies": None, "InlinePolicies": None}
    return {
        "GroupName": name,
        "Arn": group.get("Arn"),
        "AttachedPolicies": [p["PolicyName"] for p in group.get("AttachedManagedPolicies", [])],
        "InlinePolicies": [p["PolicyName"] for p in group.get("GroupPolicyList", [])],
    }

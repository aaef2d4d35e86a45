"""The bulk strategy: every user from ``GetAccountAuthorizationDetails`` (users, groups and the
customer-managed policies with their documents) joined with the credential report, a few calls
per thousand users, plus what neither holds: the attached AWS managed policies' documents (one
``ListPolicies`` and one ``GetPolicyVersion`` per policy, once per account), the assigned virtual
MFA devices and every user's service-specific credentials in one paged listing each. In the
per-user pool: each user's SSH keys and, for users with MFA, their device list (each device's
kind), unless carried from the last run while CloudTrail shows no change (``carried_facts``);
``ListSigningCertificates`` where the report gives an active certificate no time; and the report's
facts CloudTrail shows changed since it was made (``freshness``). Users the report cannot answer
(created after it, or whose row is rejected) are read with per-user calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect import bulk_policies, credentials, fresh_reads
from iam_assets.collect.bulk_users import bulk_user
from iam_assets.collect.client import IAMCalls, denial
from iam_assets.collect.credential_report import CredentialReport
from iam_assets.collect.freshness import REPORT_FIELDS, Freshness, Incremental, freshen
from iam_assets.collect.per_user import PerUserReader
from iam_assets.collect.records import RawUser, RootAccount, iso_utc
from iam_assets.collect.report_fetch import FetchedReport, ReportUnusable, fetch_report
from iam_assets.collect.timestamps import to_utc
from iam_assets.collect.trail_changes import ROOT, TrailChanges, read_changes
from iam_assets.collect.virtual_mfa import VirtualMFA, read_virtual_mfa

# Two APIs that hold almost every field of every user at once.
BULK_ACTIONS: tuple[str, ...] = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListPolicies",
)
# Per-user actions the bulk strategy also calls (the last only when the report has no root row).
ALSO_CALLED_BY_BULK: tuple[str, ...] = (
    "iam:ListAccessKeys",  # these three for the users CloudTrail shows changed since the report
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
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


# A report this much younger than the run was made for it (or just before): no change since
# can have reached CloudTrail's history yet, so none is looked up.
FRESH_REPORT = timedelta(minutes=5)


class BulkUnavailable(Exception):
    """The bulk strategy cannot be used for this run: fall back to per-user calls."""


class BulkDenied(BulkUnavailable):
    """A bulk API is not granted."""


@dataclass
class BulkRead:
    """The users the bulk strategy read, and what the credential report made of them."""

    users: list[RawUser]
    dropped: list[dict[str, str]]
    report_generated_at: str | None
    completed_per_user: list[str]  # users read per user: missing from the report, or rejected
    report_rows_rejected: dict[str, str]  # user -> why their report row was not used
    root: RootAccount | None  # the report's <root_account> row; None when it has none
    freshness: Freshness
    virtual_mfa: VirtualMFA  # the assigned virtual MFA devices (the root's too)


class BulkReader:
    """Reads the whole account with the bulk APIs; ``BulkUnavailable`` when it cannot."""

    def __init__(
        self,
        calls: IAMCalls,
        per_user: PerUserReader,
        *,
        note: Callable[[str], None],
        report_poll_seconds: float,
        report_timeout_seconds: float,
        incremental: Incremental | None = None,
    ) -> None:
        self._calls = calls
        self._per_user = per_user
        self._policies = per_user.policies
        self._note = note
        self._report_poll = report_poll_seconds
        self._report_timeout = report_timeout_seconds
        self._incremental = incremental or Incremental()

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
        fetched = _granted(self._fetch_report)
        report = fetched.report
        now = self._incremental.now()
        virtual = read_virtual_mfa(self._calls)
        if not virtual.known:
            self._note(
                f"Virtual MFA devices were not listed ({virtual.denied}): users with MFA"
                " are read per user"
            )
        services = credentials.every_users_service_credentials(self._calls)
        trail = self._changes(fetched.generated_at, now)
        groups = {
            group["GroupName"]: group
            for page in details
            for group in page.get("GroupDetailList", [])
        }
        skipped = self._per_user.skipped
        users: list[RawUser] = []
        pending: dict[str, list[str]] = {}  # user -> fields still to read per user
        per_user: list[dict[str, Any]] = []
        rejected: dict[str, str] = {}
        for page in details:
            for detail in page.get("UserDetailList", []):
                row, reason = report.row_for(
                    detail["UserName"], detail["Arn"], to_utc(detail["CreateDate"])
                )
                if row is not None:
                    user, fields = bulk_user(
                        detail,
                        row,
                        groups,
                        report.unknown_fields,
                        services,
                        self._policies,
                        virtual,
                    )
                    users.append(user)
                    # a field left unread by configuration is neither read nor carried
                    pending[detail["UserName"]] = [f for f in fields if f not in skipped]
                    continue
                per_user.append(detail)  # created after the report, or its row cannot be used
                if reason is not None:
                    rejected[detail["UserName"]] = reason
        freshness = freshen(users, pending, trail, fetched, now, self._incremental)
        users, gone = self._per_user.each(
            users,
            lambda user: fresh_reads.complete(
                self._calls,
                user,
                pending[user["UserName"]],
            ),
        )
        completed, dropped = self._per_user.read_many(per_user)
        self._note_report(report, fetched.generated_iso, len(per_user) - len(rejected), rejected)
        return BulkRead(
            users=sorted(users + completed, key=lambda user: user["UserName"]),
            dropped=gone + dropped,
            report_generated_at=fetched.generated_iso,
            completed_per_user=sorted(detail["UserName"] for detail in per_user),
            report_rows_rejected=dict(sorted(rejected.items())),
            root=None if _root_changed(trail, fetched) else report.root,
            freshness=freshness,
            virtual_mfa=virtual,
        )

    def _fetch_report(self) -> FetchedReport:
        try:
            return fetch_report(
                self._calls,
                poll_seconds=self._report_poll,
                timeout_seconds=self._report_timeout,
                now=self._incremental.now,
            )
        except ReportUnusable as unusable:
            raise BulkUnavailable(str(unusable)) from None

    def _changes(self, report_time: datetime, now: datetime) -> TrailChanges | None:
        """CloudTrail's changes to what the run does not read live: the report's facts when
        the report was not made just now, the carried facts since the oldest was read."""
        incremental = self._incremental
        if incremental.trail_client is None:
            return None
        windows: dict[str, datetime] = {}
        if now - report_time > FRESH_REPORT:
            windows.update(dict.fromkeys(REPORT_FIELDS, report_time))
        for _user_id, facts in incremental.carried.by_arn.values():
            for raw_field, fact in facts.items():
                windows[raw_field] = min(windows.get(raw_field, fact.read_at), fact.read_at)
        changes = read_changes(incremental.trail_client, windows, now)
        if not changes.known:
            self._note(
                f"Changes since the credential report could not be read ({changes.unavailable}):"
                f" its facts are as of {iso_utc(report_time)}, and per-user facts are read anew"
            )
        for unattributed in changes.unattributed[:10]:
            self._note(f"A CloudTrail event names no user ({unattributed}): not applied")
        return changes

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


def _root_changed(trail: TrailChanges | None, fetched: FetchedReport) -> bool:
    """Whether the root user's credentials changed since the report: then its row is not used
    (the collector reads GetAccountSummary, which is current)."""
    return trail is not None and any(
        trail.changed_since(ROOT, raw_field, fetched.generated_at) for raw_field in REPORT_FIELDS
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

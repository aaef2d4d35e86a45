"""Read every IAM user of one AWS account, in the seed's raw shape (no Dagster here).

The collector makes only read-only IAM calls, all listed in ``IAM_ACTIONS`` and in the
checked-in policy document ``iam_assets/collect/iam_policy.json``. Two rules keep the inventory
honest:

* a user deleted while we read it (``NoSuchEntity``) is dropped, with a note;
* a call we are not allowed to make (``AccessDenied``) leaves its field ``None`` (unknown) and is
  recorded in the user's ``UnknownFields``; it never becomes ``False`` or ``0``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from iam_assets.collect.credential_report import (
    CredentialReport,
    ReportRow,
    parse_credential_report,
)
from iam_assets.collect.policies import allows_everything
from iam_assets.collect.timestamps import to_utc

RawUser = dict[str, Any]

# The bulk strategy: two APIs that hold almost every field of every user at once.
BULK_ACTIONS: tuple[str, ...] = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
)
# The per-user strategy (the Sekoia.io connector's way), also used to complete the bulk read.
PER_USER_ACTIONS: tuple[str, ...] = (
    "iam:ListUsers",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:GetLoginProfile",
    "iam:ListUserTags",
    "iam:ListGroupsForUser",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:ListAttachedGroupPolicies",
    "iam:ListGroupPolicies",
)
# Every IAM action the collector can call: the recommended policy grants exactly these.
IAM_ACTIONS: tuple[str, ...] = BULK_ACTIONS + PER_USER_ACTIONS
STRATEGIES = ("auto", "bulk", "per_user")
# Raw fields the bulk strategy cannot know (the credential report has no key ids nor devices).
NOT_READ_BY_BULK = ("AccessKeys[].AccessKeyId", "MFADevices")
# ... and the per-user strategy: it lists inline policy names, it does not read their documents.
NOT_READ_PER_USER = ("AdminInline",)
_REPORT_RETRY_CODES = frozenset({"ReportInProgress", "ReportExpired", "ReportNotPresent"})

_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_GONE_CODE = "NoSuchEntity"
_THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)


class IAMCollectionError(RuntimeError):
    """A failure that makes the whole inventory unusable (not a per-field denial)."""


def client_kwargs(
    session: boto3.session.Session,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> dict[str, Any]:
    """Where and how a client of any AWS service (IAM, STS, Organizations) connects.

    IAM is global: without a configured region, sign for us-east-1 (the aws partition's IAM
    region); GovCloud/China users set AWS_REGION to their partition's region. Endpoint and TLS
    verification only when set explicitly: otherwise botocore resolves them
    (``AWS_ENDPOINT_URL_IAM``, ``AWS_ENDPOINT_URL``, ``AWS_CA_BUNDLE``).
    """
    kwargs: dict[str, Any] = {"region_name": session.region_name or "us-east-1"}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if verify is not None:
        kwargs["verify"] = verify
    return kwargs


def build_iam_client(
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
    max_attempts: int = 10,
    retry_mode: str = "adaptive",
    max_pool_connections: int = 16,
    verify: bool | str | None = None,
) -> Any:
    """One IAM client with botocore retries configured.

    With ``endpoint_url=None`` botocore resolves the endpoint itself, so ``AWS_ENDPOINT_URL_IAM``
    and ``AWS_ENDPOINT_URL`` keep working; credentials come from the session (default: boto3's
    chain).
    """
    session = session or boto3.session.Session()
    config = Config(
        retries={"max_attempts": max_attempts, "mode": retry_mode},
        max_pool_connections=max_pool_connections,
        user_agent_extra="iam-assets",
    )
    return session.client("iam", config=config, **client_kwargs(session, endpoint_url, verify))


def iso_utc(value: datetime | str | None) -> str | None:
    """Render a timestamp as ISO 8601 in UTC with a trailing ``Z``, the seed's raw format."""
    moment = to_utc(value)
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CollectionResult:
    """What one collection produced, and what a user of the inventory should know about it."""

    users: list[RawUser]
    strategy: str
    strategy_reason: str
    dropped: list[dict[str, str]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    report_generated_at: str | None = None
    completed_per_user: list[str] = field(default_factory=list)
    # User -> why their credential report row was not used (malformed or stale): they were read
    # with per-user calls instead, so their fields are right.
    report_rows_rejected: dict[str, str] = field(default_factory=dict)
    not_read: tuple[str, ...] = ()
    throttle_waits: int = 0
    account_id: str | None = None  # set by the caller, who knows which account it reads

    @property
    def unknown_fields(self) -> Counter[str]:
        """How many users have each field unknown (a call was denied)."""
        return Counter(name for user in self.users for name in user["UnknownFields"])


class _UserGone(Exception):
    """The user was deleted between ListUsers and a later call."""


class _BulkDenied(Exception):
    """A bulk API is not granted: fall back to per-user calls."""


class IAMUserCollector:
    """Reads users with one shared, thread-safe boto3 client and a bounded thread pool."""

    def __init__(
        self,
        client: Any,
        *,
        max_workers: int = 4,
        note: Callable[[str], None] | None = None,
        report_poll_seconds: float = 1.0,
        report_timeout_seconds: float = 600.0,
        throttle_patience_seconds: float = 900.0,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._client = client
        self._max_workers = max_workers
        self._report_poll = report_poll_seconds
        self._report_timeout = report_timeout_seconds
        self._throttle_patience = throttle_patience_seconds
        self.throttle_waits = 0
        self._note = note or (lambda _message: None)
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._group_policies: dict[str, tuple[list[str] | None, list[str] | None, dict]] = {}

    # -- plumbing ---------------------------------------------------------------------------
    def _call(self, action: str, **params: Any) -> dict[str, Any]:
        """One IAM call. botocore retries throttling first (adaptive mode slows the client
        down); if IAM still throttles, wait with jittered backoff rather than fail the run."""
        method = getattr(self._client, xform_name(action))
        delay, deadline = 1.0, time.monotonic() + self._throttle_patience
        while True:
            with self._lock:
                self._calls[action] += 1
            try:
                return method(**params)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in _THROTTLE_CODES or time.monotonic() + delay > deadline:
                    raise
            with self._lock:
                self.throttle_waits += 1
            time.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 30.0)

    def _all_pages(self, action: str, **params: Any) -> list[dict[str, Any]]:
        """Follow ``Marker`` until ``IsTruncated`` is false."""
        pages: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            page = self._call(action, **params, **({"Marker": marker} if marker else {}))
            pages.append(page)
            if not page.get("IsTruncated"):
                return pages
            marker = page.get("Marker")
            if not marker:
                raise IAMCollectionError(f"iam:{action} said IsTruncated without a Marker")

    def _pages(self, action: str, key: str, **params: Any) -> list[Any]:
        """Every page's ``key`` list, concatenated."""
        return [item for page in self._all_pages(action, **params) for item in page.get(key, [])]

    def _read(self, user: RawUser, field_name: str, read: Callable[[], Any]) -> Any:
        """Run one per-user read; denial makes the field unknown, deletion drops the user."""
        try:
            return read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _DENIED_CODES:
                operation = error.operation_name
                user["UnknownFields"][field_name] = f"{code} on iam:{operation}"
                return None
            if code == _GONE_CODE:
                raise _UserGone(error.response["Error"].get("Message", "")) from error
            raise

    # -- public -----------------------------------------------------------------------------
    def list_users(self) -> list[dict[str, Any]]:
        """Every user of the account, following every page."""
        return self._pages("ListUsers", "Users", MaxItems=1000)

    def collect(self, strategy: str = "auto") -> CollectionResult:
        """The full inventory: one raw user per IAM user still present at the end of the read.

        ``auto`` uses the bulk APIs and falls back to per-user calls when they are denied;
        ``bulk`` fails instead of falling back; ``per_user`` never tries the bulk APIs.
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
        started = time.monotonic()
        try:
            if strategy != "per_user":
                try:
                    return self._collect_bulk(started)
                except _BulkDenied as denied:
                    if strategy == "bulk":
                        raise IAMCollectionError(
                            f"The bulk strategy was requested but {denied}. Grant it (see"
                            " iam_assets/collect/iam_policy.json) or use the auto strategy."
                        ) from None
                    reason = f"bulk APIs not granted ({denied}): per-user calls"
                    self._note(f"Falling back to per-user IAM calls: {denied}")
            else:
                reason = "per-user strategy requested in configuration"
            return self._collect_per_user(started, reason)
        except ClientError as error:
            raise IAMCollectionError(_describe(error, "read the account's IAM users")) from error
        except BotoCoreError as error:  # no credentials, endpoint unreachable, ...
            raise IAMCollectionError(
                f"Could not read the account's IAM users: {error}. Check the AWS credentials"
                " chain and, if set, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_IAM."
            ) from error

    def _collect_per_user(self, started: float, reason: str) -> CollectionResult:
        users, dropped = self._read_many(self.list_users())
        return CollectionResult(
            users=users,
            strategy="per_user",
            strategy_reason=reason,
            dropped=dropped,
            calls=Counter(self._calls),
            throttle_waits=self.throttle_waits,
            not_read=NOT_READ_PER_USER,
            seconds=time.monotonic() - started,
        )

    def _collect_bulk(self, started: float) -> CollectionResult:
        details = self._bulk_call(
            lambda: self._all_pages(
                "GetAccountAuthorizationDetails", Filter=["User", "Group"], MaxItems=1000
            )
        )
        generated_at, report = self._bulk_call(self._credential_report)
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
        completed, dropped = self._read_many(per_user)
        users = sorted(users + completed, key=lambda user: user["UserName"])
        self._note_report(report, generated_at, len(per_user) - len(rejected), rejected)
        return CollectionResult(
            users=users,
            strategy="bulk",
            strategy_reason="bulk APIs granted: authorization details + credential report",
            dropped=dropped,
            calls=Counter(self._calls),
            seconds=time.monotonic() - started,
            report_generated_at=generated_at,
            completed_per_user=sorted(detail["UserName"] for detail in per_user),
            report_rows_rejected=dict(sorted(rejected.items())),
            not_read=NOT_READ_BY_BULK,
            throttle_waits=self.throttle_waits,
        )

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

    def _bulk_call(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _DENIED_CODES:
                raise _BulkDenied(f"{code} on iam:{error.operation_name}") from error
            raise

    def _credential_report(self) -> tuple[str | None, CredentialReport]:
        """Generate the report, wait while IAM builds it (with backoff), fetch and parse it."""
        deadline = time.monotonic() + self._report_timeout
        delay = self._report_poll
        while True:
            try:
                ready = self._call("GenerateCredentialReport").get("State") == "COMPLETE"
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "LimitExceeded":
                    raise
                ready = False  # too many generations at once: wait, then ask again
            if ready:
                try:
                    report = self._call("GetCredentialReport")
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") not in _REPORT_RETRY_CODES:
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

    def _read_many(
        self, summaries: list[dict[str, Any]]
    ) -> tuple[list[RawUser], list[dict[str, str]]]:
        """Read users in parallel; the deleted ones are dropped with a note."""
        dropped: list[dict[str, str]] = []
        users: list[RawUser] = []
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            outcomes = pool.map(self._collect_one, summaries)
            for summary, outcome in zip(summaries, outcomes, strict=True):
                if isinstance(outcome, _UserGone):
                    reason = f"deleted during collection ({outcome})"
                    dropped.append({"UserName": summary["UserName"], "reason": reason})
                    self._note(f"Dropped IAM user {summary['UserName']}: {reason}")
                else:
                    users.append(outcome)
        users.sort(key=lambda user: user["UserName"])
        return users, dropped

    def _collect_one(self, summary: dict[str, Any]) -> RawUser | _UserGone:
        try:
            return self.read_user(summary)
        except _UserGone as gone:
            return gone
        except ClientError as error:
            raise IAMCollectionError(
                _describe(error, f"read IAM user {summary.get('UserName')!r}")
            ) from error

    def read_user(self, summary: dict[str, Any]) -> RawUser:
        """Everything the seed's raw shape holds for one user, plus groups and policy names."""
        name = summary["UserName"]
        user: RawUser = {"UnknownFields": {}}

        details = self._read(
            user, "PasswordLastUsed", lambda: self._call("GetUser", UserName=name)["User"]
        )
        base = details if details is not None else summary
        user.update(
            UserId=base["UserId"],
            UserName=base["UserName"],
            Arn=base["Arn"],
            Path=base["Path"],
            CreateDate=iso_utc(base["CreateDate"]),
            PasswordLastUsed=iso_utc(details.get("PasswordLastUsed")) if details else None,
        )
        keys = self._read(
            user,
            "AccessKeys",
            lambda: self._pages("ListAccessKeys", "AccessKeyMetadata", UserName=name),
        )
        user["AccessKeys"] = (
            None
            if keys is None
            else [
                {
                    "AccessKeyId": key["AccessKeyId"],
                    "Status": key["Status"],
                    "CreateDate": iso_utc(key.get("CreateDate")),
                }
                for key in keys
            ]
        )
        devices = self._read(
            user, "MFADevices", lambda: self._pages("ListMFADevices", "MFADevices", UserName=name)
        )
        user["MFADevices"] = (
            None
            if devices is None
            else [
                {
                    "SerialNumber": device["SerialNumber"],
                    "EnableDate": iso_utc(device["EnableDate"]),
                }
                for device in devices
            ]
        )
        user["MFAActive"] = None if devices is None else len(devices) > 0
        user["ConsoleAccessEnabled"] = self._read(
            user, "ConsoleAccessEnabled", lambda: self._has_login_profile(name)
        )
        tags = self._read(user, "Tags", lambda: self._pages("ListUserTags", "Tags", UserName=name))
        user["Tags"] = (
            None if tags is None else [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tags]
        )
        groups = self._read(
            user, "Groups", lambda: self._pages("ListGroupsForUser", "Groups", UserName=name)
        )
        user["Groups"] = (
            None if groups is None else [self._group(user, group["GroupName"]) for group in groups]
        )
        attached = self._read(
            user,
            "AttachedPolicies",
            lambda: self._pages("ListAttachedUserPolicies", "AttachedPolicies", UserName=name),
        )
        user["AttachedPolicies"] = (
            None if attached is None else [policy["PolicyName"] for policy in attached]
        )
        user["InlinePolicies"] = self._read(
            user,
            "InlinePolicies",
            lambda: self._pages("ListUserPolicies", "PolicyNames", UserName=name),
        )
        user["AdminInline"] = None  # documents are not read per user
        return user

    def _has_login_profile(self, name: str) -> bool:
        """A login profile means console access; ``NoSuchEntity`` here means there is none."""
        try:
            self._call("GetLoginProfile", UserName=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == _GONE_CODE:
                return False
            raise
        return True

    def _group(self, user: RawUser, group_name: str) -> dict[str, Any]:
        """A group with its policy names, read once per group per collection."""
        with self._lock:
            cached = self._group_policies.get(group_name)
        if cached is None:
            denied: dict[str, str] = {}
            attached = _denied_as_none(
                denied,
                "AttachedPolicies",
                lambda: [
                    policy["PolicyName"]
                    for policy in self._pages(
                        "ListAttachedGroupPolicies", "AttachedPolicies", GroupName=group_name
                    )
                ],
            )
            inline = _denied_as_none(
                denied,
                "InlinePolicies",
                lambda: self._pages("ListGroupPolicies", "PolicyNames", GroupName=group_name),
            )
            cached = (attached, inline, denied)
            with self._lock:
                self._group_policies[group_name] = cached
        attached, inline, denied = cached
        for field_name, reason in denied.items():
            user["UnknownFields"][f"Groups[{group_name}].{field_name}"] = reason
        return {"GroupName": group_name, "AttachedPolicies": attached, "InlinePolicies": inline}


def _denied_as_none(denied: dict[str, str], field_name: str, read: Callable[[], Any]) -> Any:
    try:
        return read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _DENIED_CODES:
            denied[field_name] = f"{code} on iam:{error.operation_name}"
            return None
        raise


def _describe(error: ClientError, doing: str) -> str:
    """A message that says what failed and what to do, without any credential material."""
    code = error.response.get("Error", {}).get("Code", "Unknown")
    message = error.response.get("Error", {}).get("Message", "")
    hint = ""
    if code in _DENIED_CODES:
        hint = (
            " Grant the actions in iam_assets/collect/iam_policy.json to the collecting principal."
        )
    elif code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}:
        hint = " Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE)."
    elif code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
        hint = " The session token expired: refresh AWS_SESSION_TOKEN or the SSO login."
    return f"Could not {doing}: {code}: {message}.{hint}"


def _bulk_user(
    detail: dict[str, Any],
    row: ReportRow,
    groups: dict[str, dict[str, Any]],
    unknown: Mapping[str, str],
) -> RawUser:
    """One raw user from its authorization details and its credential report row; ``unknown``
    names the fields the report has no column for (``None`` in the row, never ``[]``/``False``)."""
    user: RawUser = {
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
        "Tags": [{"Key": tag["Key"], "Value": tag["Value"]} for tag in detail.get("Tags", [])],
        "Groups": [],
        "AttachedPolicies": [p["PolicyName"] for p in detail.get("AttachedManagedPolicies", [])],
        "InlinePolicies": [p["PolicyName"] for p in detail.get("UserPolicyList", [])],
        "AdminInline": any(
            allows_everything(p.get("PolicyDocument")) for p in detail.get("UserPolicyList", [])
        )
        or any(
            allows_everything(p.get("PolicyDocument"))
            for name in detail.get("GroupList", [])
            for p in groups.get(name, {}).get("GroupPolicyList", [])
        ),
        "UnknownFields": dict(unknown),
    }
    for name in detail.get("GroupList", []):
        group = groups.get(name)
        if group is None:
            user["UnknownFields"][f"Groups[{name}]"] = "group missing from authorization details"
        user["Groups"].append(
            {
                "GroupName": name,
                "AttachedPolicies": None
                if group is None
                else [p["PolicyName"] for p in group.get("AttachedManagedPolicies", [])],
                "InlinePolicies": None
                if group is None
                else [p["PolicyName"] for p in group.get("GroupPolicyList", [])],
            }
        )
    return user


def collect_users(
    client: Any,
    *,
    strategy: str = "auto",
    max_workers: int = 4,
    note: Callable[[str], None] | None = None,
    report_poll_seconds: float = 1.0,
) -> CollectionResult:
    """Convenience wrapper: the full inventory of the account behind ``client``."""
    collector = IAMUserCollector(
        client, max_workers=max_workers, note=note, report_poll_seconds=report_poll_seconds
    )
    return collector.collect(strategy)

"""The per-user strategy (the Sekoia.io connector's way): about twelve calls a user (plus one per
access key and one per inline policy), in a bounded thread pool, each group's policies and each
managed policy's document read once. Also reads the users the
bulk strategy cannot, and runs the bulk strategy's per-user calls in the same pool.

A user deleted while being read (``NoSuchEntity``) is dropped with a note; a denied call leaves
its field ``None`` and named in the user's ``UnknownFields``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from iam_assets.collect import credentials, policies
from iam_assets.collect.client import IAMCalls, IAMCollectionError, describe
from iam_assets.collect.credentials import UserGone, denied_as_none, read_about_user
from iam_assets.collect.policies import PolicyReader
from iam_assets.collect.records import Group, PolicyGrant, RawUser, iso_utc, tags

# What ``each`` reads users from: ListUsers entries, or raw users the bulk strategy completes
Summary = TypeVar("Summary", bound=Mapping[str, Any])

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
    "iam:GetAccessKeyLastUsed",
    "iam:ListSigningCertificates",
    "iam:ListSSHPublicKeys",
    "iam:ListServiceSpecificCredentials",
    "iam:GetAccountSummary",
    "iam:GetUserPolicy",
    "iam:GetGroupPolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
# Raw fields this strategy does not read (it reads them all).
NOT_READ_PER_USER: tuple[str, ...] = ()

# A group's policy names (attached, inline; None where denied), field -> why denied, and the
# group's policies with their documents.
_GroupPolicies = tuple[list[str] | None, list[str] | None, dict[str, str], list[PolicyGrant]]


class PerUserReader:
    """Reads users one by one in a bounded thread pool, sharing one ``IAMCalls``."""

    def __init__(
        self,
        calls: IAMCalls,
        *,
        max_workers: int,
        note: Callable[[str], None],
        skipped: frozenset[str] = frozenset(),
    ) -> None:
        self._calls = calls
        # Credential listings not read at all (by configuration): their fields stay None and
        # are reported as not read by the strategy, not as denied.
        self.skipped = skipped
        self._max_workers = max_workers
        self._note = note
        self._lock = threading.Lock()
        self._group_policies: dict[str, _GroupPolicies] = {}
        self.policies = PolicyReader(calls)  # managed policies' documents, shared with bulk

    def list_users(self) -> list[dict[str, Any]]:
        """Every user of the account, following every page."""
        return self._calls.items("ListUsers", "Users", MaxItems=1000)

    def read_many(
        self, summaries: list[dict[str, Any]]
    ) -> tuple[list[RawUser], list[dict[str, str]]]:
        """Read users in parallel, sorted by name; the deleted ones are dropped with a note."""
        return self.each(summaries, self.read_user)

    def each(
        self, summaries: list[Summary], read: Callable[[Summary], RawUser]
    ) -> tuple[list[RawUser], list[dict[str, str]]]:
        """``read`` every user (a dict with ``UserName``) in the pool, sorted by name; a user
        deleted meanwhile (``UserGone``) is dropped with a note."""
        dropped: list[dict[str, str]] = []
        users: list[RawUser] = []
        with ThreadPoolExecutor(max_workers=self._max_workers) as pool:
            outcomes = pool.map(lambda summary: self._read_or_gone(summary, read), summaries)
            for summary, outcome in zip(summaries, outcomes, strict=True):
                if isinstance(outcome, UserGone):
                    reason = f"deleted during collection ({outcome})"
                    dropped.append({"UserName": summary["UserName"], "reason": reason})
                    self._note(f"Dropped IAM user {summary['UserName']}: {reason}")
                else:
                    users.append(outcome)
        users.sort(key=lambda user: user["UserName"])
        return users, dropped

    def _read_or_gone(
        self, summary: Summary, read: Callable[[Summary], RawUser]
    ) -> RawUser | UserGone:
        try:
            return read(summary)
        except UserGone as gone:
            return gone
        except ClientError as error:
            raise IAMCollectionError(
                describe(error, f"read IAM user {summary.get('UserName')!r}")
            ) from error

    def read_user(self, summary: dict[str, Any]) -> RawUser:
        """Everything the raw user holds for one user (``summary``: its ListUsers entry)."""
        name = summary["UserName"]
        unknown: dict[str, str] = {}

        def listed(field_name: str, action: str, key: str) -> list[Any] | None:
            """One of the user's listings, every page; ``None`` (unknown) when denied."""
            return read_about_user(
                unknown, field_name, lambda: self._calls.items(action, key, UserName=name)
            )

        details = read_about_user(
            unknown, "PasswordLastUsed", lambda: self._calls.call("GetUser", UserName=name)["User"]
        )
        if details is None:
            unknown["PermissionsBoundary"] = unknown["PasswordLastUsed"]
        base = details if details is not None else summary
        keys = listed("AccessKeys", "ListAccessKeys", "AccessKeyMetadata")
        devices = credentials.listed(self._calls, unknown, "MFADevices", name)
        console = read_about_user(
            unknown,
            "ConsoleAccessEnabled",
            lambda: credentials.has_login_profile(self._calls, name),
        )
        user_tags = listed("Tags", "ListUserTags", "Tags")
        member_of = listed("Groups", "ListGroupsForUser", "Groups")
        through_groups: list[PolicyGrant] = []
        groups = (
            None
            if member_of is None
            else [self._group(unknown, group, through_groups) for group in member_of]
        )
        attached = listed("AttachedPolicies", "ListAttachedUserPolicies", "AttachedPolicies")
        inline = listed("InlinePolicies", "ListUserPolicies", "PolicyNames")
        grants = self._user_grants(name, attached or [], inline or []) + through_groups
        bound = None if details is None else boundary(details)
        if bound:
            grants.append(
                self.policies.managed(bound.rsplit("/", 1)[-1], bound, policies.BOUNDARY_VIA)
            )
        policies.unknown_documents(grants, unknown)

        def credential_list(raw_field: str) -> list[Any] | None:
            if raw_field in self.skipped:
                return None
            return credentials.listed(self._calls, unknown, raw_field, name)

        return {
            "UnknownFields": unknown,
            "UserId": base["UserId"],
            "UserName": base["UserName"],
            "Arn": base["Arn"],
            "Path": base["Path"],
            "CreateDate": iso_utc(base["CreateDate"]),
            "PasswordLastUsed": iso_utc(details.get("PasswordLastUsed")) if details else None,
            "AccessKeys": None
            if keys is None
            else credentials.access_keys(self._calls, unknown, keys),
            "MFADevices": devices,
            "MFAActive": None if devices is None else len(devices) > 0,
            "ConsoleAccessEnabled": console,
            "Tags": None if user_tags is None else tags(user_tags),
            "Groups": groups,
            "AttachedPolicies": None if attached is None else [p["PolicyName"] for p in attached],
            "InlinePolicies": inline,
            "Policies": grants,
            "SigningCertificates": credential_list("SigningCertificates"),
            "SSHPublicKeys": credential_list("SSHPublicKeys"),
            "ServiceSpecificCredentials": credential_list("ServiceSpecificCredentials"),
            "PermissionsBoundary": bound,
        }

    def _user_grants(
        self, name: str, attached: list[dict[str, Any]], inline: list[str]
    ) -> list[PolicyGrant]:
        """The user's own policies with their documents (one ``GetUserPolicy`` per inline
        policy; managed documents come from the shared reader)."""
        via = policies.USER_VIA
        return [self.policies.managed(p["PolicyName"], p["PolicyArn"], via) for p in attached] + [
            policies.inline(self._calls, "GetUserPolicy", policy, via, UserName=name)
            for policy in inline
        ]

    def _group(
        self, unknown: dict[str, str], listed: dict[str, Any], grants: list[PolicyGrant]
    ) -> Group:
        """A group as ListGroupsForUser lists it, with its policy names (its policies with their
        documents go to ``grants``); what was denied is named in the user's ``unknown``."""
        group_name = listed["GroupName"]
        attached, inline, denied, group_grants = self._policies_of(group_name)
        grants += group_grants
        for field_name, reason in denied.items():
            unknown[f"Groups[{group_name}].{field_name}"] = reason
        return {
            "GroupName": group_name,
            "Arn": listed.get("Arn"),
            "AttachedPolicies": attached,
            "InlinePolicies": inline,
        }

    def _policies_of(self, group_name: str) -> _GroupPolicies:
        """A group's policy names, read once per group per collection."""
        with self._lock:
            cached = self._group_policies.get(group_name)
        if cached is not None:
            return cached
        denied: dict[str, str] = {}
        attached = denied_as_none(
            denied,
            "AttachedPolicies",
            lambda: self._calls.items(
                "ListAttachedGroupPolicies", "AttachedPolicies", GroupName=group_name
            ),
        )
        inline = denied_as_none(
            denied,
            "InlinePolicies",
            lambda: self._calls.items("ListGroupPolicies", "PolicyNames", GroupName=group_name),
        )
        via = policies.group_via(group_name)
        grants = [
            self.policies.managed(p["PolicyName"], p["PolicyArn"], via) for p in attached or []
        ] + [
            policies.inline(self._calls, "GetGroupPolicy", policy, via, GroupName=group_name)
            for policy in inline or []
        ]
        names = None if attached is None else [p["PolicyName"] for p in attached]
        cached = (names, inline, denied, grants)
        with self._lock:
            self._group_policies[group_name] = cached
        return cached


def boundary(user: dict[str, Any]) -> str:
    """The ARN of a user's permissions boundary (``GetUser`` or authorization details); ``""``
    when it has none."""
    return (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or ""

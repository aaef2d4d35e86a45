"""The policy documents behind a user's permissions, read for both strategies alike.

A user's permissions come from managed policies (the *default version's* document) and inline
policies, attached to the user or to one of their groups, capped by a permissions boundary. Each
becomes a ``PolicyGrant`` of the raw user, holding the document itself (parsed JSON), or ``None``
with the reason it could not be read; judging what the documents allow is the analysis stage's.

``PolicyReader`` reads each managed policy's default version at most once per collection (keyed
by ARN), whichever thread asks first; the bulk strategy preloads it from the authorization
details and one ``ListPolicies`` of the attached AWS managed policies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from iam_assets.collect.client import GONE_CODE, IAMCalls, Unsupported, denial, error_code
from iam_assets.collect.records import PolicyGrant

# (document or None, version id or None, why it could not be read or None)
_Read = tuple[dict[str, Any] | None, str | None, str | None]


def parse_document(document: Any) -> dict[str, Any] | None:
    """A policy document as a dict: IAM returns documents URL-encoded JSON text (RFC 3986);
    boto3 usually decodes them already. ``None`` when it is not a JSON object."""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            try:
                document = json.loads(document)
            except ValueError:
                return None
    return dict(document) if isinstance(document, Mapping) else None


def grant(
    name: str,
    via: str,
    document: Any,
    *,
    arn: str | None = None,
    version: str | None = None,
    unreadable: str | None = None,
) -> PolicyGrant:
    """One policy that applies to a user; an unparseable document counts as unreadable."""
    parsed = None if unreadable is not None else parse_document(document)
    if parsed is None and unreadable is None:
        unreadable = "the policy document is not a JSON object"
    return {
        "PolicyName": name,
        "PolicyArn": arn,
        "Via": via,
        "VersionId": version,
        "Document": parsed,
        "Unreadable": unreadable,
    }


def unknown_documents(grants: Iterable[PolicyGrant], unknown: dict[str, str]) -> None:
    """Name each unreadable document in the user's ``UnknownFields``."""
    for item in grants:
        if item["Unreadable"] is not None:
            unknown[f"Policies[{item['Via']}:{item['PolicyName']}]"] = item["Unreadable"]


def group_via(group: str) -> str:
    return f"group {group}"


USER_VIA = "user"
BOUNDARY_VIA = "boundary"


class PolicyReader:
    """Managed policies' default documents, read once per ARN and shared by every thread."""

    def __init__(self, calls: IAMCalls) -> None:
        self._calls = calls
        self._lock = threading.Lock()
        self._read: dict[str, _Read] = {}
        self._pending: dict[str, threading.Event] = {}
        self._versions: dict[str, str] = {}

    def preload(self, arn: str, document: Any, version: str | None) -> None:
        """A default version already in hand (authorization details)."""
        parsed = parse_document(document)
        reason = None if parsed is not None else "the policy document is not a JSON object"
        with self._lock:
            self._read[arn] = (parsed, version, reason)

    def preload_authorization_details(self, policies: Iterable[Mapping[str, Any]]) -> None:
        """The ``Policies`` of ``GetAccountAuthorizationDetails``: every version is listed, the
        default one marked ``IsDefaultVersion``."""
        for policy in policies:
            for version in policy.get("PolicyVersionList", []):
                if version.get("IsDefaultVersion"):
                    self.preload(policy["Arn"], version.get("Document"), version.get("VersionId"))

    def managed(self, name: str, arn: str, via: str) -> PolicyGrant:
        """The grant of managed policy ``arn`` through ``via``, its default document read once."""
        document, version, reason = self._default_version(arn)
        return grant(name, via, document, arn=arn, version=version, unreadable=reason)

    def known_versions(self, versions: Mapping[str, str]) -> None:
        """Default version ids known from ``ListPolicies``: one ``GetPolicyVersion`` each then
        suffices (no ``GetPolicy``)."""
        with self._lock:
            self._versions.update(versions)

    def _default_version(self, arn: str) -> _Read:
        with self._lock:
            if arn in self._read:
                return self._read[arn]
            event = self._pending.get(arn)
            owner = event is None
            if owner:
                event = self._pending[arn] = threading.Event()
        assert event is not None
        if not owner:
            event.wait()
            with self._lock:
                return self._read[arn]
        try:
            found = self._fetch(arn)
        except BaseException:
            with self._lock:
                self._pending.pop(arn, None)
            event.set()
            raise
        with self._lock:
            self._read[arn] = found
            self._pending.pop(arn, None)
        event.set()
        return found

    def _fetch(self, arn: str) -> _Read:
        """``GetPolicy`` (unless the default version is known) then ``GetPolicyVersion``."""
        try:
            version = self._versions.get(arn)
            if version is None:
                version = self._calls.call("GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            answer = self._calls.call("GetPolicyVersion", PolicyArn=arn, VersionId=version)
            return answer["PolicyVersion"].get("Document"), version, None
        except Unsupported as unsupported:
            return None, None, str(unsupported)
        except ClientError as error:
            reason = denial(error)
            if reason is None and error_code(error) == GONE_CODE:
                reason = f"{GONE_CODE}: the policy was deleted while it was read"
            if reason is None:
                raise
            return None, None, reason


def inline(calls: IAMCalls, action: str, name: str, via: str, **owner: str) -> PolicyGrant:
    """An inline policy's document (``GetUserPolicy`` / ``GetGroupPolicy``); denied or gone
    leaves it unreadable, with the reason."""
    try:
        document = calls.call(action, PolicyName=name, **owner)["PolicyDocument"]
    except ClientError as error:
        reason = denial(error)
        if reason is None and error_code(error) == GONE_CODE:
            reason = f"{GONE_CODE}: the policy was deleted while it was read"
        if reason is None:
            raise
        return grant(name, via, None, unreadable=reason)
    return grant(name, via, document)

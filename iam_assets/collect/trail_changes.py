"""Which users changed, and what of them, since a moment: CloudTrail's event history.

The credential report may be up to 4 hours old, and facts IAM tells only per user (SSH keys,
MFA device lists) are carried from earlier runs; both are right only if nothing changed since
they were read. CloudTrail's event history (``LookupEvents``: the last 90 days of management
events, free, 2 requests a second per account and region; IAM's events are recorded in
us-east-1, us-gov-west-1 or cn-north-1, by partition) says who changed what. One lookup per
event name below keeps the pages to the changes themselves, not to every IAM read of the
account.

Sources: AWS CloudTrail API reference, LookupEvents (one lookup attribute per call, at most 50
events a page, ``NextToken``, newest first); IAM User Guide, "Logging IAM and AWS STS API calls
with AWS CloudTrail" (IAM events in us-east-1; ``requestParameters.userName``, absent when a
user acts on their own credentials, then ``userIdentity.userName``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iam_assets.collect.client import DENIED_CODES, error_code
from iam_assets.collect.timestamps import to_utc

# IAM event -> the raw fields it can change that the run does not read live (the credential
# report's fields, and the facts carried from earlier runs). Groups, policies, tags, users
# created, renamed or deleted come from the authorization details, read live every run.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "CreateAccessKey": ("AccessKeys",),
    "UpdateAccessKey": ("AccessKeys",),
    "DeleteAccessKey": ("AccessKeys",),
    "CreateLoginProfile": ("ConsoleAccessEnabled",),
    "DeleteLoginProfile": ("ConsoleAccessEnabled",),
    "EnableMFADevice": ("MFADevices",),
    "DeactivateMFADevice": ("MFADevices",),
    "UploadSigningCertificate": ("SigningCertificates",),
    "UpdateSigningCertificate": ("SigningCertificates",),
    "DeleteSigningCertificate": ("SigningCertificates",),
    "UploadSSHPublicKey": ("SSHPublicKeys",),
    "UpdateSSHPublicKey": ("SSHPublicKeys",),
    "DeleteSSHPublicKey": ("SSHPublicKeys",),
}
ACTION = "cloudtrail:LookupEvents"
ROOT = "<root_account>"  # whom an event on the root user's own credentials changed
RETENTION = timedelta(days=90)
# CloudTrail shows an event in its history within minutes of the call, not at once: look back
# this far before the moment a fact was read.
DELIVERY_MARGIN = timedelta(minutes=15)
_PAUSE_SECONDS = 0.5  # CloudTrail allows 2 LookupEvents a second per account and region


@dataclass(frozen=True)
class Change:
    """One IAM event that changed ``user``'s ``fields`` at ``at``."""

    user: str
    fields: tuple[str, ...]
    at: datetime
    event: str


@dataclass
class TrailChanges:
    """The changes found since ``since``; ``unavailable`` says why none could be read."""

    since: datetime
    changes: list[Change] = field(default_factory=list)
    unavailable: str | None = None
    calls: int = 0
    unattributed: list[str] = field(default_factory=list)  # events naming no user

    @property
    def known(self) -> bool:
        return self.unavailable is None

    def changed_since(self, user: str, raw_field: str, moment: datetime) -> bool:
        """Whether ``user``'s ``raw_field`` may have changed after ``moment`` (a read). IAM
        user names are unique regardless of case, and an event names the user as its caller
        typed it: names are compared case-insensitively."""
        cutoff = moment - DELIVERY_MARGIN
        name = user.casefold()
        return any(
            change.user.casefold() == name and raw_field in change.fields and change.at >= cutoff
            for change in self.changes
        )


def read_changes(
    client: Any,
    windows: Mapping[str, datetime],
    until: datetime,
    *,
    pause: Callable[[float], None] = time.sleep,
) -> TrailChanges:
    """Every event of ``EVENT_FIELDS`` that can change a field of ``windows`` (field -> since
    when), from that moment (minus the delivery margin, at most 90 days back) to ``until``; a
    denial or an unreachable CloudTrail is reported, not raised."""
    floor = until - RETENTION
    starts = {
        name: max(min(windows[f] for f in touched if f in windows) - DELIVERY_MARGIN, floor)
        for name, touched in EVENT_FIELDS.items()
        if set(touched) & set(windows)
    }
    found = TrailChanges(since=min(starts.values(), default=until))
    try:
        for event_name, start in starts.items():
            token: str | None = None
            while True:
                if found.calls:
                    pause(_PAUSE_SECONDS)
                found.calls += 1
                page = client.lookup_events(
                    LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}],
                    StartTime=start,
                    EndTime=until,
                    MaxResults=50,
                    **({"NextToken": token} if token else {}),
                )
                _collect(page.get("Events", []), found)
                token = page.get("NextToken")
                if not token:
                    break
    except ClientError as error:
        code = error_code(error, "Unknown")
        what = "not allowed" if code in DENIED_CODES else "failed"
        found.unavailable = f"{code} on {ACTION} ({what})"
        found.changes.clear()
    except BotoCoreError as error:
        found.unavailable = f"{ACTION} could not be reached ({type(error).__name__})"
        found.changes.clear()
    return found


def _collect(events: Iterable[dict[str, Any]], found: TrailChanges) -> None:
    for event in events:
        name = event.get("EventName", "")
        fields = EVENT_FIELDS.get(name)
        at = to_utc(event.get("EventTime"))
        if fields is None or at is None:
            continue
        if _failed(event):
            continue  # a refused call changed nothing
        user = _target_user(event)
        if user is None:
            found.unattributed.append(f"{name} at {at:%Y-%m-%dT%H:%M:%SZ}")
            continue
        found.changes.append(Change(user=user, fields=fields, at=at, event=name))


def _detail(event: dict[str, Any]) -> dict[str, Any]:
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def _failed(event: dict[str, Any]) -> bool:
    return bool(_detail(event).get("errorCode"))


def _target_user(event: dict[str, Any]) -> str | None:
    """The user an event acted on: its ``userName`` parameter, else the caller itself when an
    IAM user acted on their own credentials, else the event's ``AWS::IAM::User`` resource."""
    detail = _detail(event)
    parameters = detail.get("requestParameters") or {}
    if isinstance(parameters, dict) and parameters.get("userName"):
        return str(parameters["userName"])
    identity = detail.get("userIdentity") or {}
    if (
        isinstance(identity, dict)
        and identity.get("type") == "IAMUser"
        and identity.get("userName")
    ):
        return str(identity["userName"])
    for resource in event.get("Resources") or []:
        if resource.get("ResourceType") == "AWS::IAM::User" and resource.get("ResourceName"):
            return str(resource["ResourceName"])
    if isinstance(identity, dict) and identity.get("type") == "Root":
        return ROOT  # the root user acting on its own credentials
    return None

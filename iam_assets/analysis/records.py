"""The records analysis hands on, as types: plain Python values, ``None`` meaning unknown.

``EnrichedUser`` is one row of the enriched users table (``enrich.enrich_user``, or
``enrich.to_records`` of the table), what the OCSF mappers read; ``TrackedUser`` is one user of a
change-tracking snapshot (``changes.snapshot``), what is saved between runs; ``Finding`` is one
security-relevant change between two snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NotRequired, TypedDict

# What a finding is about: an admin without MFA (new, or an existing user who became one), a
# console user who lost MFA, a credential an existing user can newly use (new or reactivated).
FindingKind = Literal[
    "admin_without_mfa",
    "console_user_lost_mfa",
    "usable_credential",
    "became_admin",
    "gained_escalation_path",
]


class GroupDetail(TypedDict):
    """One group of a user: what the Asset inventory's group object carries."""

    name: str
    arn: str | None  # None: unknown
    policies: list[str] | None  # the group's managed and inline policy names; None: unknown


class EnrichedUser(TypedDict):
    """One IAM user, enriched; the keys are the table's columns, in its order."""

    user_id: str
    user_name: str
    arn: str
    account_id: str | None  # None: the ARN holds no account id
    path: str
    # ISO 8601 text from ``enrich_user``; a datetime once read back from the table
    created_at: datetime | str
    password_last_used_at: datetime | str | None  # None: never used, or unknown
    is_console_user: bool | None
    has_mfa: bool | None
    mfa_device_count: int | None
    active_access_keys: int | None
    access_key_count: int | None
    console_without_mfa: bool | None
    is_admin: bool | None  # every action on every resource (``analysis.privilege``)
    admin_reasons: list[str]  # which policy and statement make it so, or why not / unknown
    can_become_admin: bool | None  # a known escalation path is open (``analysis.escalation``)
    escalation_paths: list[str]  # each open path, the statements that open it, its write-up
    oldest_active_key_days: int | None  # None: no active key, or unknown
    # Credentials beyond the password (``analysis.credentials``); None: unknown
    access_keys_unused_90d: int | None  # active keys last used (or, never used, created) 90+ d ago
    access_keys_never_used: int | None  # active keys never used
    last_key_use_at: datetime | str | None  # the most recent use of any key; None: none, unknown
    last_key_use_service: str | None
    last_key_use_region: str | None
    active_signing_certificates: int | None
    active_ssh_keys: int | None
    active_service_credentials: int | None
    service_credential_services: list[str] | None  # of the active ones, sorted
    mfa_kinds: list[str] | None  # sorted distinct: "fido", "hardware", "virtual"
    has_hardware_mfa: bool | None  # a FIDO or hardware device
    permissions_boundary: str | None  # the boundary policy's ARN; "" none
    # Per-user facts carried from an earlier run -> when they were read (ISO); {}: all read now
    facts_read_at: dict[str, str]
    tags: dict[str, str] | None
    groups: list[str] | None
    group_details: list[GroupDetail] | None  # the same groups, with their ARN and policies
    attached_policies: list[str] | None
    inline_policies: list[str] | None
    group_policies: list[str] | None  # the policies of all the user's groups, merged
    unknown_fields: list[str]  # the raw fields whose read was denied
    # kind -> {identity: status, an MFA device's kind}, None unknown (``credentials.identities``)
    credentials: dict[str, dict[str, str] | None]
    # The stalest active key's idle days: since its last use, or creation if never used; None:
    # no active key, or unknown (``analysis.user_controls``)
    key_unused_days: int | None
    # The user-level controls (``analysis.controls``, by check name) the user fails, and those
    # it could not be judged by (a fact unknown): never counted as passed
    failed_controls: list[str]
    controls_not_evaluated: list[str]


class TrackedUser(TypedDict):
    """What a snapshot keeps of one user (keyed by user id): the fields whose changes matter."""

    user_name: str
    is_console_user: bool | None
    has_mfa: bool | None
    active_access_keys: int | None
    is_admin: bool | None
    groups: list[str] | None  # sorted
    # Absent from a snapshot that lacks the field: unknown, like the credentials below.
    can_become_admin: NotRequired[bool | None]
    # Credential identity -> status (an MFA device: its kind); None: unknown. Absent from a
    # snapshot that lacks the field, which is unknown too (``changes`` reads them with ``get``).
    access_keys: NotRequired[dict[str, str] | None]
    signing_certificates: NotRequired[dict[str, str] | None]
    ssh_keys: NotRequired[dict[str, str] | None]
    service_credentials: NotRequired[dict[str, str] | None]
    mfa_devices: NotRequired[dict[str, str] | None]


@dataclass(frozen=True)
class Finding:
    """A security-relevant change, as data: its kind, the user's name and what happened (in the
    words people read: "new access key"). ``str()`` is how it is reported: "<text>: <user>"."""

    kind: FindingKind
    user: str
    text: str

    def __str__(self) -> str:
        return f"{self.text}: {self.user}"

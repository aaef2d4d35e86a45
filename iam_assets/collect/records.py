"""The raw user: the record collection hands to the next stages, the same from both strategies.

It is the raw user of the Sekoia.io product page (its "API Response Examples"), plus groups,
policy names, the policy documents behind the user's permissions (``Policies``) and
``UnknownFields``. ``None`` means unknown (a call was denied,
or the strategy cannot read it), never ``False``, ``0`` or ``[]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from iam_assets.collect.timestamps import to_utc


class AccessKey(TypedDict):
    AccessKeyId: str | None  # None from the credential report, which does not tell key ids
    Status: str  # "Active" or "Inactive"
    CreateDate: str | None
    # None: never used, or unknown (then "AccessKeys[].LastUsed" is in UnknownFields).
    LastUsedDate: str | None
    LastUsedRegion: str | None  # None also where IAM says "N/A"
    LastUsedService: str | None  # the service's namespace, e.g. "s3"


class MFADevice(TypedDict):
    SerialNumber: str
    EnableDate: str | None
    Kind: str  # "virtual", "fido" or "hardware": see ``mfa_kind``


class SigningCertificate(TypedDict):
    CertificateId: str | None  # None from the credential report, which does not tell ids
    Status: str
    UploadDate: str | None  # the report's cert_N_last_rotated


class SSHPublicKey(TypedDict):
    SSHPublicKeyId: str
    Status: str
    UploadDate: str | None


class ServiceSpecificCredential(TypedDict):
    ServiceSpecificCredentialId: str
    ServiceName: str  # e.g. "codecommit.amazonaws.com"
    Status: str
    CreateDate: str | None


class Tag(TypedDict):
    Key: str
    Value: str


class Group(TypedDict):
    """A group the user is in, with the names of its policies (``None``: not known)."""

    GroupName: str
    Arn: str | None  # the group's ARN as IAM lists it; None: the group could not be read
    AttachedPolicies: list[str] | None
    InlinePolicies: list[str] | None


class PolicyGrant(TypedDict):
    """A policy that applies to the user, with its document (``collect.policies``)."""

    PolicyName: str
    PolicyArn: str | None  # a managed policy's ARN; None for an inline policy
    Via: str  # "user", "group <name>" or "boundary" (the permissions boundary)
    VersionId: str | None  # the managed policy's default version that was read
    Document: dict[str, Any] | None  # the parsed JSON document; None: could not be read
    Unreadable: str | None  # why the document could not be read


class RawUser(TypedDict):
    """One IAM user as collected; times are ISO 8601 in UTC with a trailing ``Z``."""

    UserId: str
    UserName: str
    Arn: str
    Path: str
    CreateDate: str | None
    PasswordLastUsed: str | None  # also None when the password was never used
    AccessKeys: list[AccessKey] | None
    MFADevices: list[MFADevice] | None
    MFAActive: bool | None
    ConsoleAccessEnabled: bool | None
    Tags: list[Tag] | None
    Groups: list[Group] | None
    AttachedPolicies: list[str] | None
    InlinePolicies: list[str] | None
    # Every policy that applies (managed, inline, through groups, the boundary), with its
    # document; the listings above say whether the set is complete (None there: unknown).
    Policies: list[PolicyGrant]
    SigningCertificates: list[SigningCertificate] | None
    SSHPublicKeys: list[SSHPublicKey] | None
    ServiceSpecificCredentials: list[ServiceSpecificCredential] | None
    PermissionsBoundary: str | None  # the boundary policy's ARN; "" when the user has none
    # Field (or ``Groups[<name>].<field>``) -> why it is unknown for this user.
    UnknownFields: dict[str, str]
    # Per-user facts (``SSHPublicKeys``, ``MFADevices``) -> when they were read: on an earlier
    # run when carried (``carried_facts``), else by this one. Absent: read by this run.
    FactsReadAt: NotRequired[dict[str, str]]


class RootAccount(TypedDict):
    """The account's root user, from the credential report's ``<root_account>`` row or, where
    the report is not read, from ``GetAccountSummary`` (which says whether keys or certificates
    are present, not how many: present counts as 1)."""

    MFAActive: bool | None
    ActiveAccessKeys: int | None
    ActiveSigningCertificates: int | None
    PasswordLastUsed: str | None  # also None when never used; GetAccountSummary cannot tell
    AccessKeysPresent: bool | None  # any access key, active or not
    AccessKeyLastUsed: str | None  # any key's most recent use; also None when never used
    Source: str  # "credential report", "GetAccountSummary" or "unknown"
    UnknownFields: dict[str, str]


def mfa_kind(serial: str) -> str:
    """An MFA device's kind from its serial: IAM names a virtual device ``arn:…:mfa/…`` and a
    FIDO security key ``arn:…:u2f/…``; a hardware TOTP token by its own serial (not an ARN)."""
    if not serial.startswith("arn:"):
        return "hardware"
    return "fido" if serial.split(":", 5)[-1].startswith("u2f/") else "virtual"


def iso_utc(value: datetime | str | None) -> str | None:
    """Render a timestamp as the raw user holds it: ISO 8601 in UTC with a trailing ``Z``."""
    moment = to_utc(value)
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tags(items: Iterable[Mapping[str, Any]]) -> list[Tag]:
    """The user's tags as IAM lists them, keeping only their key and value."""
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in items]

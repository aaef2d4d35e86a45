"""One raw user of the bulk strategy, joined from what the account-wide reads hold: its
authorization details, its credential report row, the assigned virtual MFA devices and every
user's service-specific credentials; and the credential lists still to read for it per user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_assets.collect import bulk_policies, credentials
from iam_assets.collect.credential_report import ReportRow
from iam_assets.collect.per_user import boundary
from iam_assets.collect.policies import PolicyReader
from iam_assets.collect.records import Group, RawUser, iso_utc, tags
from iam_assets.collect.virtual_mfa import VirtualMFA


def bulk_user(
    detail: dict[str, Any],
    row: ReportRow,
    groups: dict[str, dict[str, Any]],
    unknown: Mapping[str, str],
    services: tuple[dict[str, list[Any]] | None, str | None],
    reader: PolicyReader,
    virtual: VirtualMFA,
) -> tuple[RawUser, tuple[str, ...]]:
    """One raw user from its authorization details and its credential report row, and the
    credential lists still to read per user; ``unknown`` names the fields the report has no
    column for (``None`` in the row, never ``[]``/``False``).

    MFA: an assigned virtual device in the account-wide listing is current, whatever the report
    (made up to 4 hours earlier) says. The user's whole device list (hardware and FIDO keys
    included) is read per user, or carried from an earlier read that still agrees with the
    listing (``carried_facts``): until then ``MFADevices`` holds the listed virtual devices.
    """
    unknown_fields = dict(unknown)
    pending = ["SSHPublicKeys"]
    devices: list[Any] | None = []
    mfa_active = row.mfa_active
    held = virtual.of(detail["Arn"]) if virtual.known else []
    if held:
        mfa_active = True
        unknown_fields.pop("MFAActive", None)
    if mfa_active:
        devices = held
        pending.append("MFADevices")
    elif mfa_active is None:  # the report cannot say whose devices to list
        devices = None
        unknown_fields["MFADevices"] = unknown_fields["MFAActive"]
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
        "MFAActive": mfa_active,
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

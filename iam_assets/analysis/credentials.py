"""A user's credentials beyond the password: access-key use, signing certificates, SSH keys,
service-specific credentials, MFA device kinds, the permissions boundary (pure, one raw user).

Unknown stays unknown (``None``): a field the collector could not read is ``None`` and named in
``UnknownFields``; a field a raw user lacks altogether (saved by a collector older than these
facts) is unknown too, never ``0``/``False``/``[]``. A user with no access key has no unused key,
whatever was known of key use.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from iam_assets.collect.records import mfa_kind as serial_kind
from iam_assets.collect.timestamps import to_utc

UNUSED_KEY_DAYS = 90
KEY_LAST_USED = "AccessKeys[].LastUsed"  # the UnknownFields name when key use could not be read
HARDWARE_KINDS = frozenset({"fido", "hardware"})
# Credential kinds whose identities a snapshot keeps, each -> the raw field that lists them.
KINDS = {
    "access_keys": "AccessKeys",
    "signing_certificates": "SigningCertificates",
    "ssh_keys": "SSHPublicKeys",
    "service_credentials": "ServiceSpecificCredentials",
    "mfa_devices": "MFADevices",
}


def mfa_kind(device: Mapping[str, Any]) -> str:
    """The device's ``Kind``; for a device saved before kinds were collected, the collector's
    own reading of its serial (``collect.records.mfa_kind``)."""
    return device.get("Kind") or serial_kind(device.get("SerialNumber") or "")


def _active(items: list[Mapping[str, Any]] | None) -> list[Mapping[str, Any]] | None:
    return None if items is None else [item for item in items if item.get("Status") == "Active"]


def _key_use_known(raw: Mapping[str, Any]) -> bool:
    keys = raw.get("AccessKeys")
    if keys is None:
        return False
    if not keys:
        return True  # no key: nothing to know
    unknown = raw.get("UnknownFields") or {}
    return KEY_LAST_USED not in unknown and all("LastUsedDate" in key for key in keys)


def key_use(raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Active keys unused for 90+ days (last use, or creation if never used), active keys never
    used, and the most recent use of any key (time, service, region)."""
    facts: dict[str, Any] = {
        "access_keys_unused_90d": None,
        "access_keys_never_used": None,
        "last_key_use_at": None,
        "last_key_use_service": None,
        "last_key_use_region": None,
    }
    if not _key_use_known(raw):
        return facts
    keys = raw["AccessKeys"]
    cutoff = now - timedelta(days=UNUSED_KEY_DAYS)
    unused = never = 0
    for key in _active(keys) or []:
        used = to_utc(key["LastUsedDate"])
        never += used is None
        since = used or to_utc(key.get("CreateDate"))
        if since is None:  # never used and no creation date: cannot tell
            return facts
        unused += since < cutoff
    facts["access_keys_unused_90d"], facts["access_keys_never_used"] = unused, never
    used_keys = [key for key in keys if key["LastUsedDate"]]
    if used_keys:
        latest = max(used_keys, key=lambda key: to_utc(key["LastUsedDate"]))
        facts["last_key_use_at"] = latest["LastUsedDate"]
        facts["last_key_use_service"] = latest.get("LastUsedService")
        facts["last_key_use_region"] = latest.get("LastUsedRegion")
    return facts


def _count(items: list[Any] | None) -> int | None:
    return None if items is None else len(items)


def credential_facts(raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The enriched columns of one raw user's credentials (``None`` = unknown)."""
    services = _active(raw.get("ServiceSpecificCredentials"))
    devices = raw.get("MFADevices")
    kinds = None if devices is None else sorted({mfa_kind(device) for device in devices})
    return {
        **key_use(raw, now),
        "active_signing_certificates": _count(_active(raw.get("SigningCertificates"))),
        "active_ssh_keys": _count(_active(raw.get("SSHPublicKeys"))),
        "active_service_credentials": _count(services),
        "service_credential_services": None
        if services is None
        else sorted({item["ServiceName"] for item in services}),
        "mfa_kinds": kinds,
        "has_hardware_mfa": None if kinds is None else bool(HARDWARE_KINDS & set(kinds)),
        "permissions_boundary": raw.get("PermissionsBoundary"),
        "facts_read_at": dict(raw.get("FactsReadAt") or {}),
    }


def _identity(kind: str, item: Mapping[str, Any]) -> tuple[str, str]:
    """(identity, state) of one credential. Identities are the same from both strategies: the
    credential report tells no access-key or certificate id, so those are known by when they
    were created/uploaded (a rotated key is a new one); the rest by their id."""
    if kind == "access_keys":
        return str(item.get("CreateDate") or item.get("AccessKeyId")), item["Status"]
    if kind == "signing_certificates":
        return str(item.get("UploadDate") or item.get("CertificateId")), item["Status"]
    if kind == "ssh_keys":
        return item["SSHPublicKeyId"], item["Status"]
    if kind == "service_credentials":
        return f"{item['ServiceName']}/{item['ServiceSpecificCredentialId']}", item["Status"]
    return item["SerialNumber"], mfa_kind(item)  # an MFA device: listed means enabled


def identities(raw: Mapping[str, Any]) -> dict[str, dict[str, str] | None]:
    """Kind -> {credential identity: status (an MFA device: its kind)}, ``None`` when unknown.

    Two credentials with one identity (two keys created the same second) stay two: ``#2``."""
    found: dict[str, dict[str, str] | None] = {}
    for kind, field in KINDS.items():
        items = raw.get(field)
        if items is None:
            found[kind] = None
            continue
        states: dict[str, str] = {}
        for item in items:
            identity, state = _identity(kind, item)
            unique, n = identity, 1
            while unique in states:
                n += 1
                unique = f"{identity} #{n}"
            states[unique] = state
        found[kind] = states
    return found


def root_account_kpis(root: Mapping[str, Any] | None) -> dict[str, int]:
    """The root account's figures to chart, as numbers (unknown ones left out): MFA active (1 or
    0), active access keys, active signing certificates."""
    root = root or {}
    figures = {
        "root_mfa_active": root.get("MFAActive"),
        "root_active_access_keys": root.get("ActiveAccessKeys"),
        "root_active_signing_certificates": root.get("ActiveSigningCertificates"),
    }
    return {key: int(value) for key, value in figures.items() if value is not None}


def root_account_problems(root: Mapping[str, Any] | None) -> list[str]:
    """What a root-account check warns about (AWS and CIS: the root user has MFA and no keys):
    no MFA, active access keys, active signing certificates. Only what is known: an unread
    state is for ``iam_fields_known`` to name (``root["UnknownFields"]``)."""
    root = root or {}
    problems = []
    if root.get("MFAActive") is False:
        problems.append("the root account has no MFA")
    if root.get("ActiveAccessKeys"):
        problems.append(f"the root account has {root['ActiveAccessKeys']} active access key(s)")
    if root.get("ActiveSigningCertificates"):
        count = root["ActiveSigningCertificates"]
        problems.append(f"the root account has {count} active signing certificate(s)")
    return problems

"""The strict profile's credential facts: key use, signing certificates, SSH keys,
service-specific credentials, MFA kinds and the permissions boundary (pure).

OCSF 1.6.0 has one home for a user's credentials, ``user.programmatic_credentials``, whose
``uid`` is required; the credential report (the bulk strategy) tells no access key or
certificate id, so these facts go to ``unmapped`` (free-form), the same from both strategies.
Unknown facts are omitted and their paths listed in ``unmapped.unknown_attributes``, as in
``strict_profile``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_assets.ocsf.strict_common import MappingRow, epoch_millis, put

_KEYS = "AccessKeys[].Status/CreateDate/LastUsedDate"
_WHEN = "omitted when unknown"
CREDENTIAL_ROWS: tuple[MappingRow, ...] = (
    MappingRow(
        _KEYS,
        "unmapped.access_keys_unused_90d",
        "number of Active keys last used (if never used: created) more than 90 days ago; " + _WHEN,
    ),
    MappingRow(
        _KEYS, "unmapped.access_keys_never_used", f"number of Active keys never used; {_WHEN}"
    ),
    MappingRow(
        "AccessKeys[].LastUsedDate",
        "unmapped.last_access_key_use_time",
        "epoch milliseconds, UTC: the most recent use of any of the user's keys; omitted when"
        " no key was ever used, or unknown",
    ),
    MappingRow(
        "AccessKeys[].LastUsedService",
        "unmapped.last_access_key_use_service",
        "the service of that use, as is; omitted when none (AWS says N/A) or unknown",
    ),
    MappingRow(
        "AccessKeys[].LastUsedRegion",
        "unmapped.last_access_key_use_region",
        "the region of that use, as is; omitted when none (AWS says N/A) or unknown",
    ),
    MappingRow(
        "SigningCertificates[].Status",
        "unmapped.signing_certificates_count",
        f"number of Active X.509 signing certificates; {_WHEN}",
    ),
    MappingRow(
        "SSHPublicKeys[].Status", "unmapped.ssh_keys_count", f"number of Active SSH keys; {_WHEN}"
    ),
    MappingRow(
        "ServiceSpecificCredentials[].Status",
        "unmapped.service_credentials_count",
        f"number of Active service-specific credentials; {_WHEN}",
    ),
    MappingRow(
        "ServiceSpecificCredentials[].ServiceName",
        "unmapped.service_credential_services",
        f"the services of the Active ones, sorted, each once (`[]` when none); {_WHEN}",
    ),
    MappingRow(
        "MFADevices[].Kind",
        "unmapped.mfa_kinds",
        '`"virtual"`, `"fido"`, `"hardware"`: the kinds of the user\'s MFA devices, sorted, each'
        f" once (`[]` when none); {_WHEN}",
    ),
    MappingRow(
        "MFADevices[].Kind",
        "unmapped.has_hardware_mfa",
        f"true when a FIDO or hardware device is among them (OCSF has only has_mfa); {_WHEN}",
    ),
    MappingRow(
        "FactsReadAt.SSHPublicKeys",
        "unmapped.facts_read_at.ssh_keys",
        "epoch milliseconds, UTC: when the SSH keys, carried from an earlier run, were read;"
        " omitted when this run read them",
    ),
    MappingRow(
        "FactsReadAt.MFADevices",
        "unmapped.facts_read_at.mfa_devices",
        "the same for the MFA devices",
    ),
    MappingRow(
        "PermissionsBoundary",
        "unmapped.permissions_boundary",
        "the boundary policy's ARN; omitted when the user has none, or unknown",
    ),
)
# Enriched column -> the key under ``unmapped`` (counts are of Active credentials, as
# ``access_keys_count``).
_FACTS = {
    "access_keys_unused_90d": "access_keys_unused_90d",
    "access_keys_never_used": "access_keys_never_used",
    "active_signing_certificates": "signing_certificates_count",
    "active_ssh_keys": "ssh_keys_count",
    "active_service_credentials": "service_credentials_count",
    "service_credential_services": "service_credential_services",
    "mfa_kinds": "mfa_kinds",
    "has_hardware_mfa": "has_hardware_mfa",
}


# Raw field of a fact carried between runs -> its key under ``unmapped.facts_read_at``.
_CARRIED = {"SSHPublicKeys": "ssh_keys", "MFADevices": "mfa_devices"}


def credential_facts(user: Mapping[str, Any], unknown: list[str]) -> dict[str, Any]:
    """The ``unmapped`` entries of one enriched user's credentials; unknown ones are listed in
    ``unknown`` (by path, in event order). A record without a fact (an enriched table that
    lacks its column) has it unknown."""
    facts: dict[str, Any] = {}
    for column, key in _FACTS.items():
        put(facts, key, _value(user.get(column)), f"unmapped.{key}", unknown)
    use_known = user.get("access_keys_never_used") is not None
    last_use = {
        "last_access_key_use_time": epoch_millis(user.get("last_key_use_at")),
        "last_access_key_use_service": user.get("last_key_use_service"),
        "last_access_key_use_region": user.get("last_key_use_region"),
    }
    for key, value in last_use.items():
        if value is not None:
            facts[key] = value
        elif not use_known:
            unknown.append(f"unmapped.{key}")
    carried = {
        _CARRIED[name]: epoch_millis(stamp)
        for name, stamp in sorted((user.get("facts_read_at") or {}).items())
        if name in _CARRIED
    }
    if carried:
        facts["facts_read_at"] = carried
    boundary = user.get("permissions_boundary")
    if boundary:  # "" is known to have none: omitted, not unknown
        facts["permissions_boundary"] = boundary
    elif boundary is None:
        unknown.append("unmapped.permissions_boundary")
    return facts


def _value(value: Any) -> Any:
    """Lists copied, so the event never shares a list with the enriched record."""
    return list(value) if isinstance(value, list) else value

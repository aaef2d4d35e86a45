"""Raw IAM users -> one pandas row per user, with the derived columns a security team reads.

Unknown stays unknown: a field whose read was denied is ``<NA>`` (nullable ``boolean``/``Int64``
dtypes), never ``False`` or ``0``, and ``unknown_fields`` names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd

from iam_assets.analysis import credentials
from iam_assets.analysis.compliance import user_controls
from iam_assets.analysis.control_types import ControlSettings
from iam_assets.analysis.records import EnrichedUser, GroupDetail
from iam_assets.analysis.user_controls import key_unused_days
from iam_assets.analysis.user_privilege import PrivilegeAnalysis
from iam_assets.collect.arns import account_id
from iam_assets.collect.timestamps import to_utc

# Column -> pandas dtype; the order is the order users see in previews. One column per key of
# ``records.EnrichedUser`` (a test keeps them in step).
ENRICHED_COLUMNS: dict[str, str] = {
    "user_id": "string",
    "user_name": "string",
    "arn": "string",
    "account_id": "string",
    "path": "string",
    "created_at": "datetime64[ns, UTC]",
    "password_last_used_at": "datetime64[ns, UTC]",
    "is_console_user": "boolean",
    "has_mfa": "boolean",
    "mfa_device_count": "Int64",
    "active_access_keys": "Int64",
    "access_key_count": "Int64",
    "console_without_mfa": "boolean",
    "is_admin": "boolean",
    "admin_reasons": "object",
    "can_become_admin": "boolean",
    "escalation_paths": "object",
    "oldest_active_key_days": "Int64",
    "access_keys_unused_90d": "Int64",
    "access_keys_never_used": "Int64",
    "last_key_use_at": "datetime64[ns, UTC]",
    "last_key_use_service": "string",
    "last_key_use_region": "string",
    "active_signing_certificates": "Int64",
    "active_ssh_keys": "Int64",
    "active_service_credentials": "Int64",
    "service_credential_services": "object",
    "mfa_kinds": "object",
    "has_hardware_mfa": "boolean",
    "permissions_boundary": "string",
    "facts_read_at": "object",
    "tags": "object",
    "groups": "object",
    "group_details": "object",
    "attached_policies": "object",
    "inline_policies": "object",
    "group_policies": "object",
    "unknown_fields": "object",
    "credentials": "object",
    "key_unused_days": "Int64",
    "failed_controls": "object",
    "controls_not_evaluated": "object",
}
_TIMES = ("created_at", "password_last_used_at", "last_key_use_at")


def _count(items: list[Any] | None, keep=lambda _item: True) -> int | None:
    return None if items is None else sum(1 for item in items if keep(item))


def _tags(tags: list[Mapping[str, str]] | None) -> dict[str, str] | None:
    return None if tags is None else {tag["Key"]: tag["Value"] for tag in tags}


def _group_policies(groups: list[Mapping[str, Any]] | None) -> list[str] | None:
    """Names of the policies a user gets through groups, ``None`` if any part is unknown."""
    if groups is None:
        return None
    names: set[str] = set()
    for group in groups:
        if group["AttachedPolicies"] is None or group["InlinePolicies"] is None:
            return None
        names.update(group["AttachedPolicies"], group["InlinePolicies"])
    return sorted(names)


def _group_details(groups: list[Mapping[str, Any]] | None) -> list[GroupDetail] | None:
    """Each group's name, ARN and policy names (``None`` where IAM could not tell: the ARN of a
    group missing from the details, the policies when either listing was denied)."""
    if groups is None:
        return None
    return [
        {
            "name": group["GroupName"],
            "arn": group.get("Arn"),  # absent from raw users collected without it: unknown
            "policies": None
            if group["AttachedPolicies"] is None or group["InlinePolicies"] is None
            else sorted({*group["AttachedPolicies"], *group["InlinePolicies"]}),
        }
        for group in groups
    ]


def _mfa_active(raw: Mapping[str, Any]) -> bool | None:
    """The credential report's ``MFAActive`` when present, else whether any device is listed."""
    if raw.get("MFAActive") is not None:
        return raw["MFAActive"]
    devices = raw.get("MFADevices")
    return None if devices is None else len(devices) > 0


def _oldest_active_key_days(keys: list[Mapping[str, Any]] | None, now: datetime) -> int | None:
    if keys is None:
        return None
    dates = [k["CreateDate"] for k in keys if k["Status"] == "Active" and k.get("CreateDate")]
    if not dates:
        return None
    oldest = min(to_utc(date) for date in dates)
    return (now - oldest).days


def enrich_user(
    raw: Mapping[str, Any],
    now: datetime | None = None,
    privileges: PrivilegeAnalysis | None = None,
    controls: ControlSettings | None = None,
) -> EnrichedUser:
    """One raw user -> one enriched record of plain Python values (``None`` = unknown);
    ``privileges``: the inventory's analysis (one for this user alone if not given);
    ``controls``: the thresholds its failed controls are judged by (the standards' defaults)."""
    privilege = (privileges or PrivilegeAnalysis([raw])).of(raw)
    has_mfa = _mfa_active(raw)
    console = raw["ConsoleAccessEnabled"]
    now = now or datetime.now(UTC)
    record: EnrichedUser = {
        "user_id": raw["UserId"],
        "user_name": raw["UserName"],
        "arn": raw["Arn"],
        "account_id": account_id(raw["Arn"]),
        "path": raw["Path"],
        "created_at": raw["CreateDate"],
        "password_last_used_at": raw["PasswordLastUsed"],
        "is_console_user": console,
        "has_mfa": has_mfa,
        "mfa_device_count": _count(raw["MFADevices"]),
        "active_access_keys": _count(raw["AccessKeys"], lambda key: key["Status"] == "Active"),
        "access_key_count": _count(raw["AccessKeys"]),
        "console_without_mfa": None
        if console is None or has_mfa is None
        else console and not has_mfa,
        "tags": _tags(raw["Tags"]),
        "groups": None if raw["Groups"] is None else [g["GroupName"] for g in raw["Groups"]],
        "group_details": _group_details(raw["Groups"]),
        "attached_policies": raw["AttachedPolicies"],
        "inline_policies": raw["InlinePolicies"],
        "group_policies": _group_policies(raw["Groups"]),
        "unknown_fields": sorted(raw["UnknownFields"]),
        "oldest_active_key_days": _oldest_active_key_days(raw["AccessKeys"], now),
        **credentials.credential_facts(raw, now),  # type: ignore[typeddict-item]
        "credentials": credentials.identities(raw),
        "is_admin": privilege.is_admin,
        "admin_reasons": privilege.admin_reasons,
        "can_become_admin": privilege.can_become_admin,
        "escalation_paths": privilege.escalation_paths,
        "key_unused_days": key_unused_days(raw, now),
        "failed_controls": [],
        "controls_not_evaluated": [],
    }
    failed, unjudged = user_controls(record, controls or ControlSettings(), now)
    record["failed_controls"], record["controls_not_evaluated"] = failed, unjudged
    return record


def enrich_users(
    raw_users: Iterable[Mapping[str, Any]],
    now: datetime | None = None,
    controls: ControlSettings | None = None,
) -> pd.DataFrame:
    """The enriched users table: one row per raw user, typed columns, sorted by user name."""
    now = now or datetime.now(UTC)
    raw_users = list(raw_users)
    privileges = PrivilegeAnalysis(raw_users)
    frame = pd.DataFrame(
        [enrich_user(raw, now, privileges, controls) for raw in raw_users],
        columns=list(ENRICHED_COLUMNS),
    )
    for column in _TIMES:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame = frame.astype(ENRICHED_COLUMNS)
    return frame.sort_values("user_name", kind="stable").reset_index(drop=True)


def _plain(value: Any) -> Any:
    """pandas scalars -> plain Python: ``NA``/``NaT`` -> ``None``, ``Timestamp`` -> ``datetime``."""
    if isinstance(value, (list, dict)):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_records(frame: pd.DataFrame) -> list[EnrichedUser]:
    """Rows of the enriched table as plain dicts, ready for the pure OCSF mapping."""
    columns = list(frame.columns)
    return [
        cast(EnrichedUser, dict(zip(columns, map(_plain, row), strict=True)))
        for row in frame.itertuples(index=False, name=None)
    ]

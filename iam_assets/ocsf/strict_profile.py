"""Enriched IAM user -> a *strict* OCSF 1.6.0 *User Inventory Info: Collect* event.

The default profile (``sekoia_profile``) follows the Sekoia.io product page's table, which
deviates from OCSF 1.6.0. This profile emits only attributes of the 1.6.0 schema, timestamps in
milliseconds (``timestamp_t``) and no nulls: an unknown value is omitted and named in
``unmapped``. Whatever has no standard home goes to ``unmapped`` (free-form in OCSF).
``STRICT_MAPPING`` is the same mapping as data, for docs/mapping.md (``mapping_table``); tests
keep both in step. Pure functions over plain data, no Dagster.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from iam_assets.analysis.escalation import path_names
from iam_assets.analysis.records import EnrichedUser
from iam_assets.collect.arns import account_id
from iam_assets.ocsf import sekoia_profile, strict_credentials
from iam_assets.ocsf.strict_common import (  # re-exported: the mapping tables use them
    CONSTANT,
    MappingRow,
    constant_row,
    constant_rows,
    epoch_millis,
)
from iam_assets.ocsf.strict_common import put as _put

OCSF_VERSION = "1.6.0"
PRODUCT = {"name": "AWS IAM", "vendor_name": "AWS"}
# user.type_id enum of OCSF 1.6.0 (the ones this profile uses); user.type is its caption, as
# OCSF's sibling rule requires for any id but 99 (Other).
USER_TYPE_UNKNOWN, USER_TYPE_USER, USER_TYPE_ADMIN = 0, 1, 2
USER_TYPES = {USER_TYPE_UNKNOWN: "Unknown", USER_TYPE_USER: "User", USER_TYPE_ADMIN: "Admin"}
# account.type_id 10 "AWS Account": user.account is the AWS account that holds the user
# (3 "AWS IAM User" is deprecated in 1.6.0 in favour of user.type_id).
ACCOUNT_TYPE_ID = sekoia_profile.CLOUD_ACCOUNT_TYPE_ID
ACCOUNT_TYPE = sekoia_profile.CLOUD_ACCOUNT_TYPE
# The class, category, activity, type and severity attributes of both profiles, each id first.
CLASS_ATTRIBUTES: dict[str, Any] = {
    name: sekoia_profile.CLASS_ATTRIBUTES[name]
    for name in (
        "activity_id",
        "activity_name",
        "category_uid",
        "category_name",
        "class_uid",
        "class_name",
        "type_uid",
        "type_name",
        "severity_id",
        "severity",
    )
}
# The strict mapping as data. Keep in step with ``strict_user_inventory_event``: a test checks
# that every path the mapper emits has a row, and that constant rows show the emitted value.
STRICT_MAPPING: tuple[MappingRow, ...] = (
    *constant_rows(CLASS_ATTRIBUTES),
    MappingRow(
        "CreateDate", "time", "epoch milliseconds, UTC (as the product page: the creation time)"
    ),
    constant_row("metadata.version", OCSF_VERSION),
    constant_row("metadata.product.name", PRODUCT["name"]),
    constant_row("metadata.product.vendor_name", PRODUCT["vendor_name"]),
    MappingRow(CONSTANT, "metadata.profiles", '`["cloud"]` when the account is known'),
    MappingRow("UserId", "user.uid", "as is (stable across renames, the product page's user key)"),
    MappingRow("Arn", "user.uid_alt", "as is"),
    MappingRow("UserName", "user.name", "as is"),
    MappingRow("UserName", "user.full_name", "as is (as the product page; IAM has no full name)"),
    MappingRow(
        "Policies[].Document (user, groups, boundary)",
        "user.type_id",
        "2 (Admin) if the documents of the user's policies allow every action on every resource"
        " (enriched `is_admin`); 1 (User) if they do not; 0 (Unknown) if that depends on"
        " Conditions or on documents that could not be read",
    ),
    MappingRow("user.type_id", "user.type", "caption of type_id: User, Admin or Unknown"),
    MappingRow("MFAActive, else MFADevices", "user.has_mfa", "true/false; omitted when unknown"),
    MappingRow("Arn", "user.account.uid", "the 12-digit account id in the ARN; no account if none"),
    constant_row("user.account.type_id", ACCOUNT_TYPE_ID),
    constant_row("user.account.type", ACCOUNT_TYPE),
    constant_row("cloud.provider", sekoia_profile.CLOUD_PROVIDER),
    MappingRow("Arn", "cloud.account.uid", "the 12-digit account id in the ARN; no cloud if none"),
    constant_row("cloud.account.type_id", ACCOUNT_TYPE_ID),
    constant_row("cloud.account.type", ACCOUNT_TYPE),
    MappingRow("Groups[].GroupName", "user.groups[].name", "one group object per group"),
    MappingRow(
        "Groups[].GroupName",
        "user.groups",
        "`[]` when the user is in no group; omitted when unknown",
    ),
    MappingRow(
        "Groups[].AttachedPolicies/InlinePolicies",
        "user.groups[].privileges",
        "not emitted: the enriched record merges group policies, so none is known per group",
    ),
    MappingRow("CreateDate", "user.ldap_person.created_time", "epoch milliseconds, UTC"),
    MappingRow(
        "PasswordLastUsed",
        "user.ldap_person.last_login_time",
        "epoch milliseconds, UTC (last console sign-in); omitted when never used or unknown",
    ),
    MappingRow("Tags[].Key", "user.ldap_person.tags[].name", "one key:value object per tag"),
    MappingRow("Tags[].Value", "user.ldap_person.tags[].value", "as is (may be empty)"),
    MappingRow(
        "Tags", "user.ldap_person.tags", "`[]` when the user has no tag; omitted when unknown"
    ),
    MappingRow(
        "AccessKeys",
        "user.programmatic_credentials",
        "not emitted: its `uid` is required, and the credential report tells no access key or"
        " certificate id, so the bulk strategy could not give one; the facts of the user's"
        " credentials are in `unmapped` (below), the same from both strategies",
    ),
    MappingRow("Path", "unmapped.path", "as is (OCSF user has no path)"),
    MappingRow(
        "ConsoleAccessEnabled",
        "unmapped.is_console_user",
        "true/false (OCSF user has no such attribute); omitted when unknown",
    ),
    MappingRow(
        "AccessKeys[].Status",
        "unmapped.access_keys_count",
        "number of Active keys (no standard count); omitted when unknown",
    ),
    *strict_credentials.CREDENTIAL_ROWS,
    MappingRow(
        "Policies[].Document",
        "unmapped.admin_reasons",
        "why the user is, is not, or may be an administrator (enriched `admin_reasons`: the"
        " policy and statement, or what is missing); omitted when none",
    ),
    MappingRow(
        "Policies[].Document",
        "unmapped.can_become_admin",
        "true when a known privilege-escalation path is open (enriched `can_become_admin`);"
        " omitted when unknown",
    ),
    MappingRow(
        "Policies[].Document",
        "unmapped.escalation_paths",
        "the names of the open escalation paths (cloudsplaining's table); omitted when none",
    ),
    MappingRow(
        "(controls)",
        "unmapped.failed_controls",
        "the CIS / Security Hub controls the user fails, by check name (`iam_5`, `cis_1_11`;"
        " docs/controls.md): OCSF 1.6.0's user has no place for them; `[]` when none",
    ),
    MappingRow(
        "(controls)",
        "unmapped.controls_not_evaluated",
        "the controls the user could not be judged by (a fact unknown); omitted when none",
    ),
    MappingRow(
        "UnknownFields",
        "unmapped.unknown_fields",
        "names of the IAM fields the collector could not read; omitted when none",
    ),
    MappingRow(
        "(derived)",
        "unmapped.unknown_attributes",
        "paths of this event's attributes omitted because their value is unknown;"
        " omitted when none",
    ),
)


def user_type_id(user: EnrichedUser) -> int:
    """Admin (2), User (1) or Unknown (0): the enriched ``is_admin`` verdict, which reads what the
    policies' documents allow (``analysis.privilege``), the reading the KPIs use too."""
    admin = user["is_admin"]
    return {True: USER_TYPE_ADMIN, False: USER_TYPE_USER, None: USER_TYPE_UNKNOWN}[admin]


def strict_user_inventory_event(user: EnrichedUser) -> dict[str, Any]:
    """One enriched user record -> one strict OCSF 1.6.0 event."""
    created = epoch_millis(user["created_at"])
    unknown: list[str] = []  # paths omitted because their value is unknown, in event order
    account = account_id(user["arn"])
    person = _ldap_person(user, created, unknown)
    event: dict[str, Any] = {
        **CLASS_ATTRIBUTES,
        "time": created,
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT)},
        "user": _user(user, account, person, unknown),
        "unmapped": _unmapped(user, unknown),
    }
    if account is not None:  # the cloud profile: which AWS account the user lives in
        event["metadata"]["profiles"] = ["cloud"]
        event["cloud"] = sekoia_profile.cloud(account)
    return event


def _ldap_person(user: EnrichedUser, created: int | None, unknown: list[str]) -> dict[str, Any]:
    person: dict[str, Any] = {"created_time": created}
    last_login = epoch_millis(user.get("password_last_used_at"))
    if last_login is not None:  # None is "never used" as well as "unknown": not listed
        person["last_login_time"] = last_login
    tags = user.get("tags")
    pairs = None if tags is None else [{"name": key, "value": item} for key, item in tags.items()]
    _put(person, "tags", pairs, "user.ldap_person.tags", unknown)
    return person


def _user(
    user: EnrichedUser, account: str | None, person: dict[str, Any], unknown: list[str]
) -> dict[str, Any]:
    type_id = user_type_id(user)
    ocsf_user: dict[str, Any] = {
        "uid": user["user_id"],
        "uid_alt": user["arn"],
        "name": user["user_name"],
        "full_name": user["user_name"],
        "type": USER_TYPES[type_id],
        "type_id": type_id,
    }
    _put(ocsf_user, "has_mfa", user.get("has_mfa"), "user.has_mfa", unknown)
    if account is not None:
        ocsf_user["account"] = sekoia_profile.cloud(account)["account"]
    groups = user.get("groups")
    listed = None if groups is None else [{"name": name} for name in groups]
    _put(ocsf_user, "groups", listed, "user.groups", unknown)
    ocsf_user["ldap_person"] = person
    return ocsf_user


def _unmapped(user: EnrichedUser, unknown: list[str]) -> dict[str, Any]:
    """What has no standard home; ``unknown_attributes`` lists every path omitted as unknown."""
    unmapped: dict[str, Any] = {"path": user["path"]}
    console = user.get("is_console_user")
    _put(unmapped, "is_console_user", console, "unmapped.is_console_user", unknown)
    keys = user.get("active_access_keys")
    _put(unmapped, "access_keys_count", keys, "unmapped.access_keys_count", unknown)
    unmapped |= strict_credentials.credential_facts(user, unknown)
    if user.get("admin_reasons"):
        unmapped["admin_reasons"] = list(user["admin_reasons"])
    escalates = user.get("can_become_admin")
    _put(unmapped, "can_become_admin", escalates, "unmapped.can_become_admin", unknown)
    if names := path_names(list(user.get("escalation_paths") or [])):
        unmapped["escalation_paths"] = names
    unmapped["failed_controls"] = list(user.get("failed_controls") or [])
    if user.get("controls_not_evaluated"):
        unmapped["controls_not_evaluated"] = list(user["controls_not_evaluated"])
    if user.get("unknown_fields"):
        unmapped["unknown_fields"] = list(user["unknown_fields"])
    if unknown:
        unmapped["unknown_attributes"] = unknown
    return unmapped


def strict_user_inventory_events(users: Iterable[EnrichedUser]) -> list[dict[str, Any]]:
    """Map every enriched user record, preserving order."""
    return [strict_user_inventory_event(user) for user in users]

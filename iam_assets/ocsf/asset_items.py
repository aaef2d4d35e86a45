"""Enriched IAM user -> one item of Sekoia.io's Asset inventory API (no Dagster here).

The items follow the model Sekoia's own asset connectors send, ``UserOCSFModel`` of
``sekoia-automation-sdk`` (its models live in ``sekoia-automation-models``; read at 1.4.0, the
version SDK 1.27.0 depends on). Where the product page's table and that model agree, the item
carries the table's value; where they disagree the model wins (``ASSET_ITEM_MAPPING`` says where,
and docs/mapping.md shows it). The body the API takes is ``{"version": 1, "items": [...]}``
with every ``None`` left out, as the SDK's ``model_dump(exclude_none=True)``: an unknown fact is
absent, never ``false``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from iam_assets.analysis.kpis import risk_score
from iam_assets.analysis.records import EnrichedUser
from iam_assets.collect.records import iso_utc
from iam_assets.ocsf.sekoia_profile import (
    CLASS_ATTRIBUTES,
    OCSF_VERSION,
    PRODUCT_NAME,
    epoch_seconds,
)
from iam_assets.ocsf.strict_profile import MappingRow, constant_row, constant_rows

ASSET_LIST_VERSION = 1  # AssetList.version: the SDK's OCSF_SCHEMA_VERSION
MODEL_SOURCE = "sekoia-automation-models 1.4.0 (sekoia-automation-sdk 1.27.0)"
# The model's AccountTypeId has no 40 (the page's value): an AWS account is 10, "AWS Account".
ACCOUNT_TYPE_ID = 10
ACCOUNT_TYPE = "AWS Account"
# UserTypeId: 1 "User", 2 "Admin" (the model's enum; the page's table has no user type).
USER_TYPES = {False: (1, "User"), True: (2, "Admin")}
# The one enrichment an item carries: what IAM tells about the user's sign-in and credentials.
ENRICHMENT_NAME = "AWS IAM"
# risk_score (analysis/kpis.py, the riskiest users' score) -> the model's RiskLevelId: the first
# row whose floor the score reaches. Admin alone (50) is High; an admin with console access
# without MFA (80) is Critical; one who can become admin (40), or console without MFA (30), is
# Medium; an old or unused key alone (10, 15, 25) is Low; nothing found (0) is Info.
RISK_LEVELS = (
    (80, 4, "Critical"),
    (50, 3, "High"),
    (30, 2, "Medium"),
    (1, 1, "Low"),
    (0, 0, "Info"),
)


def risk(user: EnrichedUser) -> tuple[int, int, str] | None:
    """``(risk_score, risk_level_id, risk_level)``, or ``None`` when a verdict the score weighs
    most is unknown (admin, can become admin, console without MFA): the score would then be a
    floor that could rank a user lower than they are."""
    privilege_known = user["is_admin"] is True or (
        user["is_admin"] is False and user["can_become_admin"] is not None
    )
    if not privilege_known or user["console_without_mfa"] is None:
        return None
    score = risk_score(user)
    level_id, level = next((i, name) for floor, i, name in RISK_LEVELS if score >= floor)
    return score, level_id, level


def is_enabled(user: EnrichedUser) -> bool | None:
    """Whether the user can sign in or call AWS at all: console access or any active credential
    (access key, signing certificate, SSH key, service-specific credential). ``None`` when none
    is known to be usable and one of them is unknown."""
    counts = (
        user["active_access_keys"],
        user["active_signing_certificates"],
        user["active_ssh_keys"],
        user["active_service_credentials"],
    )
    facts = [user["is_console_user"], *(None if n is None else n > 0 for n in counts)]
    if any(fact is True for fact in facts):
        return True
    return False if all(fact is False for fact in facts) else None


def _groups(user: EnrichedUser) -> list[dict[str, Any]] | None:
    if user["group_details"] is None:
        return None
    groups = []
    for detail in user["group_details"]:
        group: dict[str, Any] = {"name": detail["name"]}
        if detail["arn"] is not None:
            group["uid"] = detail["arn"]
        if detail["policies"] is not None:
            group["privileges"] = detail["policies"]
        groups.append(group)
    return groups


def _enrichments(user: EnrichedUser) -> list[dict[str, Any]] | None:
    data: dict[str, Any] = {}
    enabled = is_enabled(user)
    if enabled is not None:
        data["is_enabled"] = enabled
    last_logon = iso_utc(user["password_last_used_at"])
    if last_logon is not None:
        data["last_logon"] = last_logon
    return [{"name": ENRICHMENT_NAME, "data": data}] if data else None


def asset_item(user: EnrichedUser) -> dict[str, Any]:
    """One enriched user -> one ``UserOCSFModel`` item; raises ``ValueError`` if the model's
    required fields cannot be filled (no creation time)."""
    created = epoch_seconds(user["created_at"])
    if created is None:
        raise ValueError("no creation time (the model requires time)")
    person: dict[str, Any] = {
        "uid": user["user_id"],
        "name": user["user_name"],
        "full_name": user["user_name"],
        "uid_alt": user["arn"],
        "account": {
            "name": user["user_name"],
            "type_id": ACCOUNT_TYPE_ID,
            "type": ACCOUNT_TYPE,
            "uid": user["arn"],
        },
    }
    if user["has_mfa"] is not None:
        person["has_mfa"] = bool(user["has_mfa"])
    if user["is_admin"] is not None:
        person["type_id"], person["type"] = USER_TYPES[bool(user["is_admin"])]
    groups = _groups(user)
    if groups is not None:
        person["groups"] = groups
    if user["account_id"] is not None:
        # Organization.name is required and IAM names no account without another call: the id.
        person["org"] = {"name": user["account_id"], "uid": user["account_id"]}
    scored = risk(user)
    if scored is not None:
        person["risk_score"], person["risk_level_id"], person["risk_level"] = scored
    item: dict[str, Any] = {
        **CLASS_ATTRIBUTES,
        "time": created,
        "metadata": {
            "product": {"name": PRODUCT_NAME, "version": OCSF_VERSION},
            "version": OCSF_VERSION,
        },
        "user": person,
    }
    enrichments = _enrichments(user)
    if enrichments is not None:
        item["enrichments"] = enrichments
    return item


def asset_items(users: Iterable[EnrichedUser]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every user's item, and the users held back (``{"user", "reason"}``): one user whose item
    cannot be built never holds back the others."""
    items: list[dict[str, Any]] = []
    held_back: list[dict[str, str]] = []
    for index, user in enumerate(users):
        try:
            items.append(asset_item(user))
        except ValueError as problem:
            held_back.append(
                {"user": user["user_name"] or f"user #{index}", "reason": str(problem)}
            )
    return items, held_back


MODEL_DIFFERS = "the page's table differs:"
ASSET_ITEM_MAPPING: tuple[MappingRow, ...] = (
    *constant_rows(CLASS_ATTRIBUTES),
    MappingRow("CreateDate", "time", "epoch seconds, UTC"),
    constant_row("metadata.product.name", PRODUCT_NAME),
    constant_row("metadata.product.version", OCSF_VERSION, "as the product page"),
    constant_row("metadata.version", OCSF_VERSION),
    MappingRow("UserId", "user.uid", "as is"),
    MappingRow("UserName", "user.name", "as is"),
    MappingRow("UserName", "user.full_name", "as is"),
    MappingRow("Arn", "user.uid_alt", "the user's ARN (not in the page's table)"),
    MappingRow("MFAActive, else MFADevices", "user.has_mfa", "true/false; absent when unknown"),
    MappingRow(
        "policy documents (enriched `is_admin`)",
        "user.type_id",
        "2 when the user is an administrator, else 1; absent when unknown (not in the page's"
        " table)",
    ),
    MappingRow("(same)", "user.type", '"Admin" or "User", as `user.type_id`'),
    MappingRow("Groups[].GroupName", "user.groups[].name", "`[]` when none; absent when unknown"),
    MappingRow(
        "Groups[].Arn (GroupDetailList, or ListGroupsForUser)",
        "user.groups[].uid",
        "the group's ARN; absent when unknown",
    ),
    MappingRow(
        "Groups[]: AttachedManagedPolicies, GroupPolicyList (or ListAttachedGroupPolicies,"
        " ListGroupPolicies)",
        "user.groups[].privileges",
        "the group's managed and inline policy names, sorted; absent when either is unknown",
    ),
    MappingRow(
        "Arn (its account id)",
        "user.org.uid",
        "the AWS account id; absent when the ARN holds none",
    ),
    MappingRow(
        "Arn (its account id)",
        "user.org.name",
        "the account id too: the model requires a name, and IAM tells none without another"
        " call (the account alias, or Organizations), which is not made",
    ),
    MappingRow(
        "enriched `is_admin`, `can_become_admin`, `console_without_mfa`, keys, unknown fields",
        "user.risk_score",
        "the riskiest users' score (docs/operations.md): admin 50, can become admin 40, console"
        " without MFA 30, old key 15, unused key 10, something unread 5; absent when admin, can"
        " become admin or console without MFA is unknown",
    ),
    MappingRow(
        "(same)",
        "user.risk_level_id",
        "from `user.risk_score`: 80+ 4 Critical, 50+ 3 High, 30+ 2 Medium, 1+ 1 Low, 0 0 Info",
    ),
    MappingRow("(same)", "user.risk_level", "the name of `user.risk_level_id`"),
    MappingRow(
        "(where the data comes from)",
        "enrichments[].name",
        f'always `"{ENRICHMENT_NAME}"`: one enrichment, present when its data holds a value',
    ),
    MappingRow(
        "ConsoleAccessEnabled, AccessKeys, SigningCertificates, SSHPublicKeys,"
        " ServiceSpecificCredentials",
        "enrichments[].data.is_enabled",
        "true when the console or any credential is active, false when none is; absent when"
        " none is known active and one is unknown",
    ),
    MappingRow(
        "PasswordLastUsed",
        "enrichments[].data.last_logon",
        "ISO 8601, UTC; absent when never used or unknown",
    ),
    MappingRow("Arn", "user.account.uid", "the user's ARN"),
    MappingRow("UserName", "user.account.name", "as is"),
    constant_row(
        "user.account.type_id",
        ACCOUNT_TYPE_ID,
        f"{MODEL_DIFFERS} 40, not in the model's AccountTypeId",
    ),
    constant_row("user.account.type", ACCOUNT_TYPE, f'{MODEL_DIFFERS} "AWS IAM"'),
)
# The page's fields the model has no place for: not sent as asset items (the intake's events
# carry them).
NOT_IN_MODEL = (
    "user.path",
    "user.is_console_user",
    "user.access_keys_count",
    "user.password_last_used_time",
    "user.created_time",
    "user.tags",
    "cloud",
)
# The model's fields IAM cannot fill truthfully, and why (docs/mapping.md lists them).
NOT_FILLED = {
    "enrichments[].data.last_time_password_change": "the credential report's"
    " password_last_changed is not collected: per-user calls cannot read it alike",
    "enrichments[].data.bad_password_count, number_of_logons, external_device": "IAM does not"
    " keep them",
    "user.email_addr, display_name, domain, forward_addr, ldap_person": "IAM users have none",
    "user.groups[].desc": "IAM groups have no description",
}

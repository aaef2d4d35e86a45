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

from iam_assets.analysis.records import EnrichedUser
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
    if user["groups"] is not None:
        person["groups"] = [{"name": name} for name in user["groups"]]
    return {
        **CLASS_ATTRIBUTES,
        "time": created,
        "metadata": {
            "product": {"name": PRODUCT_NAME, "version": OCSF_VERSION},
            "version": OCSF_VERSION,
        },
        "user": person,
    }


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

"""Enriched IAM user -> OCSF 1.6.0 *User Inventory Info: Collect* event, per the mapping table
of the Sekoia.io product page (the "sekoia profile", the default output).

Pure functions over plain data. The output is exactly that table (including its non-standard
fields such as ``user.account.type_id`` 40 and ``user.path``); timestamps are Unix epoch seconds,
converted in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from iam_assets.analysis.records import EnrichedUser
from iam_assets.collect.arns import account_id
from iam_assets.collect.timestamps import to_utc

OCSF_VERSION = "1.6.0"
CLASS_UID = 5003
CLASS_NAME = "User Inventory Info"
CATEGORY_UID = 5
CATEGORY_NAME = "Discovery"
ACTIVITY_ID = 2
ACTIVITY_NAME = "Collect"
TYPE_UID = CLASS_UID * 100 + ACTIVITY_ID  # 500302
TYPE_NAME = f"{CLASS_NAME}: {ACTIVITY_NAME}"
SEVERITY_ID = 1
SEVERITY = "Informational"
PRODUCT_NAME = "AWS IAM"
ACCOUNT_TYPE = "AWS IAM"
ACCOUNT_TYPE_ID = 40  # the product page's value; not an OCSF 1.6.0 type_id (docs/mapping.md)
# Not in the product page's table: which AWS account holds the user, where OCSF puts it (the
# cloud profile), so that a SIEM fed by a whole Organization can tell accounts apart.
CLOUD_PROVIDER = "AWS"
CLOUD_ACCOUNT_TYPE_ID = 10
CLOUD_ACCOUNT_TYPE = "AWS Account"
# The class, category, activity, type and severity attributes, in the product page's order.
CLASS_ATTRIBUTES: dict[str, Any] = {
    "activity_id": ACTIVITY_ID,
    "activity_name": ACTIVITY_NAME,
    "category_name": CATEGORY_NAME,
    "category_uid": CATEGORY_UID,
    "class_name": CLASS_NAME,
    "class_uid": CLASS_UID,
    "type_name": TYPE_NAME,
    "type_uid": TYPE_UID,
    "severity": SEVERITY,
    "severity_id": SEVERITY_ID,
}


def epoch_seconds(value: datetime | str | None) -> int | None:
    """ISO 8601 string or datetime -> whole Unix seconds; a naive value is taken as UTC."""
    moment = to_utc(value)
    return None if moment is None else int(moment.timestamp())


def cloud(account: str) -> dict[str, Any]:
    """OCSF ``cloud`` object of an AWS account (provider, and the account by its 12-digit id)."""
    return {
        "provider": CLOUD_PROVIDER,
        "account": {"uid": account, "type": CLOUD_ACCOUNT_TYPE, "type_id": CLOUD_ACCOUNT_TYPE_ID},
    }


def user_inventory_event(user: EnrichedUser) -> dict[str, Any]:
    """One enriched user record -> one sekoia-profile OCSF event: the product page's fields in
    its table's order, then ``cloud`` naming the user's AWS account."""
    created = epoch_seconds(user["created_at"])
    tags = user["tags"]
    event: dict[str, Any] = {
        **CLASS_ATTRIBUTES,
        "time": created,
        "metadata": {
            "product": {"name": PRODUCT_NAME, "version": OCSF_VERSION},
            "version": OCSF_VERSION,
        },
        "user": {
            "uid": user["user_id"],
            "name": user["user_name"],
            "full_name": user["user_name"],
            "path": user["path"],
            "is_console_user": user["is_console_user"],
            "has_mfa": user["has_mfa"],
            "access_keys_count": user["active_access_keys"],
            "password_last_used_time": epoch_seconds(user["password_last_used_at"]),
            "created_time": created,
            "tags": None if tags is None else dict(tags),
            "account": {
                "uid": user["arn"],
                "name": user["user_name"],
                "type": ACCOUNT_TYPE,
                "type_id": ACCOUNT_TYPE_ID,
            },
        },
    }
    account = account_id(user["arn"])
    if account is not None:
        event["cloud"] = cloud(account)
    return event


def user_inventory_events(users: Iterable[EnrichedUser]) -> list[dict[str, Any]]:
    """Map every enriched user record, preserving order."""
    return [user_inventory_event(user) for user in users]

"""Who is an administrator (pure, over enriched user records)."""

from collections.abc import Mapping
from typing import Any

ADMIN_POLICY = "AdministratorAccess"


def is_admin(record: Mapping[str, Any]) -> bool | None:
    """AdministratorAccess attached directly or through a group, or an inline ``*:*`` policy.

    ``None`` when the policies that could prove it were not readable and nothing proves it.
    """
    attached, through_groups = record["attached_policies"], record["group_policies"]
    if (
        ADMIN_POLICY in (attached or [])
        or ADMIN_POLICY in (through_groups or [])
        or record.get("admin_inline") is True
    ):
        return True
    if attached is None or through_groups is None:
        return None
    return False

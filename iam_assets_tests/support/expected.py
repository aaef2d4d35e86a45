"""The event the seed's table prescribes for a seeded user, written out independently of the code.

Built from what the test seeded (``DemoUser``) and what moto assigned (id, ARN, creation time).
Source of every field: the mapping table of the product page (``shared/seed``, the Sekoia.io AWS
users asset connector page), times in UTC as its CreateDate says.
"""

from typing import Any

from iam_assets.demo.seed import DemoUser
from iam_assets_tests.support.product_page import TABLE_CONSTANTS


def expected_event(user: DemoUser, iam_admin: Any) -> dict[str, Any]:
    assigned = iam_admin.get_user(UserName=user.name)["User"]
    created = int(assigned["CreateDate"].timestamp())
    last_used = assigned.get("PasswordLastUsed")
    return {
        **TABLE_CONSTANTS,
        "time": created,
        "metadata": {"product": {"name": "AWS IAM", "version": "1.6.0"}, "version": "1.6.0"},
        "user": {
            "uid": assigned["UserId"],
            "name": user.name,
            "full_name": user.name,
            "path": user.path,
            "is_console_user": user.console and not user.remove_console,
            "has_mfa": user.mfa and not user.deactivate_mfa,
            "access_keys_count": user.active_keys,
            "password_last_used_time": int(last_used.timestamp()) if last_used else None,
            "created_time": created,
            "tags": dict(user.tags),
            "account": {
                "uid": f"arn:aws:iam::123456789012:user{user.path}{user.name}",
                "name": user.name,
                "type": "AWS IAM",
                "type_id": 40,
            },
        },
        "cloud": {
            "provider": "AWS",
            "account": {"uid": "123456789012", "type": "AWS Account", "type_id": 10},
        },
    }

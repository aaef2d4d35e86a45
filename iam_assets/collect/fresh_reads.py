"""The bulk strategy's per-user reads of single fields: the credential lists neither the
authorization details nor the report hold, and the report's fields that changed since it was
made. Each is read as the per-user strategy reads it, so both strategies agree."""

from __future__ import annotations

from iam_assets.collect import credentials
from iam_assets.collect.client import IAMCalls
from iam_assets.collect.credentials import read_about_user
from iam_assets.collect.records import RawUser


def complete(calls: IAMCalls, user: RawUser, fields: list[str]) -> RawUser:
    """Read ``fields`` of ``user`` now (``UserGone`` if the user was deleted meanwhile)."""
    name = user["UserName"]
    unknown = user["UnknownFields"]
    for raw_field in fields:
        unknown.pop(raw_field, None)
        if raw_field == "AccessKeys":
            keys = read_about_user(
                unknown,
                "AccessKeys",
                lambda: calls.items("ListAccessKeys", "AccessKeyMetadata", UserName=name),
            )
            user["AccessKeys"] = (
                None if keys is None else credentials.access_keys(calls, unknown, keys)
            )
        elif raw_field == "ConsoleAccessEnabled":
            user["ConsoleAccessEnabled"] = read_about_user(
                unknown, "ConsoleAccessEnabled", lambda: credentials.has_login_profile(calls, name)
            )
        else:
            listed_virtual = bool(user.get("MFADevices")) if raw_field == "MFADevices" else False
            found = credentials.listed(calls, unknown, raw_field, name)
            user[raw_field] = found  # type: ignore[literal-required]
            if raw_field == "MFADevices":
                # Denied: MFA stays known where the account-wide listing showed a device.
                user["MFAActive"] = bool(found) if found is not None else listed_virtual or None
                if user["MFAActive"] is None:
                    unknown["MFAActive"] = unknown["MFADevices"]
    return user

"""The rules of the user-level controls (pure, over one enriched user's record), and the one
fact they need that the table had no column for: how long the stalest active key has been idle.

A column that is unknown (``None``) leaves the control not evaluated for that user, naming the
column and the raw fields the collection could not read; never passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from iam_assets.analysis.control_types import (
    PASSED,
    ControlSettings,
    Rule,
    Verdict,
    combine,
    failed,
    unknown,
)
from iam_assets.collect.timestamps import to_utc

CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"
User = Mapping[str, Any]  # an enriched user's record (``analysis.records.EnrichedUser``)


def key_unused_days(raw: Mapping[str, Any], now: datetime) -> int | None:
    """Days since the stalest active key was last used (never used: since it was created);
    ``None`` when the user has no active key, or when key use or creation is unknown."""
    keys = raw.get("AccessKeys")
    if keys is None:
        return None
    active = [key for key in keys if key.get("Status") == "Active"]
    if not active or "AccessKeys[].LastUsed" in (raw.get("UnknownFields") or {}):
        return None
    days = []
    for key in active:
        if "LastUsedDate" not in key:
            return None
        since = to_utc(key["LastUsedDate"]) or to_utc(key.get("CreateDate"))
        if since is None:
            return None
        days.append((now - since).days)
    return max(days)


def _unknown(user: User, column: str, *raw_fields: str) -> Verdict:
    """Not evaluated: ``column`` is unknown, and which of ``raw_fields`` could not be read."""
    unread = [name for name in user.get("unknown_fields") or [] if name.startswith(raw_fields)]
    return unknown(f"{column} unknown" + (f" ({', '.join(unread)} not read)" if unread else ""))


def _console(user: User) -> Verdict | None:
    """``None`` for a console user; otherwise the verdict: passed (no password), or unknown."""
    console = user.get("is_console_user")
    if console is None:
        return _unknown(user, "is_console_user", "ConsoleAccessEnabled")
    return None if console else PASSED


def mfa_for_console_users(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.10 / IAM.5: a user with a console password has MFA."""
    return _console(user) or mfa_for_every_user(user, _settings, _now)


def mfa_for_every_user(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """IAM.19: every user has MFA."""
    if user.get("has_mfa") is None:
        return _unknown(user, "has_mfa", "MFA")
    return PASSED if user["has_mfa"] else failed("no MFA")


def no_keys_at_setup(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.11: a console user holds no active access key that was never used (keys created
    with the user "just in case")."""
    if (verdict := _console(user)) is not None:
        return verdict
    never = user.get("access_keys_never_used")
    if never is None:
        return _unknown(user, "access_keys_never_used", "AccessKeys")
    return failed(f"{never} active access key(s) never used") if never else PASSED


def _password_unused(user: User, days: int, now: datetime) -> Verdict:
    if (verdict := _console(user)) is not None:
        return verdict
    used = to_utc(user.get("password_last_used_at"))
    if used is not None:
        idle = (now - used).days
        return failed(f"password unused for {idle} days") if idle >= days else PASSED
    if "PasswordLastUsed" in (user.get("unknown_fields") or []):
        return _unknown(user, "password_last_used_at", "PasswordLastUsed")
    created = to_utc(user.get("created_at"))
    if created is not None and (now - created).days < days:
        return PASSED  # the password is younger than the user
    # Never used, by a user older than the threshold: when the password was set is not read.
    return unknown("password never used, and when it was set is not read")


def _keys_unused(user: User, days: int) -> Verdict:
    idle = user.get("key_unused_days")
    if idle is None:
        if user.get("active_access_keys") == 0:
            return PASSED
        return _unknown(user, "key_unused_days", "AccessKeys")
    return failed(f"an active access key unused for {idle} days") if idle >= days else PASSED


def credentials_unused(threshold: str) -> Rule:
    """CIS 1.12 / IAM.22 (``unused_days``) and IAM.8 (``stale_days``): no console password and
    no active access key unused for that many days (never used: counted from creation)."""

    def rule(user: User, settings: ControlSettings, now: datetime) -> Verdict:
        days = getattr(settings, threshold)
        return combine([_password_unused(user, days, now), _keys_unused(user, days)])

    return rule


def one_active_key(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.13: at most one active access key."""
    active = user.get("active_access_keys")
    if active is None:
        return _unknown(user, "active_access_keys", "AccessKeys")
    return failed(f"{active} active access keys") if active > 1 else PASSED


def keys_rotated(user: User, settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.14 / IAM.3: every active access key is younger than ``key_rotation_days``."""
    active = user.get("active_access_keys")
    if active == 0:
        return PASSED
    oldest = user.get("oldest_active_key_days")
    if active is None or oldest is None:
        return _unknown(user, "oldest_active_key_days", "AccessKeys")
    if oldest >= settings.key_rotation_days:
        return failed(f"an active access key created {oldest} days ago")
    return PASSED


def permissions_through_groups(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.15 / IAM.2: no policy attached to the user or inline in it: only through groups."""
    attached, inline = user.get("attached_policies"), user.get("inline_policies")
    if attached is None or inline is None:
        return _unknown(user, "attached_policies/inline_policies", "AttachedPolicies", "Inline")
    names = [*attached, *inline]
    return failed("policies on the user: " + ", ".join(names)) if names else PASSED


def no_full_admin(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.16 / IAM.1: no policy allowing every action on every resource applies to
    the user (the privilege analysis' ``is_admin``, by the documents; its first reason why)."""
    reasons = list(user.get("admin_reasons") or [])
    if user.get("is_admin") is None:
        return unknown("is_admin unknown" + (f": {reasons[0]}" if reasons else ""))
    if user["is_admin"]:
        return failed("allowed *:* by " + (reasons[0] if reasons else "its policies"))
    return PASSED


def no_cloudshell_full_access(user: User, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.22 / IAM.27: AWSCloudShellFullAccess is attached neither to the user nor to any of
    its groups (by policy name)."""
    attached, through_groups = user.get("attached_policies"), user.get("group_policies")
    if attached is not None and CLOUDSHELL_POLICY in attached:
        return failed(f"{CLOUDSHELL_POLICY} attached to the user")
    if through_groups is not None and CLOUDSHELL_POLICY in through_groups:
        return failed(f"{CLOUDSHELL_POLICY} through a group")
    if attached is None or through_groups is None:
        return _unknown(user, "attached_policies/group_policies", "AttachedPolicies", "Groups")
    return PASSED


def required_tags(user: User, settings: ControlSettings, _now: datetime) -> Verdict:
    """IAM.25: the user carries every tag key of ``required_tags``."""
    tags = user.get("tags")
    if tags is None:
        return _unknown(user, "tags", "Tags")
    missing = [key for key in settings.required_tags if key not in tags]
    return failed("missing tag(s): " + ", ".join(missing)) if missing else PASSED

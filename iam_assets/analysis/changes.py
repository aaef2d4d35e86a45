"""What changed since the previous snapshot, and which changes matter for security (pure).

Credentials are compared one by one in ``credential_changes`` (which also says which new
credentials are findings, and why). A snapshot that lacks the credential fields has them
unknown, so comparing with it reports no new credential; access keys are then compared by their
active count, the one key figure such a snapshot holds.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from iam_assets.analysis.credential_changes import credential_changes
from iam_assets.analysis.enrich import to_records
from iam_assets.analysis.records import EnrichedUser, Finding, TrackedUser

TRACKED = tuple(TrackedUser.__annotations__)  # the fields whose changes are tracked
# The enriched columns ``tracked`` reads.
SOURCE_COLUMNS = (
    "user_id",
    "user_name",
    "is_console_user",
    "has_mfa",
    "active_access_keys",
    "is_admin",
    "can_become_admin",
    "groups",
    "credentials",
)


def snapshot(frame: pd.DataFrame) -> dict[str, TrackedUser]:
    """The tracked fields of every user, keyed by user id, as plain JSON-able values."""
    read = [column for column in SOURCE_COLUMNS if column in frame.columns]  # only what is kept
    return {record["user_id"]: tracked(record) for record in to_records(frame[read])}


def tracked(user: EnrichedUser) -> TrackedUser:
    """What a snapshot keeps of one enriched user (groups sorted, so order is no change)."""
    return {
        "user_name": user["user_name"],
        "is_console_user": user["is_console_user"],
        "has_mfa": user["has_mfa"],
        "active_access_keys": user["active_access_keys"],
        "is_admin": user["is_admin"],
        "groups": None if user["groups"] is None else sorted(user["groups"]),
        "can_become_admin": user.get("can_become_admin"),
        **(user.get("credentials") or {}),  # type: ignore[typeddict-item]
    }


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # user -> what changed
    findings: list[Finding] = field(default_factory=list)  # the security-relevant ones

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def diff(previous: Mapping[str, TrackedUser] | None, current: Mapping[str, TrackedUser]) -> Changes:
    """Users added, removed and changed between two snapshots, with security findings."""
    changes = Changes()
    if previous is None:
        return changes  # first snapshot: nothing to compare with
    for uid in sorted(set(current) - set(previous), key=lambda u: current[u]["user_name"]):
        user = current[uid]
        changes.added.append(user["user_name"])
        if user["is_admin"] and user["has_mfa"] is False:
            changes.findings.append(
                Finding("admin_without_mfa", user["user_name"], "new admin without MFA")
            )
    for uid in sorted(set(previous) - set(current), key=lambda u: previous[u]["user_name"]):
        changes.removed.append(previous[uid]["user_name"])
    for uid in sorted(set(previous) & set(current), key=lambda u: current[u]["user_name"]):
        before, after = previous[uid], current[uid]
        what, found = _what_changed(before, after)
        if what:
            changes.changed[after["user_name"]] = what
            changes.findings.extend(_findings(before, after) + found)
    return changes


def _said(flag: bool | None, true: str, false: str, unknown: str) -> str:
    """What a flag's new value says: ``unknown`` for anything but True or False."""
    words: dict[bool | None, str] = {True: true, False: false}
    return words.get(flag, unknown)


def _what_changed(before: TrackedUser, after: TrackedUser) -> tuple[list[str], list[Finding]]:
    """What changed, and the credential findings among it."""
    what: list[str] = []
    credentials, found, compared = credential_changes(before, after)
    if before["has_mfa"] != after["has_mfa"]:
        what.append(_said(after["has_mfa"], "MFA enabled", "MFA lost", "MFA unknown"))
    if before["is_console_user"] != after["is_console_user"]:
        what.append(
            _said(
                after["is_console_user"],
                "console enabled",
                "console disabled",
                "console access unknown",
            )
        )
    old_keys, new_keys = before["active_access_keys"], after["active_access_keys"]
    by_count = "access_keys" not in compared  # keys not known one by one on both sides
    if by_count and old_keys is not None and new_keys is not None and new_keys != old_keys:
        what.append("new active key" if new_keys > old_keys else "active key removed")
    if before["is_admin"] != after["is_admin"]:
        what.append(_said(after["is_admin"], "became admin", "no longer admin", "admin unknown"))
    if "can_become_admin" in before and before["can_become_admin"] != after.get("can_become_admin"):
        what.append(
            _said(
                after.get("can_become_admin"),
                "can become admin",
                "can no longer become admin",
                "escalation unknown",
            )
        )
    joined = sorted(set(after["groups"] or []) - set(before["groups"] or []))
    left = sorted(set(before["groups"] or []) - set(after["groups"] or []))
    if joined:
        what.append("joined " + ", ".join(joined))
    if left:
        what.append("left " + ", ".join(left))
    if before["has_mfa"] is True and after["has_mfa"] is False:  # "MFA lost" says it all
        credentials = [text for text in credentials if not text.startswith("MFA device removed")]
    what += credentials
    if before["user_name"] != after["user_name"]:
        what.append(f"renamed from {before['user_name']}")
    return what, found


def _findings(before: TrackedUser, after: TrackedUser) -> list[Finding]:
    name = after["user_name"]
    found = []
    admin_without_mfa = after["is_admin"] is True and after["has_mfa"] is False
    was = before["is_admin"] is True and before["has_mfa"] is False
    if admin_without_mfa and not was:
        found.append(Finding("admin_without_mfa", name, "admin without MFA"))
    if after["is_console_user"] and before["has_mfa"] is True and after["has_mfa"] is False:
        found.append(Finding("console_user_lost_mfa", name, "console user lost MFA"))
    if before["is_admin"] is False and after["is_admin"] is True:
        found.append(Finding("became_admin", name, "became admin"))
    if before.get("can_become_admin") is False and after.get("can_become_admin") is True:
        found.append(Finding("gained_escalation_path", name, "gained an escalation path"))
    return found


def changes_markdown(changes: Changes) -> str:
    if not changes.any:
        return "_No change since the previous snapshot._"
    lines = ["| change | user | what |", "|---|---|---|"]
    lines += [f"| added | `{name}` | |" for name in changes.added]
    lines += [f"| removed | `{name}` | |" for name in changes.removed]
    lines += [
        f"| changed | `{name}` | {', '.join(what)} |" for name, what in changes.changed.items()
    ]
    return "\n".join(lines)

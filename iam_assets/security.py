"""What a security engineer reads first: admins, KPIs, and what changed since the last snapshot.

Pure functions over the enriched users table; no Dagster here.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pandas as pd

ADMIN_POLICY = "AdministratorAccess"
OLD_KEY_DAYS = 90
RISKIEST_SHOWN = 10


def allows_everything(document: Any) -> bool:
    """True when a policy document allows every action on every resource (``*:*``).

    IAM returns documents URL-encoded; boto3 usually decodes them to dicts already.
    """
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return False
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if {"*", "*:*"} & set(actions) and "*" in resources:
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


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


def risk_score(row: Mapping[str, Any]) -> int:
    """A simple, explainable ranking: admin 50, console without MFA 30, old active key 15."""
    score = 0
    if row.get("is_admin") is True:
        score += 50
    if row.get("console_without_mfa") is True:
        score += 30
    days = row.get("oldest_active_key_days")
    if days is not None and not pd.isna(days) and days > OLD_KEY_DAYS:
        score += 15
    if row.get("unknown_fields"):
        score += 5
    return score


def kpis(frame: pd.DataFrame) -> dict[str, Any]:
    """Plain numbers to chart across materialisations, plus the riskiest users as markdown."""
    console = frame["is_console_user"].fillna(False).astype(bool)
    mfa = frame["has_mfa"]
    admins = frame["is_admin"].fillna(False).astype(bool)
    keys = frame["active_access_keys"].fillna(0)
    old_keys = frame["oldest_active_key_days"].fillna(-1) > OLD_KEY_DAYS

    def pct(series: pd.Series) -> float | None:
        known = series.dropna()
        return round(100.0 * float(known.astype(bool).mean()), 1) if len(known) else None

    figures: dict[str, Any] = {
        "users": len(frame),
        "console_users": int(console.sum()),
        "mfa_coverage_pct": pct(mfa),
        "console_mfa_coverage_pct": pct(mfa[console]),
        "users_with_active_keys": int((keys > 0).sum()),
        "users_with_active_keys_older_than_90_days": int(old_keys.sum()),
        "admins": int(admins.sum()),
        "admins_without_mfa": int((admins & (mfa == False)).sum()),  # noqa: E712 (NA stays out)
        "console_users_without_mfa": int(frame["console_without_mfa"].fillna(False).sum()),
        "users_with_unknown_fields": int((frame["unknown_fields"].map(len) > 0).sum()),
    }
    return {key: value for key, value in figures.items() if value is not None}


def riskiest_users(frame: pd.DataFrame, limit: int = RISKIEST_SHOWN) -> str:
    """Markdown table of the highest risk scores (0 scores left out)."""
    rows = [(risk_score(row), row) for row in frame.to_dict("records")]
    rows = sorted((r for r in rows if r[0] > 0), key=lambda r: (-r[0], r[1]["user_name"]))[:limit]
    if not rows:
        return "_No user stands out._"
    lines = [
        "| score | user | admin | console | MFA | active keys | oldest key (days) |",
        "|---:|---|---|---|---|---:|---:|",
    ]
    for score, row in rows:
        lines.append(
            f"| {score} | `{row['user_name']}` | {_show(row['is_admin'])}"
            f" | {_show(row['is_console_user'])} | {_show(row['has_mfa'])}"
            f" | {_show(row['active_access_keys'])} | {_show(row['oldest_active_key_days'])} |"
        )
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# -- change tracking ---------------------------------------------------------------------------
TRACKED = ("user_name", "is_console_user", "has_mfa", "active_access_keys", "is_admin", "groups")


def snapshot(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The tracked fields of every user, keyed by user id, as plain JSON-able values."""
    out: dict[str, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        out[row["user_id"]] = {name: _plain(row[name]) for name in TRACKED}
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, list):
        return sorted(value)
    if hasattr(value, "item"):
        return value.item()
    return value


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # user -> what changed
    findings: list[str] = field(default_factory=list)  # the security-relevant ones

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def diff(
    previous: Mapping[str, Mapping[str, Any]] | None, current: Mapping[str, Mapping]
) -> Changes:
    """Users added, removed and changed between two snapshots, with security findings."""
    changes = Changes()
    if previous is None:
        return changes  # first snapshot: nothing to compare with
    for uid in sorted(set(current) - set(previous), key=lambda u: current[u]["user_name"]):
        user = current[uid]
        changes.added.append(user["user_name"])
        if user["is_admin"] and user["has_mfa"] is False:
            changes.findings.append(f"new admin without MFA: {user['user_name']}")
    for uid in sorted(set(previous) - set(current), key=lambda u: previous[u]["user_name"]):
        changes.removed.append(previous[uid]["user_name"])
    for uid in sorted(set(previous) & set(current), key=lambda u: current[u]["user_name"]):
        before, after = previous[uid], current[uid]
        what = _what_changed(before, after)
        if what:
            changes.changed[after["user_name"]] = what
            changes.findings.extend(_findings(before, after))
    return changes


def _what_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    what: list[str] = []
    if before["has_mfa"] != after["has_mfa"]:
        what.append({True: "MFA enabled", False: "MFA lost"}.get(after["has_mfa"], "MFA unknown"))
    if before["is_console_user"] != after["is_console_user"]:
        what.append(
            {True: "console enabled", False: "console disabled"}.get(
                after["is_console_user"], "console access unknown"
            )
        )
    old_keys, new_keys = before["active_access_keys"], after["active_access_keys"]
    if old_keys is not None and new_keys is not None and new_keys != old_keys:
        what.append("new active key" if new_keys > old_keys else "active key removed")
    if before["is_admin"] != after["is_admin"]:
        what.append(
            {True: "became admin", False: "no longer admin"}.get(after["is_admin"], "admin unknown")
        )
    joined = sorted(set(after["groups"] or []) - set(before["groups"] or []))
    left = sorted(set(before["groups"] or []) - set(after["groups"] or []))
    if joined:
        what.append("joined " + ", ".join(joined))
    if left:
        what.append("left " + ", ".join(left))
    if before["user_name"] != after["user_name"]:
        what.append(f"renamed from {before['user_name']}")
    return what


def _findings(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    name = after["user_name"]
    found = []
    admin_without_mfa = after["is_admin"] is True and after["has_mfa"] is False
    was = before["is_admin"] is True and before["has_mfa"] is False
    if admin_without_mfa and not was:
        found.append(f"admin without MFA: {name}")
    if after["is_console_user"] and before["has_mfa"] is True and after["has_mfa"] is False:
        found.append(f"console user lost MFA: {name}")
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

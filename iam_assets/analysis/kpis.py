"""What a security engineer reads first: KPIs and the riskiest users (pure, over the enriched
users table)."""

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

OLD_KEY_DAYS = 90
RISKIEST_SHOWN = 10


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows as dicts (pandas types the keys as any hashable; ours are column names)."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def risk_score(row: Mapping[str, Any]) -> int:
    """A simple, explainable ranking: admin 50, can become admin (not one yet) 40, console
    without MFA 30, old active key 15, an active key unused for 90+ days 10, something unread 5.

    Who can make themselves an administrator is one step from being one: weighed just below.

    An unused active key is access nobody needs that still works: CIS AWS Foundations asks to
    disable credentials unused for 45 days, and a leaked one is used by someone else first. It
    weighs less than an old key (which is in use and never rotated). SSH keys, service
    credentials, certificates and the MFA kind are not weighted: they are facts to review, not
    risks in themselves (their appearance is a change-tracking finding)."""
    score = 0
    if row.get("is_admin") is True:
        score += 50
    elif row.get("can_become_admin") is True:
        score += 40
    if row.get("console_without_mfa") is True:
        score += 30
    days = row.get("oldest_active_key_days")
    if days is not None and not pd.isna(days) and days > OLD_KEY_DAYS:
        score += 15
    unused = row.get("access_keys_unused_90d")
    if unused is not None and not pd.isna(unused) and unused > 0:
        score += 10
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
        # not administrators (yet): a known escalation path is open to them
        "users_who_can_become_admin": int(
            (frame["can_become_admin"].fillna(False).astype(bool) & ~admins).sum()
        ),
        # the verdict depends on Conditions or on documents that could not be read
        "users_admin_unknown": int(frame["is_admin"].isna().sum()),
        "console_users_without_mfa": int(frame["console_without_mfa"].fillna(False).sum()),
        "users_with_unknown_fields": int((frame["unknown_fields"].map(len) > 0).sum()),
    }
    figures |= credential_kpis(frame)
    return {key: value for key, value in figures.items() if value is not None}


def credential_kpis(frame: pd.DataFrame) -> dict[str, Any]:
    """Access keys unused for 90+ days and never used (keys, not users), users holding each kind
    of credential beyond access keys, and the % of MFA users with a hardware or FIDO device.

    A figure no user's facts are known for (every read denied, or raw users saved before these
    facts were collected) is left out rather than charted as 0; users whose fact is unknown are
    not counted."""

    def total(column: str) -> int | None:
        known = frame[column].dropna()
        return int(known.sum()) if len(known) or not len(frame) else None

    def holders(column: str) -> int | None:
        known = frame[column].dropna()
        return int((known > 0).sum()) if len(known) or not len(frame) else None

    hardware = frame["has_hardware_mfa"][frame["has_mfa"].fillna(False).astype(bool)].dropna()
    return {
        "access_keys_unused_90d": total("access_keys_unused_90d"),
        "access_keys_never_used": total("access_keys_never_used"),
        "users_with_ssh_keys": holders("active_ssh_keys"),
        "users_with_service_credentials": holders("active_service_credentials"),
        "users_with_signing_certificates": holders("active_signing_certificates"),
        "hardware_mfa_coverage_pct": round(100.0 * float(hardware.astype(bool).mean()), 1)
        if len(hardware)
        else None,
    }


def riskiest_users(frame: pd.DataFrame, limit: int = RISKIEST_SHOWN) -> str:
    """Markdown table of the highest risk scores (0 scores left out)."""
    rows = [(risk_score(row), row) for row in rows_of(frame)]
    rows = sorted((r for r in rows if r[0] > 0), key=lambda r: (-r[0], r[1]["user_name"]))[:limit]
    if not rows:
        return "_No user stands out._"
    lines = [
        "| score | user | admin | can become admin | console | MFA | active keys"
        " | oldest key (days) | keys unused 90+ days | why (privilege) |",
        "|---:|---|---|---|---|---|---:|---:|---:|---|",
    ]
    for score, row in rows:
        lines.append(
            f"| {score} | `{row['user_name']}` | {_show(row['is_admin'])}"
            f" | {_show(row.get('can_become_admin'))}"
            f" | {_show(row['is_console_user'])} | {_show(row['has_mfa'])}"
            f" | {_show(row['active_access_keys'])} | {_show(row['oldest_active_key_days'])}"
            f" | {_show(row.get('access_keys_unused_90d'))} | {_cell(privilege_reason(row))} |"
        )
    return "\n".join(lines)


def privilege_reason(row: Mapping[str, Any]) -> str:
    """The first reason of the verdict that weighs most: why admin (or why unknown), else the
    first open escalation path."""
    admin_reasons = list(row.get("admin_reasons") or [])
    paths = list(row.get("escalation_paths") or [])
    if row.get("is_admin") is not False and admin_reasons:
        return admin_reasons[0]
    return paths[0] if paths else ""


def _cell(text: str, limit: int = 160) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

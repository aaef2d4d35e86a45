"""The controls judged over one inventory (pure): each control's failing, passing and
not-evaluated subjects, each user's failed controls, and the summary a security team charts.

A control passes only when every subject was evaluated and none failed: a subject whose data is
unknown is listed as not evaluated (with why), never as passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iam_assets.analysis.control_types import (
    ACCOUNT_SUBJECT,
    ROOT_SUBJECT,
    AccountFacts,
    Control,
    ControlSettings,
)
from iam_assets.analysis.controls import declared_controls


@dataclass(frozen=True)
class ControlResult:
    """One control over the inventory: subject (user name, or the root user or the account)
    -> why, for those that fail and those not evaluated; the names of those that pass."""

    control: Control
    failing: dict[str, str]
    passed: list[str]
    not_evaluated: dict[str, str]

    @property
    def evaluated(self) -> list[str]:
        return sorted([*self.failing, *self.passed])

    @property
    def ok(self) -> bool:
        """Passed: nothing fails, and nothing was left unjudged."""
        return not self.failing and not self.not_evaluated


def _subjects(
    control: Control, users: list[Mapping[str, Any]], account: AccountFacts
) -> list[tuple[str, Any]]:
    if control.scope == "user":
        return [(user["user_name"], user) for user in users]
    return [(ROOT_SUBJECT if control.scope == "root" else ACCOUNT_SUBJECT, account)]


def judge(
    control: Control,
    users: list[Mapping[str, Any]],
    account: AccountFacts,
    settings: ControlSettings,
    now: datetime,
) -> ControlResult:
    """``control`` over every subject of its scope."""
    failing: dict[str, str] = {}
    passed: list[str] = []
    not_evaluated: dict[str, str] = {}
    for name, subject in _subjects(control, users, account):
        verdict = control.rule(subject, settings, now)
        if verdict.passed is True:
            passed.append(name)
        elif verdict.passed is False:
            failing[name] = verdict.why
        else:
            not_evaluated[name] = verdict.why
    return ControlResult(control, failing, sorted(passed), not_evaluated)


def evaluate(
    users: Iterable[Mapping[str, Any]],
    account: AccountFacts,
    settings: ControlSettings,
    now: datetime,
) -> list[ControlResult]:
    """Every declared control over the inventory's users (enriched records) and account."""
    users = list(users)
    return [judge(c, users, account, settings, now) for c in declared_controls(settings)]


def user_controls(
    user: Mapping[str, Any], settings: ControlSettings, now: datetime
) -> tuple[list[str], list[str]]:
    """The user-level controls ``user`` fails, and those it could not be judged by (check
    names, in the table's order)."""
    failed_checks, unjudged = [], []
    for control in declared_controls(settings):
        if control.scope != "user":
            continue
        verdict = control.rule(user, settings, now)
        if verdict.passed is False:
            failed_checks.append(control.check)
        elif verdict.passed is None:
            unjudged.append(control.check)
    return failed_checks, unjudged


def summary(results: Iterable[ControlResult]) -> dict[str, int]:
    """Numbers to chart across runs: per control, how many subjects fail it and how many were
    not evaluated; and how many controls pass, fail, or could not be judged in full."""
    results = list(results)
    figures = {
        "controls_passed": sum(result.ok for result in results),
        "controls_failing": sum(bool(result.failing) for result in results),
        "controls_not_fully_evaluated": sum(bool(result.not_evaluated) for result in results),
    }
    for result in results:
        figures[f"{result.control.check}_failing"] = len(result.failing)
        figures[f"{result.control.check}_not_evaluated"] = len(result.not_evaluated)
    return figures


def summary_markdown(results: Iterable[ControlResult]) -> str:
    """One row per control: ids, title, how many fail, pass, and were not evaluated."""
    lines = [
        "| check | ids | control | failing | passed | not evaluated |",
        "|---|---|---|---:|---:|---:|",
    ]
    for result in results:
        control = result.control
        lines.append(
            f"| `{control.check}` | {control.ids} | {control.title} | {len(result.failing)}"
            f" | {len(result.passed)} | {len(result.not_evaluated)} |"
        )
    return "\n".join(lines)


def describe(result: ControlResult, shown: int = 20) -> str:
    """The check's description: who fails and why, who was not evaluated and why."""
    control = result.control

    def listing(found: dict[str, str]) -> str:
        items = [f"{name} ({why})" for name, why in sorted(found.items())]
        more = f"; …and {len(items) - shown} more" if len(items) > shown else ""
        return "; ".join(items[:shown]) + more

    parts = []
    if result.failing:
        parts.append(f"{len(result.failing)} fail: {listing(result.failing)}")
    if result.not_evaluated:
        parts.append(f"{len(result.not_evaluated)} not evaluated: {listing(result.not_evaluated)}")
    if not parts:
        parts.append(f"all {len(result.passed)} pass")
    return f"{control.title} ({control.ids}): " + ". ".join(parts) + "."

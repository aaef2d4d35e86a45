"""How current a bulk read is, and what it must still read per user to be current: the fields
CloudTrail shows changed since the credential report was made, and the per-user facts that
cannot be carried from the previous run (``carried_facts``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iam_assets.collect import carried_facts
from iam_assets.collect.carried_facts import CarriedFacts, CarryPlan
from iam_assets.collect.records import RawUser, iso_utc
from iam_assets.collect.report_fetch import FetchedReport
from iam_assets.collect.trail_changes import TrailChanges

# The credential report's fields a later IAM event may have changed: re-read per user then.
REPORT_FIELDS = ("AccessKeys", "ConsoleAccessEnabled", "MFADevices", "SigningCertificates")


@dataclass
class Freshness:
    """How current the bulk read is: the report's age, the changes CloudTrail showed since,
    and the per-user facts carried from earlier runs."""

    report_age_seconds: float | None = None
    # What CloudTrail's history said: "read", "not needed" (a report made for this run, nothing
    # carried), "not read" (turned off), or "unavailable: <why>".
    change_history: str = "not read"
    history_unavailable: str | None = None  # why CloudTrail could not be read
    change_lookups: int = 0  # CloudTrail LookupEvents calls (counted apart from IAM's)
    changed_users: list[str] = field(default_factory=list)
    carried_facts: int = 0
    oldest_carried_read_at: str | None = None
    reverified_facts: int = 0
    reverify_over_budget: int = 0


@dataclass(frozen=True)
class Incremental:
    """What lets a run read per user only what changed: CloudTrail (a ``cloudtrail`` client;
    ``None``: no change history, every per-user fact is read) and the facts carried from the
    previous run."""

    trail_client: Any = None
    carried: CarriedFacts = field(default_factory=CarriedFacts)
    reverify_days: int = carried_facts.DEFAULT_REVERIFY_DAYS
    call_budget: int | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def freshen(
    users: list[RawUser],
    pending: dict[str, list[str]],
    trail: TrailChanges | None,
    fetched: FetchedReport,
    now: datetime,
    incremental: Incremental,
) -> Freshness:
    """Add to ``pending`` what changed since the report; carry the per-user facts nothing
    changed (taking them out of ``pending``), and say how current the whole read is."""
    freshness = Freshness(report_age_seconds=fetched.age(now).total_seconds())
    if trail is not None:
        freshness.change_lookups = trail.calls
        if not trail.known:
            freshness.history_unavailable = trail.unavailable
            freshness.change_history = f"unavailable: {trail.unavailable}"
        else:
            freshness.change_history = "read" if trail.calls else "not needed"
    changed: set[str] = set()
    wanted: dict[str, tuple[RawUser, tuple[str, ...]]] = {}
    for user in users:
        name = user["UserName"]
        for raw_field in REPORT_FIELDS:
            if trail is not None and trail.changed_since(name, raw_field, fetched.generated_at):
                changed.add(name)
                if raw_field not in pending[name]:
                    pending[name].append(raw_field)
        carryable = tuple(
            raw_field
            for raw_field in carried_facts.CARRIED_FIELDS
            if raw_field in pending[name]
            and not (
                trail is not None and trail.changed_since(name, raw_field, fetched.generated_at)
            )
        )
        if carryable:
            wanted[name] = (user, carryable)
    plan = carried_facts.plan(
        wanted,
        incremental.carried,
        trail,
        now,
        reverify_days=incremental.reverify_days,
        budget=incremental.call_budget,
    )
    _apply(plan, users, pending)
    freshness.changed_users = sorted(changed)
    freshness.carried_facts = sum(len(facts) for facts in plan.carried.values())
    freshness.oldest_carried_read_at = iso_utc(plan.oldest)
    freshness.reverified_facts = plan.reverified
    freshness.reverify_over_budget = plan.over_budget
    return freshness


def _apply(plan: CarryPlan, users: list[RawUser], pending: dict[str, list[str]]) -> None:
    """Put the carried facts in the users and take them off what is still to read."""
    for user in users:
        name = user["UserName"]
        for raw_field, fact in plan.carried.get(name, {}).items():
            user[raw_field] = fact.value  # type: ignore[literal-required]
            user.setdefault("FactsReadAt", {})[raw_field] = iso_utc(fact.read_at) or ""
            if raw_field == "MFADevices":
                user["MFAActive"] = bool(fact.value)
            pending[name].remove(raw_field)

"""Facts IAM tells only per user, carried from one run to the next while nothing changed them.

SSH public keys (``ListSSHPublicKeys``) and the MFA device lists of users with MFA
(``ListMFADevices``: hardware and FIDO keys too, each device's kind) cost one call per user:
about 5,500 calls a day on a 5,000-user account, competing with the account's other automation
for IAM's throttle. A fact
read on an earlier run is kept when CloudTrail shows no event that could have changed it since
it was read (``trail_changes``), and re-read otherwise; a rolling slice re-reads the oldest so
that every fact is re-verified within ``reverify_days``, whatever CloudTrail said. Each user's
``FactsReadAt`` says when each carried fact was read. Without change history, nothing is
carried: every fact is read, as on the first run.

The state is a JSON-able dict the Dagster layer stores per account (``to_state``/``from_state``):
a user is recognised by ARN and ``UserId``, so a user deleted and re-created under the same name
starts afresh.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from iam_assets.collect.records import RawUser, iso_utc
from iam_assets.collect.timestamps import to_utc
from iam_assets.collect.trail_changes import DELIVERY_MARGIN, RETENTION, TrailChanges

CARRIED_FIELDS = ("SSHPublicKeys", "MFADevices")
STATE_VERSION = 1
DEFAULT_REVERIFY_DAYS = 80  # within CloudTrail's 90 days of event history


@dataclass(frozen=True)
class Fact:
    value: list[Any]
    read_at: datetime


@dataclass(frozen=True)
class CarriedFacts:
    """The previous run's per-user facts: ARN -> (UserId, field -> ``Fact``)."""

    by_arn: Mapping[str, tuple[str, Mapping[str, Fact]]] = field(default_factory=dict)

    def fact(self, user: Mapping[str, Any], raw_field: str) -> Fact | None:
        held = self.by_arn.get(user["Arn"])
        if held is None or held[0] != user["UserId"]:
            return None
        return held[1].get(raw_field)

    def __len__(self) -> int:
        return len(self.by_arn)


def from_state(state: Any) -> CarriedFacts:
    """The carried facts of a stored state; anything malformed (a file edited by hand, or
    damaged) is skipped, and then read again."""
    users = state.get("users") if isinstance(state, Mapping) else None
    if not isinstance(users, Mapping) or state.get("version") != STATE_VERSION:
        return CarriedFacts()
    by_arn: dict[str, tuple[str, dict[str, Fact]]] = {}
    for arn, held in users.items():
        if not isinstance(held, Mapping) or not isinstance(held.get("UserId"), str):
            continue
        facts = held.get("facts")
        if not isinstance(facts, Mapping):
            continue
        parsed = {name: _fact(stored) for name, stored in facts.items() if name in CARRIED_FIELDS}
        by_arn[str(arn)] = (held["UserId"], {n: f for n, f in parsed.items() if f is not None})
    return CarriedFacts(by_arn)


def _fact(stored: Any) -> Fact | None:
    """One stored fact, or ``None`` when it is not one: a list of records and an instant."""
    if not isinstance(stored, Mapping) or not isinstance(stored.get("read_at"), str):
        return None
    value = stored.get("value")
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        return None
    try:
        read_at = to_utc(stored["read_at"])
    except ValueError:
        return None
    return None if read_at is None else Fact(value=value, read_at=read_at)


def to_state(users: Iterable[RawUser], now: datetime) -> dict[str, Any]:
    """What the next run may carry: each user's known per-user facts and when they were read."""
    stamp = iso_utc(now)
    out: dict[str, Any] = {}
    for user in users:
        read_at = user.get("FactsReadAt") or {}
        facts = {
            raw_field: {"value": user[raw_field], "read_at": read_at.get(raw_field, stamp)}  # type: ignore[literal-required]
            for raw_field in CARRIED_FIELDS
            if user.get(raw_field) is not None
        }
        out[user["Arn"]] = {"UserId": user["UserId"], "facts": facts}
    return {"version": STATE_VERSION, "users": out}


@dataclass
class CarryPlan:
    """Per user, the facts kept from an earlier read and the ones to read now."""

    carried: dict[str, dict[str, Fact]] = field(default_factory=dict)  # user -> field -> fact
    to_read: dict[str, list[str]] = field(default_factory=dict)  # user -> fields
    reverified: int = 0  # facts re-read by the rolling slice, unchanged as far as CloudTrail knew
    over_budget: int = 0  # facts the slice would have re-read, left carried by the budget

    def read(self, user: str, raw_field: str) -> None:
        self.to_read.setdefault(user, []).append(raw_field)

    @property
    def oldest(self) -> datetime | None:
        return min(
            (fact.read_at for facts in self.carried.values() for fact in facts.values()),
            default=None,
        )


def plan(
    wanted: Mapping[str, tuple[RawUser, tuple[str, ...]]],
    carried: CarriedFacts,
    trail: TrailChanges | None,
    now: datetime,
    *,
    reverify_days: int = DEFAULT_REVERIFY_DAYS,
    budget: int | None = None,
) -> CarryPlan:
    """Which of the ``wanted`` per-user facts (user -> (raw user, fields)) to keep, which to read.

    A fact is kept only if it was read before for the same user, within ``reverify_days``, and
    CloudTrail's history (known) shows no event that could have changed it since; an MFA device
    list is kept only if it still agrees with the virtual devices IAM lists now. Of the kept
    facts, the oldest ``1/reverify_days`` are re-read (at most ``budget`` of them, if set).
    """
    out = CarryPlan()
    keepable: list[tuple[datetime, str, str]] = []
    # Older than reverify_days, or so old that CloudTrail's 90 days no longer cover the margin
    # before the read: read again.
    horizon = max(now - timedelta(days=reverify_days), now - RETENTION + DELIVERY_MARGIN)
    for name, (user, fields) in wanted.items():
        for raw_field in fields:
            fact = carried.fact(user, raw_field)
            if (
                trail is None
                or not trail.known
                or fact is None
                or fact.read_at <= horizon
                or fact.read_at > now
                or trail.changed_since(name, raw_field, fact.read_at)
                or (raw_field == "MFADevices" and not _agrees(fact.value, user))
            ):
                out.read(name, raw_field)
                continue
            keepable.append((fact.read_at, name, raw_field))
            out.carried.setdefault(name, {})[raw_field] = fact
    keepable.sort()
    slice_size = math.ceil(len(keepable) / max(reverify_days, 1))
    allowed = slice_size if budget is None else min(slice_size, max(budget, 0))
    out.over_budget = slice_size - allowed
    for _read_at, name, raw_field in keepable[:allowed]:
        del out.carried[name][raw_field]
        if not out.carried[name]:
            del out.carried[name]
        out.read(name, raw_field)
        out.reverified += 1
    return out


def _agrees(devices: list[Any], user: RawUser) -> bool:
    """Whether carried MFA devices agree with what IAM lists now: the same virtual devices as
    the account-wide listing (in ``MFADevices`` until the list is complete), and MFA active."""
    listed = sorted(device["SerialNumber"] for device in user["MFADevices"] or [])
    carried = sorted(d.get("SerialNumber") for d in devices if d.get("Kind") == "virtual")
    return bool(devices) and bool(user["MFAActive"]) and carried == listed

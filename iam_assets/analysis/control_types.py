"""What a control is made of (pure): its verdict on one subject, the settings its thresholds come
from, and the account-wide facts the root and password-policy controls read.

A verdict is three-valued: passed, failed (with why), or not evaluated (with why: the data it
needs is unknown or its read was denied). Not evaluated is never counted as passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Who a control judges: each user of the table, the root user, or the account's settings.
Scope = Literal["user", "root", "account"]
# How the subjects of the root and account scopes are named in results and alerts.
ROOT_SUBJECT = "<root_account>"  # as the credential report names the root user
ACCOUNT_SUBJECT = "<account>"


@dataclass(frozen=True)
class Verdict:
    """``passed`` None: not evaluated. ``why``: what failed, or what is unknown."""

    passed: bool | None
    why: str = ""


PASSED = Verdict(True)


def failed(why: str) -> Verdict:
    return Verdict(False, why)


def unknown(why: str) -> Verdict:
    return Verdict(None, why)


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict from the parts of a control: any failure fails it (every failure said), else
    any unknown part leaves it not evaluated, else it passes."""
    failures = [verdict.why for verdict in verdicts if verdict.passed is False]
    if failures:
        return failed("; ".join(failures))
    unknowns = [verdict.why for verdict in verdicts if verdict.passed is None]
    return unknown("; ".join(unknowns)) if unknowns else PASSED


@dataclass(frozen=True)
class PasswordRequirements:
    """What a password policy must require; ``None``: not required by this control."""

    min_length: int | None = None
    uppercase: bool = False
    lowercase: bool = False
    symbols: bool = False
    numbers: bool = False
    reuse_prevention: int | None = None  # at least this many previous passwords remembered
    max_age_days: int | None = None  # passwords expire within this many days

    def shortfalls(self, policy: Mapping[str, Any]) -> list[str]:
        """What ``policy`` (GetAccountPasswordPolicy's ``PasswordPolicy``) lacks."""
        found = []
        length = policy.get("MinimumPasswordLength") or 0
        if self.min_length is not None and length < self.min_length:
            found.append(f"minimum length {length} (< {self.min_length})")
        for wanted, key, words in (
            (self.uppercase, "RequireUppercaseCharacters", "an uppercase letter"),
            (self.lowercase, "RequireLowercaseCharacters", "a lowercase letter"),
            (self.symbols, "RequireSymbols", "a symbol"),
            (self.numbers, "RequireNumbers", "a number"),
        ):
            if wanted and not policy.get(key):
                found.append(f"does not require {words}")
        reuse = policy.get("PasswordReusePrevention") or 0
        if self.reuse_prevention is not None and reuse < self.reuse_prevention:
            found.append(f"remembers {reuse} previous password(s) (< {self.reuse_prevention})")
        age = policy.get("MaxPasswordAge") if policy.get("ExpirePasswords", True) else None
        if self.max_age_days is not None and not (age and age <= self.max_age_days):
            found.append(
                f"passwords expire after {age} days (> {self.max_age_days})"
                if age
                else "passwords never expire"
            )
        return found


# IAM.7's defaults (Security Hub's parameters, each configurable there and here).
IAM_7_DEFAULT = PasswordRequirements(
    min_length=8, uppercase=True, lowercase=True, symbols=True, numbers=True
)


@dataclass(frozen=True)
class ControlSettings:
    """The thresholds the standards let an account choose, with the standards' defaults.

    ``required_tags`` empty: IAM.25 (users tagged with these keys) is not declared at all."""

    unused_days: int = 45  # CIS 1.12 / IAM.22: credentials unused this long are disabled
    stale_days: int = 90  # IAM.8: unused credentials removed
    key_rotation_days: int = 90  # CIS 1.14 / IAM.3
    root_use_days: int = 90  # CIS 1.7 / IAM.20: root sign-in or key use this recent fails
    strong_password: PasswordRequirements = IAM_7_DEFAULT  # IAM.7's parameters
    required_tags: tuple[str, ...] = ()  # IAM.25's requiredTagKeys


@dataclass(frozen=True)
class AccountFacts:
    """The root user (``collect.records.RootAccount``) and the account's settings
    (``collect.account_settings.AccountSettings``) as collected; an empty mapping: not
    collected at all (``missing`` says why)."""

    root: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    missing: str = "not collected"

    def fact(self, source: Literal["root", "settings"], name: str) -> tuple[Any, str | None]:
        """``(value, None)`` when known (``None`` then means none: never used, ...), else
        ``(None, why)``."""
        record = self.root if source == "root" else self.settings
        if name not in record:
            return None, f"{name}: {self.missing}"
        why = (record.get("UnknownFields") or {}).get(name)
        return (None, f"{name}: {why}") if why else (record[name], None)


# A control's rule: its subject (an enriched user's record, or ``AccountFacts``), the
# settings, and the moment the run judges at.
Rule = Callable[[Any, ControlSettings, datetime], Verdict]


@dataclass(frozen=True)
class Control:
    """One row of the controls table (``controls.CONTROLS``)."""

    check: str  # the asset check's name: its Security Hub id, else its CIS id
    security_hub: tuple[str, ...]  # e.g. ("IAM.4",)
    cis: tuple[str, ...]  # CIS AWS Foundations Benchmark v3.0.0, e.g. ("1.4",)
    title: str
    severity: str  # as Security Hub rates it: CRITICAL, HIGH, MEDIUM, LOW
    scope: Scope
    rule: Rule
    reads: str  # what it reads, in the words of docs/controls.md
    declared: Callable[[ControlSettings], bool] = lambda _settings: True

    @property
    def ids(self) -> str:
        """Both standards' ids, as people search for them: "IAM.4, CIS 1.4"."""
        return ", ".join([*self.security_hub, *(f"CIS {cis}" for cis in self.cis)])

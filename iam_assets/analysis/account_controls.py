"""The rules of the root-user and password-policy controls (pure, over ``AccountFacts``).

Each says what it needs; a fact that could not be read (denied, absent from the credential
report, or not told by ``GetAccountSummary``) leaves the control not evaluated, naming it.
"""

from __future__ import annotations

from datetime import datetime

from iam_assets.analysis.control_types import (
    PASSED,
    AccountFacts,
    ControlSettings,
    PasswordRequirements,
    Rule,
    Verdict,
    combine,
    failed,
    unknown,
)
from iam_assets.collect.timestamps import to_utc


def root_access_keys(account: AccountFacts, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.4 / IAM.4: the root user has no access key (active or not, as both titles say
    "exist"); where only the number of active keys is known, an active one fails."""
    present, why = account.fact("root", "AccessKeysPresent")
    if present is None:
        active, _ = account.fact("root", "ActiveAccessKeys")
        if active:
            return failed(f"the root user has {active} active access key(s)")
        return unknown(why or "AccessKeysPresent: unknown")
    return failed("the root user has an access key") if present else PASSED


def root_mfa(account: AccountFacts, _settings: ControlSettings, _now: datetime) -> Verdict:
    """CIS 1.5 / IAM.9: the root user has MFA."""
    active, why = account.fact("root", "MFAActive")
    if active is None:
        return unknown(why or "MFAActive: unknown")
    return PASSED if active else failed("the root user has no MFA")


def root_hardware_mfa(account: AccountFacts, settings: ControlSettings, now: datetime) -> Verdict:
    """CIS 1.6 / IAM.6: the root user's MFA is a hardware (or FIDO) device: it has MFA, and
    ``ListVirtualMFADevices`` lists no virtual device of the root user."""
    has_mfa = root_mfa(account, settings, now)
    if has_mfa.passed is not True:
        return has_mfa
    virtual, why = account.fact("settings", "RootVirtualMFA")
    if virtual is None:
        return unknown(why or "RootVirtualMFA: unknown")
    return failed("the root user's MFA is a virtual device") if virtual else PASSED


def root_used_recently(account: AccountFacts, settings: ControlSettings, now: datetime) -> Verdict:
    """CIS 1.7 / IAM.20: the root user's password and access keys were not used in the last
    ``root_use_days`` days (the credential report's ``<root_account>`` row)."""
    parts = []
    for name, words in (("PasswordLastUsed", "password"), ("AccessKeyLastUsed", "access key")):
        used, why = account.fact("root", name)
        if why is not None:
            parts.append(unknown(why))
            continue
        moment = to_utc(used)
        days = None if moment is None else (now - moment).days
        if days is not None and days < settings.root_use_days:
            parts.append(failed(f"the root user's {words} was used {days} day(s) ago"))
        else:
            parts.append(PASSED)
    return combine(parts)


def password_policy(requirements: PasswordRequirements | None = None) -> Rule:
    """The rule of a password-policy control: the account has a policy (``NoSuchEntity``: none,
    which fails) that meets ``requirements`` (``None``: the settings' ``strong_password``)."""

    def rule(account: AccountFacts, settings: ControlSettings, _now: datetime) -> Verdict:
        policy, why = account.fact("settings", "PasswordPolicy")
        if why is not None:
            return unknown(why)
        if policy is None:
            return failed("the account has no password policy")
        wanted = requirements or settings.strong_password
        shortfalls = wanted.shortfalls(policy)
        return failed("the password policy " + ", ".join(shortfalls)) if shortfalls else PASSED

    return rule

"""The CIS AWS Foundations Benchmark (v3.0.0) and AWS Security Hub IAM controls this inventory
judges every day, declared in one table (pure).

A control is one row of ``CONTROLS`` and one rule function (``user_controls`` for users,
``account_controls`` for the root user and the password policy): its check name (its Security
Hub id, else its CIS id), both standards' ids, title, severity, scope and what it reads. The
Dagster layer makes each row a WARN asset check; ``compliance`` evaluates them. The thresholds
the standards let an account choose are ``ControlSettings``.
"""

from __future__ import annotations

from iam_assets.analysis import account_controls as account
from iam_assets.analysis import user_controls as user
from iam_assets.analysis.control_types import Control, ControlSettings, PasswordRequirements

_REPORT_ROOT = "the credential report's <root_account> row, else GetAccountSummary"
_POLICY = "GetAccountPasswordPolicy (no policy fails)"


def _policy(check: str, hub: str, cis: tuple[str, ...], title: str, needs: PasswordRequirements):
    return Control(
        check, (hub,), cis, title, "MEDIUM", "account", account.password_policy(needs), _POLICY
    )


CONTROLS: tuple[Control, ...] = (
    # -- the root user ---------------------------------------------------------------------
    Control(
        "iam_4", ("IAM.4",), ("1.4",), "The root user has no access key", "CRITICAL", "root",
        account.root_access_keys, _REPORT_ROOT + " (AccountAccessKeysPresent)",
    ),
    Control(
        "iam_9", ("IAM.9",), ("1.5",), "The root user has MFA", "CRITICAL", "root",
        account.root_mfa, _REPORT_ROOT + " (AccountMFAEnabled)",
    ),
    Control(
        "iam_6", ("IAM.6",), ("1.6",), "The root user's MFA is a hardware device", "CRITICAL",
        "root", account.root_hardware_mfa,
        "the root user's MFA, and ListVirtualMFADevices (the root user holds no virtual device)",
    ),
    Control(
        "iam_20", ("IAM.20",), ("1.7",), "The root user is not used", "LOW", "root",
        account.root_used_recently,
        "the credential report's <root_account> row: password and access keys' last use"
        " (root_use_days)",
    ),
    # -- the password policy ---------------------------------------------------------------
    Control(
        "iam_7", ("IAM.7",), (), "The password policy is strong (Security Hub's parameters)",
        "MEDIUM", "account", account.password_policy(), _POLICY + " (strong_password)",
    ),
    _policy(
        "iam_10", "IAM.10", (), "The password policy is strong (PCI DSS)",
        PasswordRequirements(7, True, True, False, True, reuse_prevention=4, max_age_days=90),
    ),
    _policy("iam_11", "IAM.11", (), "Passwords require an uppercase letter",
            PasswordRequirements(uppercase=True)),
    _policy("iam_12", "IAM.12", (), "Passwords require a lowercase letter",
            PasswordRequirements(lowercase=True)),
    _policy("iam_13", "IAM.13", (), "Passwords require a symbol",
            PasswordRequirements(symbols=True)),
    _policy("iam_14", "IAM.14", (), "Passwords require a number",
            PasswordRequirements(numbers=True)),
    _policy("iam_15", "IAM.15", ("1.8",), "Passwords are at least 14 characters long",
            PasswordRequirements(min_length=14)),
    _policy("iam_16", "IAM.16", ("1.9",), "Passwords cannot reuse the last 24",
            PasswordRequirements(reuse_prevention=24)),
    _policy("iam_17", "IAM.17", (), "Passwords expire within 90 days",
            PasswordRequirements(max_age_days=90)),
    # -- every user ------------------------------------------------------------------------
    Control(
        "iam_5", ("IAM.5",), ("1.10",), "Console users have MFA", "MEDIUM", "user",
        user.mfa_for_console_users, "is_console_user, has_mfa",
    ),
    Control(
        "iam_19", ("IAM.19",), (), "Every user has MFA", "MEDIUM", "user",
        user.mfa_for_every_user, "has_mfa",
    ),
    Control(
        "cis_1_11", (), ("1.11",), "No access key created at setup and never used", "MEDIUM",
        "user", user.no_keys_at_setup, "is_console_user, access_keys_never_used",
    ),
    Control(
        "iam_22", ("IAM.22",), ("1.12",), "No credential unused for 45 days", "MEDIUM", "user",
        user.credentials_unused("unused_days"),
        "password_last_used_at (never used: created_at), key_unused_days (unused_days)",
    ),
    Control(
        "iam_8", ("IAM.8",), (), "No credential unused for 90 days", "MEDIUM", "user",
        user.credentials_unused("stale_days"),
        "password_last_used_at (never used: created_at), key_unused_days (stale_days)",
    ),
    Control(
        "cis_1_13", (), ("1.13",), "At most one active access key", "MEDIUM", "user",
        user.one_active_key, "active_access_keys",
    ),
    Control(
        "iam_3", ("IAM.3",), ("1.14",), "Active access keys rotated within 90 days", "MEDIUM",
        "user", user.keys_rotated, "oldest_active_key_days (key_rotation_days)",
    ),
    Control(
        "iam_2", ("IAM.2",), ("1.15",), "Permissions only through groups", "LOW", "user",
        user.permissions_through_groups, "attached_policies, inline_policies",
    ),
    Control(
        "iam_1", ("IAM.1",), ("1.16",), "No policy allowing *:* applies", "HIGH",
        "user", user.no_full_admin, "is_admin, admin_reasons (the privilege analysis)",
    ),
    Control(
        "iam_27", ("IAM.27",), ("1.22",), "No AWSCloudShellFullAccess", "MEDIUM", "user",
        user.no_cloudshell_full_access, "attached_policies, group_policies (by name)",
    ),
    Control(
        "iam_25", ("IAM.25",), (), "Users carry the required tags", "LOW", "user",
        user.required_tags, "tags (required_tags: IAM_ASSETS_REQUIRED_TAGS)",
        declared=lambda settings: bool(settings.required_tags),
    ),
)  # fmt: skip


def declared_controls(settings: ControlSettings) -> tuple[Control, ...]:
    """The controls judged under ``settings`` (IAM.25 only when tags are required)."""
    return tuple(control for control in CONTROLS if control.declared(settings))


def control(check: str) -> Control:
    """The row of ``CONTROLS`` whose check is ``check``."""
    for row in CONTROLS:
        if row.check == check:
            return row
    raise KeyError(f"no control is declared as {check!r}")

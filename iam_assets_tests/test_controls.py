"""Each control's rule on plain records, at a fixed "now": the narrow margins (44 and 45 days,
89 and 90 days), unknown data never passed, the password policy and the root user read as the
collection leaves them; the table itself, and docs/controls.md kept to it."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iam_assets.analysis import compliance, enrich
from iam_assets.analysis.control_types import AccountFacts, ControlSettings
from iam_assets.analysis.controls import CONTROLS, control, declared_controls

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = ControlSettings()
DOC = Path(__file__).resolve().parents[1] / "docs" / "controls.md"


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw(name: str = "u", **fields: Any) -> dict[str, Any]:
    """A raw user, every fact known: no password, no key, MFA, no policy, tagged."""
    return {
        "UserId": f"AIDA{name.upper()}",
        "UserName": name,
        "Arn": f"arn:aws:iam::123456789012:user/{name}",
        "Path": "/",
        "CreateDate": ago(400),
        "PasswordLastUsed": None,
        "AccessKeys": [],
        "MFADevices": [{"SerialNumber": "arn:aws:iam::123456789012:mfa/u", "EnableDate": None}],
        "MFAActive": True,
        "ConsoleAccessEnabled": False,
        "Tags": [{"Key": "team", "Value": "a"}],
        "Groups": [],
        "AttachedPolicies": [],
        "InlinePolicies": [],
        "Policies": [],
        "SigningCertificates": [],
        "SSHPublicKeys": [],
        "ServiceSpecificCredentials": [],
        "PermissionsBoundary": "",
        "UnknownFields": {},
        **fields,
    }


def key(created: float, used: float | None, status: str = "Active") -> dict[str, Any]:
    return {
        "AccessKeyId": None,
        "Status": status,
        "CreateDate": ago(created),
        "LastUsedDate": None if used is None else ago(used),
        "LastUsedRegion": None,
        "LastUsedService": None,
    }


def verdict(check: str, raw_user: dict[str, Any], settings: ControlSettings = SETTINGS):
    (record,) = enrich.to_records(enrich.enrich_users([raw_user], NOW, settings))
    return control(check).rule(record, settings, NOW)


@pytest.mark.parametrize(
    ("keys", "check", "passed"),
    [
        ([key(60, 44)], "iam_22", True),  # used 44 days ago: within 45
        ([key(60, 45)], "iam_22", False),
        ([key(44, None)], "iam_22", True),  # never used: counted from its creation
        ([key(45, None)], "iam_22", False),
        ([key(200, 89)], "iam_8", True),
        ([key(200, 90)], "iam_8", False),
        ([key(89, 1)], "iam_3", True),  # rotated 89 days ago
        ([key(90, 1)], "iam_3", False),
        ([key(400, 1, "Inactive")], "iam_3", True),  # only active keys count
        ([key(1, 1), key(2, 1)], "cis_1_13", False),
        ([key(1, 1), key(2, 1, "Inactive")], "cis_1_13", True),
    ],
)
def test_key_controls_at_their_margins(keys, check, passed):
    assert verdict(check, raw(AccessKeys=keys)).passed is passed


@pytest.mark.parametrize(("days", "passed"), [(44, True), (45, False)])
def test_a_console_password_unused_for_45_days_fails(days, passed):
    user = raw(ConsoleAccessEnabled=True, PasswordLastUsed=ago(days))
    assert verdict("iam_22", user).passed is passed


def test_a_password_never_used_is_judged_only_when_it_cannot_be_old():
    young = raw(ConsoleAccessEnabled=True, CreateDate=ago(10))
    assert verdict("iam_22", young).passed is True
    old = verdict("iam_22", raw(ConsoleAccessEnabled=True))
    assert old.passed is None and "when it was set is not read" in old.why


def test_keys_created_at_setup_fail_a_console_user_only():
    assert verdict("cis_1_11", raw(ConsoleAccessEnabled=True, AccessKeys=[key(5, None)])).why == (
        "1 active access key(s) never used"
    )
    assert verdict("cis_1_11", raw(AccessKeys=[key(5, None)])).passed is True


def test_unknown_data_is_not_evaluated_and_named_never_passed():
    denied = raw(
        ConsoleAccessEnabled=True,
        MFAActive=None,
        MFADevices=None,
        AccessKeys=None,
        UnknownFields={"MFADevices": "AccessDenied", "AccessKeys": "AccessDenied"},
    )
    for check in ("iam_5", "iam_19", "cis_1_13", "iam_3", "iam_22"):
        assert verdict(check, denied).passed is None, check
    assert verdict("iam_19", denied).why == "has_mfa unknown (MFADevices not read)"
    # A user known to have no password passes the console controls whatever its MFA.
    assert verdict("iam_5", {**denied, "ConsoleAccessEnabled": False}).passed is True
    (record,) = enrich.to_records(enrich.enrich_users([denied], NOW))
    assert record["failed_controls"] == []
    assert "iam_19" in record["controls_not_evaluated"]


def test_policies_on_the_user_admin_and_cloudshell():
    assert verdict("iam_2", raw(AttachedPolicies=["ReadOnlyAccess"])).why == (
        "policies on the user: ReadOnlyAccess"
    )
    shell = {"GroupName": "g", "AttachedPolicies": ["AWSCloudShellFullAccess"]}
    shell["InlinePolicies"] = []
    assert verdict("iam_27", raw(Groups=[shell])).why == "AWSCloudShellFullAccess through a group"
    assert verdict("iam_2", raw(Groups=[shell])).passed is True  # through a group: fine
    star = {
        "PolicyName": "all",
        "PolicyArn": None,
        "Via": "user",
        "VersionId": None,
        "Document": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        "Unreadable": None,
    }
    admin = verdict("iam_1", raw(InlinePolicies=["all"], Policies=[star]))
    assert admin.passed is False and "all" in admin.why


def test_required_tags_only_when_configured():
    tagged = ControlSettings(required_tags=("team", "owner"))
    assert "iam_25" not in {c.check for c in declared_controls(SETTINGS)}
    assert "iam_25" in {c.check for c in declared_controls(tagged)}
    assert verdict("iam_25", raw(), tagged).why == "missing tag(s): owner"


# -- the root user and the password policy ----------------------------------------------------
REPORT_ROOT = {
    "MFAActive": True,
    "ActiveAccessKeys": 0,
    "ActiveSigningCertificates": 0,
    "PasswordLastUsed": ago(90),  # 90 days ago: not within the last 90
    "AccessKeysPresent": False,
    "AccessKeyLastUsed": None,
    "Source": "credential report",
    "UnknownFields": {},
}
STRONG = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "PasswordReusePrevention": 24,
    "ExpirePasswords": True,
    "MaxPasswordAge": 90,
}
SETTINGS_READ = {"PasswordPolicy": STRONG, "RootVirtualMFA": False, "UnknownFields": {}}


def account_results(root: dict, settings: dict) -> dict[str, compliance.ControlResult]:
    results = compliance.evaluate([], AccountFacts(root, settings), SETTINGS, NOW)
    return {result.control.check: result for result in results}


def test_a_root_user_and_policy_that_keep_every_control_pass_them():
    results = account_results(REPORT_ROOT, SETTINGS_READ)
    assert [check for check, result in results.items() if not result.ok] == []


def test_the_root_user_used_within_90_days_a_virtual_device_a_key_fail():
    root = REPORT_ROOT | {"PasswordLastUsed": ago(88), "AccessKeysPresent": True}
    results = account_results(root, SETTINGS_READ | {"RootVirtualMFA": True})
    assert results["iam_20"].failing == {
        "<root_account>": "the root user's password was used 88 day(s) ago"
    }
    assert results["iam_6"].failing == {"<root_account>": "the root user's MFA is a virtual device"}
    assert results["iam_4"].failing == {"<root_account>": "the root user has an access key"}


def test_what_get_account_summary_cannot_tell_leaves_the_root_not_evaluated():
    summary = {
        **REPORT_ROOT,
        "PasswordLastUsed": None,
        "AccessKeyLastUsed": None,
        "Source": "GetAccountSummary",
        "UnknownFields": {"PasswordLastUsed": "GetAccountSummary does not tell"},
    }
    result = account_results(summary, SETTINGS_READ)["iam_20"]
    assert not result.ok and result.passed == [] and result.failing == {}
    why = "PasswordLastUsed: GetAccountSummary does not tell"
    assert result.not_evaluated == {"<root_account>": why}


def test_facts_never_collected_leave_every_account_control_not_evaluated():
    results = account_results({}, {})
    account_level = [r for r in results.values() if r.control.scope != "user"]
    assert len(account_level) == 13
    assert all(result.not_evaluated and not result.ok for result in account_level)
    assert results["iam_9"].not_evaluated == {"<root_account>": "MFAActive: not collected"}


@pytest.mark.parametrize(
    ("policy", "failing"),
    [
        (None, {c.check for c in CONTROLS if c.scope == "account"}),  # NoSuchEntity: no policy
        (STRONG | {"MinimumPasswordLength": 13}, {"iam_15"}),
        (STRONG | {"PasswordReusePrevention": 23}, {"iam_16"}),
        (STRONG | {"MaxPasswordAge": 91}, {"iam_17", "iam_10"}),
        ({k: v for k, v in STRONG.items() if k != "MaxPasswordAge"}, {"iam_17", "iam_10"}),
        (STRONG | {"RequireSymbols": False}, {"iam_13", "iam_7"}),
        (STRONG | {"RequireNumbers": False}, {"iam_14", "iam_7", "iam_10"}),
    ],
)
def test_each_password_control_fails_on_what_it_requires(policy, failing):
    results = account_results(REPORT_ROOT, SETTINGS_READ | {"PasswordPolicy": policy})
    assert {check for check, result in results.items() if result.failing} == failing


def test_a_denied_password_policy_is_not_evaluated_never_passed():
    denied = SETTINGS_READ | {
        "PasswordPolicy": None,
        "UnknownFields": {"PasswordPolicy": "AccessDenied on iam:GetAccountPasswordPolicy"},
    }
    results = account_results(REPORT_ROOT, denied)
    for check in ("iam_7", "iam_10", "iam_15", "iam_16", "iam_17"):
        assert not results[check].ok and results[check].failing == {}, check
        assert "AccessDenied" in results[check].not_evaluated["<account>"]
        assert "not evaluated" in compliance.describe(results[check])


# -- the table and its page -------------------------------------------------------------------
def test_each_check_is_named_after_its_security_hub_id_else_its_cis_id():
    assert len({c.check for c in CONTROLS}) == len(CONTROLS)
    for row in CONTROLS:
        expected = (
            row.security_hub[0].lower().replace(".", "_")
            if row.security_hub
            else "cis_" + row.cis[0].replace(".", "_")
        )
        assert row.check == expected
        assert row.severity in {"CRITICAL", "HIGH", "MEDIUM", "LOW"} and row.reads


def test_docs_controls_lists_every_control_with_both_ids():
    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|", text, re.MULTILINE)
    listed = {check: (hub.strip(), cis.strip()) for check, hub, cis in rows}
    assert listed == {
        row.check: (", ".join(row.security_hub) or "—", ", ".join(row.cis) or "—")
        for row in CONTROLS
    }

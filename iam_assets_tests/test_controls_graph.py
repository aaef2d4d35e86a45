"""The CIS / Security Hub controls as the Dagster UI shows them: one WARN check each on
``enriched_iam_users``, naming exactly the users (or the root user, or the account) that fail,
in both collection strategies, against moto behind the IAM proxy; a denied read leaves its
controls not evaluated, never passed; the failed checks reach the alert."""

from datetime import UTC, datetime

import boto3
import dagster as dg
import pytest
import requests

from iam_assets.analysis.control_types import ControlSettings
from iam_assets.defs.assets import build_assets
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.sensors import failed_checks
from iam_assets_tests.support.control_account import (
    POLICY_FAILS,
    POLICY_PASSES,
    REQUIRED_TAG,
    ROOT_FAILS,
    ROOT_PASSES,
    USER_FAILS,
    USERS,
    root_user,
    seed_control_account,
)

SETTINGS = ControlSettings(required_tags=(REQUIRED_TAG,))
PASSWORD_CONTROLS = POLICY_FAILS | POLICY_PASSES


def run(proxy, state, strategy="bulk", instance=None):
    """The raw and enriched assets (the controls' checks are the enriched asset's)."""
    raw, enriched = build_assets(controls=SETTINGS)[:2]
    resources = {
        "iam": IAMResource(endpoint_url=proxy.url, max_attempts=2, strategy=strategy),
        "state": state,
    }
    return dg.materialize([raw, enriched], resources=resources, instance=instance)


def evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def listed(evaluation, name: str):
    return evaluation.metadata[name].value


@pytest.fixture
def admin(moto_endpoint, iam_proxy, monkeypatch):
    """moto with AWS's managed policies (AWSCloudShellFullAccess; off by default: they cost a
    second at each reset)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    yield boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()


@pytest.fixture
def account(admin, iam_proxy):
    now = datetime.now(UTC)
    seed_control_account(admin, now)
    iam_proxy.root = root_user(now)
    return iam_proxy


@pytest.mark.parametrize(
    "strategy", ["bulk", pytest.param("per_user", marks=pytest.mark.slow)]
)
def test_every_control_names_exactly_its_failing_users(account, state, strategy):
    result = run(account, state, strategy)
    assert result.success
    checks = evaluations(result)
    everyone = sorted(USERS)
    for check, failing in USER_FAILS.items():
        evaluation = checks[check]
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
        assert listed(evaluation, "failing_users") == sorted(failing), check
        assert listed(evaluation, "passed_users") == sorted(set(everyone) - failing), check
        assert listed(evaluation, "evaluated_users") == everyone, check
        assert listed(evaluation, "not_evaluated") == {}, check
        assert all(name in evaluation.description for name in failing), check
    # The narrow passes: a key used 44 days ago and created 89 days ago, a password used 44 days
    # ago, pass the 45-day and 90-day controls.
    for check in ("iam_22", "iam_8", "iam_3"):
        assert {"ok.keys", "ok.console"} <= set(listed(checks[check], "passed_users"))

    for check in PASSWORD_CONTROLS:
        expected = ["<account>"] if check in POLICY_FAILS else []
        assert listed(checks[check], "failing_users") == expected, check
        assert checks[check].passed is (check in POLICY_PASSES), check
    assert "passwords never expire" in checks["iam_17"].description

    for check in ROOT_PASSES:  # the root user has MFA
        assert checks[check].passed and listed(checks[check], "passed_users") == ["<root_account>"]
    for check in ROOT_FAILS - {"iam_20"}:
        assert listed(checks[check], "failing_users") == ["<root_account>"], check
    if strategy == "bulk":  # the credential report's root row tells the root's last use
        assert listed(checks["iam_20"], "failing_users") == ["<root_account>"]
        assert "access key was used 10 day(s) ago" in checks["iam_20"].description
    else:  # GetAccountSummary does not: not evaluated, and not passed
        assert not checks["iam_20"].passed
        assert listed(checks["iam_20"], "failing_users") == []
        assert "<root_account>" in listed(checks["iam_20"], "not_evaluated")

    frame = result.output_for_node("enriched_iam_users").set_index("user_name")
    for name in everyone:
        expected = [c for c in USER_FAILS if name in USER_FAILS[c]]
        assert sorted(frame.loc[name, "failed_controls"]) == sorted(expected), name
        assert frame.loc[name, "controls_not_evaluated"] == [], name
    figures = {
        key: value.value
        for key, value in result.asset_materializations_for_node("enriched_iam_users")[0]
        .metadata.items()
    }
    for check, failing in USER_FAILS.items():
        assert figures[f"{check}_failing"] == len(failing)
    assert figures["iam_9_failing"] == 0 and figures["iam_4_failing"] == 1
    assert "| `iam_5` | IAM.5, CIS 1.10 |" in figures["compliance"]


def test_a_denied_password_policy_leaves_its_controls_not_evaluated(account, state):
    account.fail("GetAccountPasswordPolicy")
    checks = evaluations(run(account, state))
    for check in PASSWORD_CONTROLS:
        assert not checks[check].passed, check
        assert listed(checks[check], "failing_users") == [], check
        assert listed(checks[check], "not_evaluated") == {
            "<account>": "PasswordPolicy: AccessDenied on iam:GetAccountPasswordPolicy"
        }, check
        assert "not evaluated" in checks[check].description
    assert listed(checks["iam_5"], "failing_users") == ["no.mfa.console"]  # the rest is judged


@pytest.mark.slow
def test_no_password_policy_fails_every_password_control(admin, iam_proxy, state):
    seed_control_account(admin, datetime.now(UTC), password_policy=False)
    checks = evaluations(run(iam_proxy, state))
    for check in PASSWORD_CONTROLS:
        assert listed(checks[check], "failing_users") == ["<account>"], check
        assert "the account has no password policy" in checks[check].description


@pytest.mark.slow
def test_a_denied_virtual_mfa_listing_leaves_the_hardware_mfa_control_not_evaluated(
    account, state
):
    account.fail("ListVirtualMFADevices")
    check = evaluations(run(account, state))["iam_6"]
    assert not check.passed and listed(check, "failing_users") == []
    assert listed(check, "not_evaluated") == {
        "<root_account>": "RootVirtualMFA: AccessDenied on iam:ListVirtualMFADevices"
    }


@pytest.mark.slow
def test_failing_controls_reach_the_alert_with_their_users(account, state):
    instance = dg.DagsterInstance.ephemeral()
    result = run(account, state, instance=instance)
    alerted = {check.check: check for check in failed_checks(instance, result.run_id)}
    assert alerted["iam_5"].users == ("no.mfa.console",)
    assert alerted["iam_4"].users == ("<root_account>",)
    assert alerted["iam_5"].severity == "WARN"
    assert "iam_9" not in alerted

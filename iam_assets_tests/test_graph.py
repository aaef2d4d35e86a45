"""The whole graph, materialised with dg.materialize against moto (HTTP) and the intake double."""

import dagster as dg
import pytest

from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.demo.seed import DEMO_USERS, DemoUser, seed_users
from iam_assets_tests.support.expected import expected_event
from iam_assets_tests.support.graph import CHECKS, CONTROL_CHECKS, materialize_graph, metadata


def test_graph_delivers_one_checked_event_per_user_equal_to_the_table(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    result = materialize_graph(iam_proxy, intake, state)
    assert result.success

    received = {event["user"]["name"]: event for event in intake.events}
    assert len(intake.events) == len(DEMO_USERS)  # exactly once each
    for user in DEMO_USERS:
        assert received[user.name] == expected_event(user, iam_admin), user.name

    checks = result.get_asset_check_evaluations()
    expected = {key.name for c in CHECKS for key in c.check_keys} | {
        "iam_fields_known",
        "root_account_secure",
        "security_relevant_changes",
        "change_tracking_state",
    }
    assert {c.check_name for c in checks} == expected | CONTROL_CHECKS
    # The demo's users fail controls on purpose (test_controls_graph.py); nothing else fails.
    assert [c.check_name for c in checks if not c.passed and c.check_name in expected] == []

    raw = metadata(result, "raw_iam_users")
    assert raw["users"] == len(DEMO_USERS)
    assert raw["strategy"] == "bulk"  # the default when the bulk APIs are granted
    # The bulk APIs, then what IAM only tells per user: SSH keys, and MFA devices (their kind)
    # of the users the credential report says have MFA.
    calls = raw["iam_calls_by_action"]
    with_mfa = [u for u in DEMO_USERS if u.mfa and not u.deactivate_mfa]
    assert calls.pop("ListSSHPublicKeys") == len(DEMO_USERS)
    assert calls.pop("ListMFADevices") == len(with_mfa)
    # the account-wide reads of the controls: the password policy, the root's virtual MFA
    assert (calls.pop("GetAccountPasswordPolicy"), calls.pop("ListVirtualMFADevices")) == (1, 1)
    assert sum(calls.values()) <= 7, calls
    assert raw["dropped_users"] == 0
    enriched = metadata(result, "enriched_iam_users")
    console = [u for u in DEMO_USERS if u.console and not u.remove_console]
    without_mfa = [u.name for u in console if not (u.mfa and not u.deactivate_mfa)]
    assert enriched["console_users"] == len(console)
    assert enriched["console_users_without_mfa"] == len(without_mfa)
    assert all(name in enriched["console_users_without_mfa_list"] for name in without_mfa)
    assert "aws-developer-team" in enriched["preview"]
    delivered = metadata(result, "sekoia_user_inventory")
    assert delivered["delivered_events"] == len(DEMO_USERS)
    assert delivered["destination"] == intake.url
    assert intake.key not in str(delivered)


@pytest.mark.slow
def test_denied_reads_are_null_in_events_and_raise_a_warning_check(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListMFADevices", when=lambda params: params["UserName"] == "bob.no-mfa")
    result = materialize_graph(iam_proxy, intake, state, strategy="per_user")
    assert result.success  # a denied field does not fail the run
    (bob,) = [e for e in intake.events if e["user"]["name"] == "bob.no-mfa"]
    assert bob["user"]["has_mfa"] is None
    warning = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == "iam_fields_known"
    )
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert "bob.no-mfa" in warning.description
    assert metadata(result, "raw_iam_users")["unknown_fields"] == {"MFADevices": 1}


@pytest.mark.slow
def test_refused_delivery_fails_the_materialisation_with_counts(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS[:3])
    bad_key = SekoiaIntakeResource(url=intake.url, intake_key="not-the-key")
    result = materialize_graph(iam_proxy, intake, state, intake=bad_key, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.step_failure_data.error.to_string()
    assert "SEKOIA_INTAKE_KEY" in error and "Delivered 0 of 3 events" in error
    assert "not-the-key" not in error
    figures = {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    assert figures["delivered_events"] == 0 and figures["undelivered_events"] == 3
    assert figures["delivery"].startswith("at-least-once")
    assert dg.AssetKey("sekoia_user_inventory") not in {
        e.asset_key for e in result.get_asset_materialization_events()
    }


@pytest.mark.slow
def test_flaky_intake_still_gets_every_user_exactly_once(iam_admin, iam_proxy, intake, state):
    seed_users(iam_admin, DEMO_USERS)
    intake.fail_next(503, times=3)
    intake.fail_next(429, headers={"Retry-After": "1"})
    result = materialize_graph(iam_proxy, intake, state)
    assert result.success
    names = sorted(event["user"]["name"] for event in intake.events)
    assert names == sorted(user.name for user in DEMO_USERS)  # each exactly once
    delivered = metadata(result, "sekoia_user_inventory")
    assert delivered["retries"] == 4 and delivered["requests"] == 5
    assert delivered["delivered_events"] == len(DEMO_USERS)
    assert delivered["delivery"].startswith("at-least-once")


@pytest.mark.slow
def test_second_snapshot_reports_what_changed_and_warns_on_security(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    first = materialize_graph(iam_proxy, intake, state)
    assert metadata(first, "enriched_iam_users")["users_changed"] == 0
    # Between the two runs: a user leaves, one joins as an admin without MFA, one loses MFA.
    iam_admin.delete_user(UserName="heidi.idle")
    seed_users(iam_admin, (DemoUser("mallory.new", console=True, groups=("Admins",)),))
    (device,) = iam_admin.list_mfa_devices(UserName="grace.readonly")["MFADevices"]
    iam_admin.deactivate_mfa_device(UserName="grace.readonly", SerialNumber=device["SerialNumber"])
    second = materialize_graph(iam_proxy, intake, state)
    changes = metadata(second, "enriched_iam_users")
    assert (changes["users_added"], changes["users_removed"], changes["users_changed"]) == (1, 1, 1)
    assert "mallory.new" in changes["changes"] and "heidi.idle" in changes["changes"]
    assert "grace.readonly" in changes["changes"] and "MFA lost" in changes["changes"]
    assert changes["admins_without_mfa"] >= 1
    warning = next(
        c
        for c in second.get_asset_check_evaluations()
        if c.check_name == "security_relevant_changes"
    )
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["findings"].value == [
        "new admin without MFA: mallory.new",
        "console user lost MFA: grace.readonly",
    ]
    # The users at fault, from the findings' data (what the alert lists).
    assert warning.metadata["failing_users"].value == ["grace.readonly", "mallory.new"]
    assert second.success  # a WARN does not stop delivery


@pytest.mark.slow
def test_strict_profile_by_run_config_delivers_valid_ocsf(iam_admin, iam_proxy, intake, state):
    from iam_assets.ocsf.strict_rules import validate_strict

    seed_users(iam_admin, DEMO_USERS)
    result = materialize_graph(iam_proxy, intake, state, profile="ocsf")
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert all(check.passed for check in checks if check.check_name not in CONTROL_CHECKS)
    assert len(intake.events) == len(DEMO_USERS)
    assert validate_strict(intake.events) == []
    assert metadata(result, "ocsf_user_inventory")["ocsf_profile"] == "ocsf"
    admins = {e["user"]["name"] for e in intake.events if e["user"]["type_id"] == 2}
    assert {"alice.admin", "dave.lost-mfa", "judy.breakglass"} <= admins


def test_seed_checks_reject_strict_events_and_the_other_way_round():
    from iam_assets.analysis import enrich
    from iam_assets.ocsf import profiles
    from iam_assets_tests.support.product_page import PROGRAMMATIC_USER

    records = enrich.to_records(enrich.enrich_users([PROGRAMMATIC_USER]))
    seed, strict = profiles.events(records, "sekoia"), profiles.events(records, "ocsf")
    assert profiles.schema_problems(seed, "sekoia") == []
    assert profiles.schema_problems(strict, "ocsf") == []
    assert profiles.schema_problems(strict, "sekoia")  # milliseconds, no path: not the seed's
    assert profiles.schema_problems(seed, "ocsf")  # user.path, type_id 40: not OCSF 1.6.0
    assert profiles.constant_problems(strict, "ocsf") == []


def test_unknown_profile_is_an_error_naming_the_variable(monkeypatch):
    from iam_assets.defs.settings import ocsf_profile_from_env

    monkeypatch.setenv("IAM_ASSETS_OCSF_PROFILE", "ecs")
    with pytest.raises(ValueError, match="IAM_ASSETS_OCSF_PROFILE / profile must be one of"):
        ocsf_profile_from_env()
    monkeypatch.setenv("IAM_ASSETS_OCSF_PROFILE", "OCSF")
    assert ocsf_profile_from_env().profile == "ocsf"


def test_resources_never_show_their_secrets():
    intake = SekoiaIntakeResource(url="https://intake.sekoia.io", intake_key="s3cr3t-intake")
    iam = IAMResource(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="s3cr3t-aws")
    assert "s3cr3t" not in repr(intake) + str(intake) + repr(iam) + str(iam)
    assert "AKIAEXAMPLE" in repr(iam)  # only the secrets are masked

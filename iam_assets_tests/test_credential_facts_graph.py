"""The credential facts through the whole graph: the enriched asset, its KPIs and the strict
events carry them alike in both strategies; the root user has a WARN check of its own; SSH keys
can be left unread when their per-user cost is not wanted."""

import boto3
import dagster as dg
import pandas as pd
import pytest

from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets_tests.support.credential_account import (
    BOUNDARY,
    SERVICES,
    seed_credential_account,
)
from iam_assets_tests.support.graph import materialize_graph, metadata
from iam_assets_tests.support.iam_simulated import RootUser

pytestmark = pytest.mark.slow  # each test materialises the whole graph against moto

FACTS = [
    "user_name",
    "access_keys_unused_90d",
    "access_keys_never_used",
    "last_key_use_service",
    "last_key_use_region",
    "active_signing_certificates",
    "active_ssh_keys",
    "active_service_credentials",
    "service_credential_services",
    "mfa_kinds",
    "has_hardware_mfa",
    "permissions_boundary",
]


def check(result, name: str):
    return next(c for c in result.get_asset_check_evaluations() if c.check_name == name)


@pytest.fixture
def credential_account(iam_admin, iam_proxy, moto_endpoint):
    via_proxy = boto3.client("iam", endpoint_url=iam_proxy.url, region_name="us-east-1")
    seed_credential_account(iam_admin, via_proxy, moto_endpoint)
    return iam_proxy


def test_every_fact_reaches_the_enriched_table_kpis_and_strict_events_in_both_strategies(
    credential_account, intake, tmp_path
):
    seen = {}
    for strategy in ("bulk", "per_user"):
        intake.events.clear()
        state = SnapshotStoreResource(directory=str(tmp_path / strategy))
        result = materialize_graph(credential_account, intake, state, strategy, profile="ocsf")
        frame = result.output_for_node("enriched_iam_users")
        events = sorted(intake.events, key=lambda event: event["user"]["name"])
        seen[strategy] = (frame[FACTS].reset_index(drop=True), events, result)

    (bulk, bulk_events, result), (per_user, per_user_events, _) = seen["bulk"], seen["per_user"]
    pd.testing.assert_frame_equal(bulk, per_user)
    assert bulk_events == per_user_events

    rows = {row["user_name"]: row for row in bulk.to_dict("records")}
    assert rows["kim.keys"]["last_key_use_service"] == "sts"
    assert rows["kim.keys"]["last_key_use_region"] == "eu-west-3"
    assert rows["kim.keys"]["access_keys_never_used"] == 0  # the idle key is inactive
    assert rows["ssh.sam"]["active_ssh_keys"] == 1
    assert rows["cert.carl"]["active_signing_certificates"] == 1
    assert rows["svc.sue"]["active_service_credentials"] == 1
    assert list(rows["svc.sue"]["service_credential_services"]) == [SERVICES[0]]
    assert rows["svc.sue"]["permissions_boundary"] == BOUNDARY
    assert list(rows["mfa.mia"]["mfa_kinds"]) == ["fido", "hardware", "virtual"]
    assert bool(rows["mfa.mia"]["has_hardware_mfa"]) is True

    unmapped = {event["user"]["name"]: event["unmapped"] for event in bulk_events}
    assert unmapped["ssh.sam"]["ssh_keys_count"] == 1
    assert unmapped["svc.sue"]["service_credential_services"] == [SERVICES[0]]
    assert unmapped["svc.sue"]["permissions_boundary"] == BOUNDARY
    assert unmapped["mfa.mia"]["mfa_kinds"] == ["fido", "hardware", "virtual"]
    assert unmapped["kim.keys"]["last_access_key_use_region"] == "eu-west-3"
    assert all("unknown_attributes" not in facts for facts in unmapped.values())

    figures = metadata(result, "enriched_iam_users")
    assert figures["users_with_ssh_keys"] == 1
    assert figures["users_with_service_credentials"] == 1
    assert figures["users_with_signing_certificates"] == 1
    assert figures["hardware_mfa_coverage_pct"] == 100.0
    assert check(result, "iam_fields_known").passed


def test_the_root_user_without_mfa_and_with_a_key_is_a_warning_with_charted_figures(
    iam_admin, iam_proxy, intake, state
):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = RootUser(mfa_active=False, access_keys=(True,))
    result = materialize_graph(iam_proxy, intake, state)
    assert result.success  # a warning, the inventory still goes
    root = check(result, "root_account_secure")
    assert not root.passed and root.severity == dg.AssetCheckSeverity.WARN
    assert "no MFA" in root.description and "1 active access key" in root.description
    figures = metadata(result, "raw_iam_users")
    assert (figures["root_mfa_active"], figures["root_active_access_keys"]) == (0, 1)
    assert figures["root_account"]["Source"] == "credential report"


def test_a_root_user_that_could_not_be_read_is_a_warning_not_a_pass(
    iam_admin, iam_proxy, intake, state
):
    iam_admin.create_user(UserName="someone")
    iam_proxy.fail("GetAccountSummary")
    result = materialize_graph(iam_proxy, intake, state, strategy="per_user")
    root = check(result, "root_account_secure")
    assert not root.passed
    assert "MFA state could not be read (AccessDenied on iam:GetAccountSummary)" in (
        root.description
    )
    assert "root_mfa_active" not in metadata(result, "raw_iam_users")  # unknown: not charted


def test_root_keys_the_account_summary_cannot_call_active_or_not_are_a_warning_not_a_pass(
    iam_admin, iam_proxy, intake, state
):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = RootUser(mfa_active=True, access_keys=(False,))
    result = materialize_graph(iam_proxy, intake, state, strategy="per_user")
    root = check(result, "root_account_secure")
    assert not root.passed
    assert root.description.startswith("the root account's active access keys could not be read")
    assert "root_active_access_keys" not in metadata(result, "raw_iam_users")


def test_a_secure_root_user_passes(iam_admin, iam_proxy, intake, state):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = RootUser(mfa_active=True)
    result = materialize_graph(iam_proxy, intake, state)
    assert check(result, "root_account_secure").passed


@pytest.mark.parametrize("strategy", ["bulk", "per_user"])
def test_ssh_keys_can_be_left_unread_without_a_false_warning(
    credential_account, intake, state, strategy
):
    credential_account.actions.clear()
    materialize_graph(credential_account, intake, state, strategy)
    assert credential_account.actions["ListSSHPublicKeys"] == 6  # read by default, per user
    credential_account.actions.clear()
    iam = IAMResource(
        endpoint_url=credential_account.url,
        max_attempts=2,
        strategy=strategy,
        read_ssh_keys=False,
    )
    result = materialize_graph(credential_account, intake, state, strategy, iam=iam)
    assert "ListSSHPublicKeys" not in credential_account.actions
    raw = metadata(result, "raw_iam_users")
    assert "SSHPublicKeys" in raw["fields_not_read_by_strategy"]
    assert check(result, "iam_fields_known").passed  # not read by choice, not denied
    frame = result.output_for_node("enriched_iam_users")
    assert frame["active_ssh_keys"].isna().all()  # unknown, never 0
    assert frame.loc[frame["user_name"] == "svc.sue", "active_service_credentials"].item() == 1

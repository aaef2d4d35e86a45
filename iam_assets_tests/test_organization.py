"""Every account of an AWS Organization as one partition, against moto on loopback.

The Organization, its member accounts and their users live in moto; the collector reaches them
through the IAM-like proxy, which also refuses the role of one account as IAM would when the
role is missing or does not trust the collector.
"""

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from iam_assets.collect import accounts
from iam_assets.collect.accounts import ORGANIZATION_ACTIONS, role_arn
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.code_location import build_definitions
from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.defs.notifier import NotifierResource
from iam_assets.defs.partitions import (
    ACCOUNTS_VARIABLE,
    EXCLUDED_VARIABLE,
    AccountScope,
    aws_accounts,
)
from iam_assets.defs.sensors import root_cause, run_failure_alerts
from iam_assets.defs.settings import account_scope_from_env
from iam_assets_tests.support.organization import (
    MANAGEMENT_ACCOUNT,
    add_member,
    close_member,
    create_organization,
)

ORGANIZATION_POLICY = Path(accounts.__file__).with_name("iam_policy_organization.json")
MEMBERS = {
    "prod": ["prod-deployer", "prod-auditor"],
    "dev": ["dev-alice", "dev-bob", "dev-ci"],
    "legacy": ["legacy-admin"],  # its role cannot be assumed
}


def org_definitions(iam_proxy, intake, state, scope=None, **iam_settings):
    return build_definitions(
        iam=IAMResource(endpoint_url=iam_proxy.url, max_attempts=2, **iam_settings),
        intake=SekoiaIntakeResource(url=intake.url, intake_key=intake.key, backoff_initial=0.05),
        state=state,
        accounts=scope or AccountScope(organization=True),
    )


def discover(defs: dg.Definitions, instance: dg.DagsterInstance):
    """One tick of the discovery sensor, its partition changes applied as the daemon would."""
    sensor = defs.resolve_sensor_def("aws_account_discovery")
    with dg.build_sensor_context(
        instance=instance, resources={"iam": defs.resources["iam"]}
    ) as ctx:
        result = sensor(ctx)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
            else:
                for key in request.partition_keys:
                    instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def alert_on_failure(instance, result, webhook) -> None:
    """What the run-failure sensor does for this run."""
    (record,) = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=record.event_log_entry.dagster_event,
        resources={"notifier": NotifierResource(webhook_url=webhook.url)},
    )
    run_failure_alerts(context.for_run_failure())


def partitions(instance: dg.DagsterInstance) -> set[str]:
    return set(instance.get_dynamic_partitions(aws_accounts.name))


@pytest.mark.slow
def test_every_account_partition_delivers_its_users_once_and_a_missing_role_fails_alone(
    moto_endpoint, iam_admin, iam_proxy, intake, state, webhook
):
    accounts = create_organization(moto_endpoint, MEMBERS)
    iam_admin.create_user(UserName="management-breakglass")
    missing_role = role_arn(accounts["legacy"])
    iam_proxy.fail("AssumeRole", when=lambda params: params.get("RoleArn") == missing_role)
    defs = org_definitions(iam_proxy, intake, state)
    job = defs.resolve_job_def("iam_inventory_job")

    with dg.instance_for_test() as instance:
        discover(defs, instance)
        assert partitions(instance) == {MANAGEMENT_ACCOUNT, *accounts.values()}
        results = {
            account: job.execute_in_process(
                partition_key=account, instance=instance, raise_on_error=False
            )
            for account in sorted(partitions(instance))
        }
        alert_on_failure(instance, results[accounts["legacy"]], webhook)

    (alert,) = webhook.received  # the failed account's alert names it and the role
    assert alert["account"] == accounts["legacy"]
    assert f"for AWS account {accounts['legacy']} failed" in alert["text"]
    assert missing_role in alert["run_error"]

    failed = {account for account, result in results.items() if not result.success}
    assert failed == {accounts["legacy"]}  # and only that one
    (failure,) = [
        event
        for event in results[accounts["legacy"]].all_events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    assert failure.step_key == "raw_iam_users"
    error = root_cause(failure.step_failure_data.error)
    assert missing_role in error and "IAM_ASSETS_MEMBER_ROLE_NAME" in error

    expected = {
        (MANAGEMENT_ACCOUNT, "management-breakglass"),
        *((accounts[name], user) for name in ("prod", "dev") for user in MEMBERS[name]),
    }
    delivered = Counter(
        (event["cloud"]["account"]["uid"], event["user"]["name"]) for event in intake.events
    )
    assert set(delivered) == expected and set(delivered.values()) == {1}  # exactly once each
    for event in intake.events:
        account = event["cloud"]["account"]["uid"]
        assert event["cloud"]["provider"] == "AWS"
        assert event["user"]["account"]["uid"].startswith(f"arn:aws:iam::{account}:user/")
        assert event["user"]["account"]["type_id"] == 40  # the seed's fields are unchanged

    outside_iam = {"ListAccounts": "organizations", "AssumeRole": "sts"}
    policy = json.loads(ORGANIZATION_POLICY.read_text())
    granted = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert {f"{outside_iam[a]}:{a}" for a in outside_iam if iam_proxy.actions[a]} == granted
    assert granted == set(ORGANIZATION_ACTIONS)
    assert policy["Statement"][1]["Resource"] == role_arn("*")

    for account, result in results.items():
        if account in failed:
            continue
        (raw,) = [
            e.materialization
            for e in result.get_asset_materialization_events()
            if e.asset_key == dg.AssetKey("raw_iam_users")
        ]
        assert raw.partition == account
        assert raw.metadata["aws_account_id"].value == account


@pytest.mark.slow
def test_the_daily_schedule_requests_every_account_partition(
    moto_endpoint, iam_admin, iam_proxy, intake, state
):
    accounts = create_organization(moto_endpoint, {"prod": ["p"], "dev": ["d"]})
    defs = org_definitions(iam_proxy, intake, state)
    schedule = defs.resolve_schedule_def("daily_iam_inventory")
    tick = datetime(2026, 11, 28, 6, tzinfo=UTC)
    repository = defs.get_repository_def()
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance, tick, repository_def=repository) as context:
            assert "no AWS account partition yet" in schedule.evaluate_tick(context).skip_message
        discover(defs, instance)
        with dg.build_schedule_context(instance, tick, repository_def=repository) as context:
            requests = schedule.evaluate_tick(context).run_requests
    assert {r.partition_key for r in requests} == {MANAGEMENT_ACCOUNT, *accounts.values()}
    assert len({r.run_key for r in requests}) == len(requests)


@pytest.mark.slow
def test_partitions_follow_accounts_joining_and_leaving_and_new_ones_run_at_once(
    moto_endpoint, iam_admin, iam_proxy, intake, state
):
    accounts = create_organization(moto_endpoint, {"prod": ["p"], "dev": ["d"]})
    defs = org_definitions(iam_proxy, intake, state)
    with dg.instance_for_test() as instance:
        first = discover(defs, instance)
        assert {r.partition_key for r in first.run_requests} == partitions(instance)
        assert isinstance(discover(defs, instance), dg.SkipReason)  # nothing changed

        joined = add_member(moto_endpoint, "data", ["data-engineer"])
        close_member(moto_endpoint, accounts["dev"])
        second = discover(defs, instance)
        assert [r.partition_key for r in second.run_requests] == [joined]
        assert partitions(instance) == {MANAGEMENT_ACCOUNT, accounts["prod"], joined}


@pytest.mark.slow
def test_excluded_accounts_get_no_partition_and_leave_when_excluded_later(
    moto_endpoint, iam_admin, iam_proxy, intake, state
):
    """From a delegated administrator, the management account usually has no member role:
    excluding it keeps a partition that would fail every day out of the graph."""
    accounts = create_organization(moto_endpoint, {"prod": ["p"]})
    everything = AccountScope(organization=True)
    but_management = AccountScope(organization=True, excluded=(MANAGEMENT_ACCOUNT,))
    with dg.instance_for_test() as instance:
        discover(org_definitions(iam_proxy, intake, state, everything), instance)
        assert partitions(instance) == {MANAGEMENT_ACCOUNT, accounts["prod"]}
        later = discover(org_definitions(iam_proxy, intake, state, but_management), instance)
        assert partitions(instance) == {accounts["prod"]}
        assert not later.run_requests  # nothing joined


@pytest.mark.slow
def test_an_explicit_account_list_needs_no_organizations_access(iam_proxy, intake, state):
    listed = ("111111111111", "222222222222")
    unreachable = IAMResource(endpoint_url="http://127.0.0.1:9", max_attempts=1)
    defs = build_definitions(
        iam=unreachable,
        intake=SekoiaIntakeResource(url=intake.url, intake_key=intake.key),
        state=state,
        accounts=AccountScope(account_ids=listed),
    )
    with dg.instance_for_test() as instance:
        discover(defs, instance)
        assert partitions(instance) == set(listed)


@pytest.mark.slow
def test_single_account_use_configures_nothing_and_keeps_an_unpartitioned_graph(
    iam_admin, iam_proxy, intake, state, monkeypatch
):
    monkeypatch.delenv(ACCOUNTS_VARIABLE, raising=False)
    assert account_scope_from_env() is None
    iam_admin.create_user(UserName="solo")
    defs = build_definitions(
        iam=IAMResource(endpoint_url=iam_proxy.url, max_attempts=2),
        intake=SekoiaIntakeResource(url=intake.url, intake_key=intake.key),
        state=state,
    )
    assert all(node.partitions_def is None for node in defs.resolve_asset_graph().asset_nodes)
    assert "aws_account_discovery" not in {s.name for s in defs.sensors or []}
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success
    (raw,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("raw_iam_users")
    ]
    assert raw.metadata["aws_account_id"].value == MANAGEMENT_ACCOUNT  # GetCallerIdentity
    assert [e["cloud"]["account"]["uid"] for e in intake.events] == [MANAGEMENT_ACCOUNT]


BOTH = ("111111111111", "222222222222")


@pytest.mark.parametrize(
    ("value", "excluded", "expected"),
    [
        ("organization", "", AccountScope(organization=True)),
        (" Organization ", "", AccountScope(organization=True)),
        ("222222222222, 111111111111", "", AccountScope(account_ids=BOTH)),
        (
            "organization",
            "123456789012",
            AccountScope(organization=True, excluded=(MANAGEMENT_ACCOUNT,)),
        ),
        (
            "222222222222 111111111111",
            "222222222222",
            AccountScope(account_ids=BOTH, excluded=BOTH[1:]),
        ),
    ],
)
def test_the_accounts_variables(value, excluded, expected, monkeypatch):
    monkeypatch.setenv(ACCOUNTS_VARIABLE, value)
    monkeypatch.setenv(EXCLUDED_VARIABLE, excluded)
    assert account_scope_from_env() == expected


def test_a_wrong_accounts_variable_is_a_clear_error_naming_it(monkeypatch):
    monkeypatch.setenv(ACCOUNTS_VARIABLE, "prod,1234")
    with pytest.raises(ValueError, match=f"{ACCOUNTS_VARIABLE}.*prod, 1234"):
        account_scope_from_env()
    monkeypatch.setenv(ACCOUNTS_VARIABLE, "organization")
    monkeypatch.setenv(EXCLUDED_VARIABLE, "management")
    with pytest.raises(ValueError, match=f"{EXCLUDED_VARIABLE}.*management"):
        account_scope_from_env()
    monkeypatch.delenv(ACCOUNTS_VARIABLE)
    with pytest.raises(ValueError, match=f"{EXCLUDED_VARIABLE} is set but {ACCOUNTS_VARIABLE}"):
        account_scope_from_env()

"""Scale-out: the production instance, Postgres storage, concurrent account runs, Kubernetes.

A backfill of every account partition, launched through the UI's GraphQL API, is run by the
daemon as one run per account, side by side, all sharing one PostgreSQL instance storage, with
the concurrency settings of ``deploy/dagster.production.yaml`` (its Kubernetes launcher swapped
for the default one, since there is no cluster here). The production code location is configured
through the environment only, as an operator would: ``IAM_ASSETS_ACCOUNTS=organization`` and
``AWS_ENDPOINT_URL`` pointing at moto (behind the IAM-like proxy).
"""

import os
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from iam_assets.collect.accounts import role_arn
from iam_assets.defs.partitions import aws_accounts
from iam_assets_tests.support.dagster_dev import REPO, graphql, location_name, running_dagster_dev
from iam_assets_tests.support.organization import MANAGEMENT_ACCOUNT, create_organization
from iam_assets_tests.support.postgres import postgres_bin, running_postgres

PRODUCTION_YAML = REPO / "deploy" / "dagster.production.yaml"
PG_BIN = postgres_bin()
REQUIRED = os.environ.get("IAM_ASSETS_REQUIRE_POSTGRES") == "1"  # set by .ci/run

BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
  }
}
"""
BACKFILL_STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}
"""
RUNS = """
query Runs($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status startTime endTime tags { key value } } }
  }
}
"""
DONE = {"SUCCESS", "FAILURE", "CANCELED"}


@pytest.fixture
def postgres_url():
    if PG_BIN is None:
        if REQUIRED:
            pytest.fail(
                "PostgreSQL is required here but not installed (apt-get install postgresql)"
            )
        pytest.skip("Debian's postgresql is not installed (apt-get install postgresql)")
    with running_postgres(PG_BIN) as url:
        yield url


def production_instance(postgres_url: str, home: Path) -> dict[str, str]:
    """The checked-in production instance in ``home``, on this Postgres and without a Kubernetes
    cluster; returns the environment its storage settings read."""
    config = yaml.safe_load(PRODUCTION_YAML.read_text())
    server = urlsplit(postgres_url)
    config["storage"]["postgres"]["postgres_db"]["port"] = server.port
    del config["run_launcher"]  # the default launcher: one local process per run
    config["run_retries"]["enabled"] = False  # a failed account would only fail again here
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return {
        "DAGSTER_PG_HOST": server.hostname or "127.0.0.1",
        "DAGSTER_PG_DB": server.path.lstrip("/"),
        "DAGSTER_PG_USER": server.username or "dagster",
        "DAGSTER_PG_PASSWORD": "unused-trust-auth",
    }


@pytest.mark.slow
def test_a_backfill_of_every_account_runs_concurrently_on_one_postgres_instance(
    moto_endpoint, iam_admin, iam_proxy, intake, postgres_url, tmp_path, monkeypatch
):
    members = {"prod": ["prod-deployer", "prod-auditor"], "dev": ["dev-alice"], "legacy": ["x"]}
    accounts = create_organization(moto_endpoint, members)
    iam_admin.create_user(UserName="management-breakglass")
    missing_role = role_arn(accounts["legacy"])
    iam_proxy.fail("AssumeRole", when=lambda params: params.get("RoleArn") == missing_role)
    every_account = sorted([MANAGEMENT_ACCOUNT, *accounts.values()])

    home = tmp_path / "home"
    home.mkdir()
    storage_env = production_instance(postgres_url, home)
    for variable, value in storage_env.items():  # this process reads the instance too
        monkeypatch.setenv(variable, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Discovery already ran: the sensor's first tick finds nothing new and requests nothing.
        instance.add_dynamic_partitions(aws_accounts.name, every_account)
    env = {
        **storage_env,
        "AWS_ENDPOINT_URL": iam_proxy.url,
        "IAM_ASSETS_ACCOUNTS": "organization",
        "SEKOIA_INTAKE_URL": intake.url,
        "SEKOIA_INTAKE_KEY": intake.key,
        "IAM_ASSETS_STATE_DIR": str(tmp_path / "state"),
        "IAM_ASSETS_SCHEDULE_CRON": "0 0 1 1 *",  # not during the test
    }
    with running_dagster_dev("iam_assets.definitions", home, tmp_path / "dev.log", env) as url:
        params = {
            "selector": {
                "partitionSetName": "iam_inventory_job_partition_set",
                "repositorySelector": {
                    "repositoryLocationName": location_name(url),
                    "repositoryName": "__repository__",
                },
            },
            "partitionNames": every_account,
        }
        launched = graphql(url, BACKFILL, params=params)["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill = launched["backfillId"]
        deadline = time.monotonic() + 420
        while True:
            runs = graphql(url, RUNS, id=backfill)["runsOrError"]["results"]
            status = graphql(url, BACKFILL_STATUS, id=backfill)["partitionBackfillOrError"]
            if len(runs) == len(every_account) and all(r["status"] in DONE for r in runs):
                break
            assert time.monotonic() < deadline, (status, runs, (tmp_path / "dev.log").read_text())
            time.sleep(2)

    by_account = {
        next(t["value"] for t in run["tags"] if t["key"] == "dagster/partition"): run
        for run in runs
    }
    assert sorted(by_account) == every_account  # one run per account
    assert {a for a, run in by_account.items() if run["status"] != "SUCCESS"} == {
        accounts["legacy"]
    }  # the account whose role is missing fails alone

    spans = sorted((run["startTime"], run["endTime"]) for run in runs)
    assert any(later[0] < earlier[1] for earlier, later in pairwise(spans)), (
        "account runs did not overlap",
        spans,
    )

    delivered = Counter(
        (event["cloud"]["account"]["uid"], event["user"]["name"]) for event in intake.events
    )
    expected = {(MANAGEMENT_ACCOUNT, "management-breakglass")} | {
        (accounts[name], user) for name in ("prod", "dev") for user in members[name]
    }
    assert set(delivered) == expected and set(delivered.values()) == {1}

    with dg.DagsterInstance.from_config(str(home)) as instance:  # what Postgres holds
        delivered_partitions = instance.get_materialized_partitions(
            dg.AssetKey("sekoia_user_inventory")
        )
        assert delivered_partitions == set(every_account) - {accounts["legacy"]}
        failure = instance.get_run_by_id(by_account[accounts["legacy"]]["runId"])
        assert failure.tags["dagster/partition"] == accounts["legacy"]
        logs = instance.all_logs(failure.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        assert any(missing_role in str(record.dagster_event.step_failure_data) for record in logs)


def test_the_production_instance_and_its_kubernetes_launcher_config_are_valid(
    tmp_path, monkeypatch
):
    """Validated as Dagster and dagster-k8s would at start-up, without a cluster."""
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster_k8s import K8sRunLauncher

    for variable in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(variable, "value")
    monkeypatch.setenv("DAGSTER_K8S_NAMESPACE", "iam-assets")
    (tmp_path / "dagster.yaml").write_text(PRODUCTION_YAML.read_text())
    config, _ = dagster_instance_config(str(tmp_path))
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, [error.message for error in result.errors or []]
    assert result.value["job_namespace"] == "iam-assets"
    assert result.value["instance_config_map"]  # run pods read this very file
    assert result.value["env_secrets"] == ["iam-assets-secrets"]
    assert result.value["env_config_maps"] == ["iam-assets-settings"]
    # A bare name in env_vars is read from the daemon's environment at each launch, and the
    # launch fails when it is unset: settings travel in the ConfigMap instead.
    assert all("=" in variable for variable in result.value.get("env_vars") or [])

    limits = {
        limit["key"]: limit for limit in config["concurrency"]["runs"]["tag_concurrency_limits"]
    }
    assert limits["dagster/partition"]["limit"] == 1  # one run per AWS account at a time
    assert limits["dagster/partition"]["value"] == {"applyLimitPerUniqueValue": True}

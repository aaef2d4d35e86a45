"""Through the UI's own API: `dagster dev` on loopback, the daily job launched over GraphQL.

The test starts the webserver, daemon and code server (`dagster dev`) against the demo code
location, launches `iam_inventory_job` as the schedule would, waits for success, reads the asset
check results over GraphQL, then stops every process it started. A headless Chromium (Debian's)
then opens the asset graph, when Chromium is installed.
"""

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from iam_assets.demo.seed import DEMO_USERS
from iam_assets_tests.support.dagster_dev import REPO, graphql, location_name, running_dagster_dev

pytestmark = pytest.mark.slow  # dagster dev (webserver, daemon), driven over GraphQL or Chromium

GRAPH_ASSETS = {
    "raw_iam_users",
    "enriched_iam_users",
    "ocsf_user_inventory",
    "sekoia_user_inventory",
}
CHECKS_QUERY = """
query Checks($path: [String!]!, $name: String!) {
  assetCheckExecutions(assetKey: {path: $path}, checkName: $name, limit: 1) {
    runId status evaluation { success severity checkName }
  }
}
"""


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("webserver")
    home = root / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {
        "IAM_ASSETS_DEMO_OUTBOX": str(root / "outbox"),
        "IAM_ASSETS_STATE_DIR": str(root / "state"),
    }
    with running_dagster_dev(
        "iam_assets.demo.definitions", home, root / "dagster_dev.log", env
    ) as url:
        yield url


def test_the_daily_job_runs_through_the_webserver_and_its_checks_pass(dagster_dev):
    from dagster_graphql import DagsterGraphQLClient

    host, port = dagster_dev.removeprefix("http://").split(":")
    client = DagsterGraphQLClient(host, port_number=int(port))
    run_id = client.submit_job_execution(
        "iam_inventory_job", repository_location_name=location_name(dagster_dev)
    )
    deadline = time.monotonic() + 240
    while (status := client.get_run_status(run_id).value) not in {"SUCCESS", "FAILURE", "CANCELED"}:
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        time.sleep(2)
    assert status == "SUCCESS"

    for asset, check in [
        ("ocsf_user_inventory", "ocsf_required_fields"),
        ("ocsf_user_inventory", "ocsf_constants_consistent"),
        ("ocsf_user_inventory", "ocsf_types_valid"),
        ("ocsf_user_inventory", "ocsf_one_event_per_user"),
        ("ocsf_user_inventory", "ocsf_event_size"),
        ("raw_iam_users", "iam_fields_known"),
        ("raw_iam_users", "root_account_secure"),
    ]:
        (execution,) = graphql(dagster_dev, CHECKS_QUERY, path=[asset], name=check)[
            "assetCheckExecutions"
        ]
        assert execution["runId"] == run_id
        assert execution["status"] == "SUCCEEDED", (check, execution)
        assert execution["evaluation"]["success"] is True

    data = graphql(dagster_dev, "{ assetNodes { assetKey { path } } }")
    names = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert names == GRAPH_ASSETS

    # The credential KPIs and the root user's figures, as the UI charts them.
    raw = latest_figures(dagster_dev, "raw_iam_users", run_id)
    assert (raw["root_mfa_active"], raw["root_active_access_keys"]) == (1, 0)
    enriched = latest_figures(dagster_dev, "enriched_iam_users", run_id)
    with_ssh = [user for user in DEMO_USERS if user.ssh_keys]
    with_mfa = [user for user in DEMO_USERS if user.mfa and not user.deactivate_mfa]
    hardware = [user for user in with_mfa if user.mfa_kind in {"hardware", "fido"}]
    assert enriched["users_with_ssh_keys"] == len(with_ssh)
    assert enriched["users_with_signing_certificates"] == 1
    assert enriched["hardware_mfa_coverage_pct"] == pytest.approx(
        100 * len(hardware) / len(with_mfa), abs=0.1
    )
    assert "access_keys_unused_90d" in enriched and "access_keys_never_used" in enriched


FIGURES_QUERY = """
query Figures($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId
        metadataEntries {
          label
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
        }
      }
    }
  }
}
"""


def latest_figures(url: str, asset: str, run_id: str) -> dict[str, float]:
    """The numbers of ``asset``'s latest materialisation, read over the UI's GraphQL API."""
    (latest,) = graphql(url, FIGURES_QUERY, path=[asset])["assetOrError"]["assetMaterializations"]
    assert latest["runId"] == run_id
    return {
        entry["label"]: entry.get("intValue", entry.get("floatValue"))
        for entry in latest["metadataEntries"]
        if "intValue" in entry or "floatValue" in entry
    }


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium); .ci/run installs it",
)
def test_the_asset_graph_page_shows_the_four_assets_and_their_checks(dagster_dev, tmp_path):
    page = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            f"{dagster_dev}/asset-groups/iam_inventory",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = page.stdout
    for asset in GRAPH_ASSETS:
        assert asset in dom, f"{asset} not on the asset graph page"
    checks = f"{dagster_dev}/assets/ocsf_user_inventory?view=checks"
    page = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            checks,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    for check in ("ocsf_required_fields", "ocsf_types_valid", "ocsf_one_event_per_user"):
        assert check in page.stdout, f"{check} not on the asset's checks page"

"""The `dg` CLI as a user types it, from the repository root: `dg check defs`, `dg list defs` and
`dg launch --assets '*'`, all on the production code location (`iam_assets.definitions:defs`,
found through `[tool.dg.project]` in pyproject.toml).

Nothing here reaches the internet: dg's telemetry is off three ways (the dg user config that
DG_CLI_CONFIG points at, `telemetry: enabled: false` in the dagster.yaml copied into DAGSTER_HOME,
and DAGSTER_DISABLE_TELEMETRY), and the run talks only to moto and the intake double on 127.0.0.1.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iam_assets.demo.seed import DEMO_USERS, seed_users
from iam_assets_tests.support.expected import expected_event

pytestmark = pytest.mark.slow  # each test runs the dg CLI as a subprocess

REPO = Path(__file__).resolve().parents[1]
DG = str(Path(sys.executable).with_name("dg"))
GRAPH_ASSETS = (
    "raw_iam_users",
    "enriched_iam_users",
    "ocsf_user_inventory",
    "sekoia_user_inventory",
)


def dg_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's environment after activating .venv, with a throwaway DAGSTER_HOME and dg config."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # it says telemetry: enabled: false
    dg_config = tmp_path / "dg.toml"  # the user-level dg config (default ~/.config/dg.toml)
    dg_config.write_text("[cli.telemetry]\nenabled = false\n")
    venv = Path(sys.prefix)
    return {
        **os.environ,
        # what `source .venv/bin/activate` sets: dg compares it with the project's .venv
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(home),
        "DG_CLI_CONFIG": str(dg_config),
        "DAGSTER_DISABLE_TELEMETRY": "1",  # the webserver/daemon uploader's off switch (dg dev)
        "COLUMNS": "200",  # rich tables not cut to 80 columns when stdout is a pipe
        **extra,
    }


def dg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DG, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def assert_no_telemetry(home: Path) -> None:
    # Dagster's telemetry writes its event log and instance id under DAGSTER_HOME when enabled.
    assert not (home / "logs").exists()
    assert not (home / ".telemetry").exists()


def test_dg_check_defs_and_list_defs_see_the_production_location(tmp_path):
    env = dg_env(tmp_path)

    check = dg("check", "defs", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All definitions loaded successfully." in check.stdout
    assert "virtual environment does not match" not in check.stderr

    listed = dg("list", "defs", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for name in (*GRAPH_ASSETS, "iam_inventory_job", "daily_iam_inventory", "0 6 * * *"):
        assert name in listed.stdout, name
    for section in ("Assets", "Asset Checks", "Jobs", "Schedules", "Sensors", "Resources"):
        assert section in listed.stdout, section

    assert_no_telemetry(Path(env["DAGSTER_HOME"]))


def test_dg_launch_materialises_the_whole_production_graph_and_delivers_every_user_once(
    iam_admin, iam_proxy, intake, tmp_path
):
    from dagster import AssetKey, DagsterInstance, DagsterRunStatus

    seed_users(iam_admin, DEMO_USERS)
    env = dg_env(
        tmp_path,
        AWS_ENDPOINT_URL=iam_proxy.url,  # only the standard variables point it at moto
        SEKOIA_INTAKE_URL=intake.url,
        SEKOIA_INTAKE_KEY=intake.key,
        IAM_ASSETS_STATE_DIR=str(tmp_path / "state"),
    )

    run = dg("launch", "--assets", "*", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    # dg launch is what `dagster asset materialize` tells its users to run instead
    assert "SupersessionWarning" not in run.stderr

    assert {request.status for request in intake.requests} == {200}
    assert len(intake.events) == len(DEMO_USERS)
    received = {event["user"]["name"]: event for event in intake.events}
    assert len(received) == len(DEMO_USERS)  # exactly one event per user
    for user in DEMO_USERS:
        assert received[user.name] == expected_event(user, iam_admin), user.name
    assert intake.key not in run.stdout + run.stderr

    home = Path(env["DAGSTER_HOME"])
    with DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records()
        assert record.dagster_run.status == DagsterRunStatus.SUCCESS
        for asset in GRAPH_ASSETS:
            assert instance.get_latest_materialization_event(AssetKey(asset)), asset
    assert_no_telemetry(home)

"""The commands a user types: the production CLI run and the demo, as subprocesses."""

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from iam_assets.demo.seed import DEMO_USERS, generated_users, seed_users
from iam_assets.ocsf.strict_rules import validate_strict
from iam_assets_tests.support.asset_api_double import model_problem
from iam_assets_tests.support.expected import expected_event

pytestmark = pytest.mark.slow  # the production CLI and the demo commands, as subprocesses

REPO = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).with_name("dagster"))
ACCOUNT_USERS = 1200


INSTANCE_INDEXES = {"schedules/schedules.db", "history/runs.db", "history/runs/index.db"}


def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def materialize(module: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``dagster asset materialize -m MODULE --select '*'``, as a user types it."""
    return subprocess.run(
        [DAGSTER, "asset", "materialize", "-m", module, "--select", "*"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def files_containing(root: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


def test_production_cli_delivers_every_user_once_through_faults_and_leaks_no_secret(
    iam_admin, iam_proxy, intake, tmp_path
):
    users = DEMO_USERS + generated_users(ACCOUNT_USERS - len(DEMO_USERS))
    seed_users(iam_admin, users)
    aws_secret = f"aws-secret-{uuid.uuid4().hex}"
    home = dagster_home(tmp_path)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AWS_ENDPOINT_URL": iam_proxy.url,  # only the standard variables point it at moto
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": aws_secret,
        "SEKOIA_INTAKE_URL": intake.url,
        "SEKOIA_INTAKE_KEY": intake.key,
    }
    intake.fail_next(503, times=3)  # the strict intake double is unwell for a while
    intake.fail_next(429, headers={"Retry-After": "1"})
    run = materialize("iam_assets.definitions", env, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]

    statuses = [request.status for request in intake.requests]
    assert statuses == [503, 503, 503, 429] + [200] * (len(statuses) - 4)
    assert {request.path for request in intake.requests} == {"/jsons"}
    assert len(intake.events) == ACCOUNT_USERS
    received = {event["user"]["name"]: event for event in intake.events}
    assert len(received) == ACCOUNT_USERS  # exactly one event per user
    for user in users:
        assert received[user.name] == expected_event(user, iam_admin), user.name

    for secret in (intake.key, aws_secret):
        assert files_containing(home, secret) == []
        assert secret not in run.stdout + run.stderr
    assert any(home.rglob("*.db")), "the run should have written its SQLite storage"
    # What the run left at rest (stored outputs, its event log, compute logs, state) is its
    # owner's only. The instance's index databases exist before the code location loads: the
    # umask of the process that starts Dagster decides theirs (docs/operations.md).
    written = [p for p in home.rglob("*") if p.is_file() and p.name != "dagster.yaml"]
    shared = {str(p.relative_to(home)) for p in written if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert len(written) > 5 and shared <= INSTANCE_INDEXES, shared

    # The same account with the strict profile: every event valid OCSF 1.6.0; SSH keys left
    # unread (IAM_ASSETS_READ_SSH_KEYS=false): no such call, and the events say they are unknown.
    intake.events.clear()
    iam_proxy.actions.clear()
    strict_env = {**env, "IAM_ASSETS_OCSF_PROFILE": "ocsf", "IAM_ASSETS_READ_SSH_KEYS": "false"}
    strict = materialize("iam_assets.definitions", strict_env, tmp_path)
    assert strict.returncode == 0, strict.stderr[-3000:]
    assert len(intake.events) == ACCOUNT_USERS
    assert validate_strict(intake.events) == []
    assert "ListSSHPublicKeys" not in iam_proxy.actions
    assert all(
        "unmapped.ssh_keys_count" in event["unmapped"]["unknown_attributes"]
        for event in intake.events
    )
    assert {event["user"]["account"]["uid"] for event in intake.events} == {"123456789012"}


def test_production_cli_feeds_the_asset_inventory_alone_with_no_intake_setting(
    iam_admin, iam_proxy, intake, asset_api, tmp_path
):
    """Destination ``assets`` only: every user once, as items the SDK's model takes, through a
    flaky API; no intake variable is needed nor read. (Both destinations at once: the graph
    test ``test_both_destinations_get_every_user_once``.)"""
    users = DEMO_USERS + generated_users(ACCOUNT_USERS - len(DEMO_USERS))
    seed_users(iam_admin, users)
    home = dagster_home(tmp_path)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AWS_ENDPOINT_URL": iam_proxy.url,
        "SEKOIA_API_URL": asset_api.url,
        "SEKOIA_API_KEY": asset_api.key,
        "SEKOIA_ASSET_CONNECTOR_UUID": asset_api.connector,
        "IAM_ASSETS_DESTINATIONS": "assets",
    }
    for name in ("SEKOIA_INTAKE_URL", "SEKOIA_INTAKE_KEY"):
        env.pop(name, None)
    asset_api.fail_next(503, times=2)
    asset_api.fail_next(429, headers={"Retry-After": "1"})
    run = materialize("iam_assets.definitions", env, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    names = sorted(user.name for user in users)
    assert sorted(item["user"]["name"] for item in asset_api.items) == names  # each once
    assert {model_problem(item) for item in asset_api.items} == {None}
    assert [push.status for push in asset_api.pushes[:3]] == [503, 503, 429]
    assert max(push.items for push in asset_api.pushes) == 100
    assert intake.requests == []
    assert files_containing(home, asset_api.key) == []
    assert asset_api.key not in run.stdout + run.stderr


def test_wrong_intake_key_fails_within_seconds_and_is_stored_nowhere(
    iam_admin, iam_proxy, intake, tmp_path
):
    seed_users(iam_admin, DEMO_USERS)
    wrong_key = f"wrong-key-{uuid.uuid4().hex}"
    home = dagster_home(tmp_path)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AWS_ENDPOINT_URL": iam_proxy.url,
        "SEKOIA_INTAKE_URL": intake.url,
        "SEKOIA_INTAKE_KEY": wrong_key,
    }
    started = time.monotonic()
    run = materialize("iam_assets.definitions", env, tmp_path)
    elapsed = time.monotonic() - started
    assert run.returncode != 0
    assert "SEKOIA_INTAKE_KEY" in run.stdout + run.stderr
    assert "HTTP 401" in run.stdout + run.stderr
    assert [r.status for r in intake.requests] == [401]  # not retried
    assert elapsed < 60, elapsed  # CLI start-up included; the refusal itself is immediate
    assert files_containing(home, wrong_key) == []
    assert wrong_key not in run.stdout + run.stderr
    assert intake.events == []


def test_demo_commands_print_the_count_the_outbox_and_then_the_changes(tmp_path):
    home = dagster_home(tmp_path)
    outbox = tmp_path / "outbox"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "IAM_ASSETS_DEMO_OUTBOX": str(outbox),
        "IAM_ASSETS_STATE_DIR": str(tmp_path / "state"),
    }
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        env.pop(variable, None)  # the demo needs no AWS account

    def demo() -> str:
        run = materialize("iam_assets.demo.definitions", env, REPO)
        assert run.returncode == 0, run.stderr[-3000:]
        report = subprocess.run(
            [sys.executable, "-m", "iam_assets.demo.report"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert report.returncode == 0, report.stderr
        return report.stdout

    first = demo()
    assert f"Delivered {len(DEMO_USERS)} OCSF events" in first
    assert "Asset checks: 10 of 10 passed." in first
    assert "Since the previous snapshot: 0 added, 0 removed, 0 changed." in first
    (written,) = outbox.glob("*.jsonl")
    assert str(written) in first
    assert len(written.read_text().splitlines()) == len(DEMO_USERS)

    env["IAM_ASSETS_DESTINATIONS"] = "both"  # the asset items go to a second outbox
    second = demo()  # the simulated account drifted: a user left, one joined, one changed
    assert "Since the previous snapshot: 1 added, 1 removed, 1 changed." in second
    assert "WARN: security_relevant_changes: admin without MFA: bob.no-mfa" in second
    assert len(list(outbox.glob("*.jsonl"))) == 2
    (items_file,) = (outbox / "assets").glob("*.jsonl")
    assert str(items_file) in second
    items = [json.loads(line) for line in items_file.read_text().splitlines()]
    assert f"Delivered {len(items)} asset items" in second and len(items) == len(DEMO_USERS)
    assert f"Delivered {len(DEMO_USERS)} OCSF events" in second
    assert {model_problem(item) for item in items} == {None}


def test_two_overlapping_cli_runs_of_one_account_deliver_once(
    iam_admin, iam_proxy, intake, tmp_path
):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.latency = 0.5  # the first run holds the account for a few seconds
    state = tmp_path / "state"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home(tmp_path)),
        "AWS_ENDPOINT_URL": iam_proxy.url,
        "SEKOIA_INTAKE_URL": intake.url,
        "SEKOIA_INTAKE_KEY": intake.key,
        "IAM_ASSETS_STATE_DIR": str(state),
    }
    command = [DAGSTER, "asset", "materialize", "-m", "iam_assets.definitions", "--select", "*"]
    first = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lock = state / "locks" / "own-account.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    holder = json.loads(lock.read_text())["holder"]

    second = materialize("iam_assets.definitions", env, tmp_path)
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output[-3000:]
    assert second.returncode != 0
    assert holder in second.stdout + second.stderr
    assert "Another inventory of the credentials' own account is running" in second.stderr
    names = sorted(event["user"]["name"] for event in intake.events)
    assert names == sorted(user.name for user in DEMO_USERS)  # delivered once, by the first

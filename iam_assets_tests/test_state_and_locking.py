"""Change tracking never blocks delivery, and one inventory per account runs at a time."""

import json
import threading
from pathlib import Path

import dagster as dg
import pytest

from iam_assets.analysis.snapshot_store import SnapshotStore, StateReport
from iam_assets.defs.account_lock import AccountLock
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.defs.settings import env_int, iam_resource_from_env
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets.demo.seed import DEMO_USERS, seed_users
from iam_assets_tests.support.graph import ASSETS, CHECKS, materialize_graph, metadata


def state_check(result) -> dg.AssetCheckEvaluation:
    (check,) = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "change_tracking_state"
    ]
    return check


def delivered_once(intake) -> None:
    names = sorted(event["user"]["name"] for event in intake.events)
    assert names == sorted(user.name for user in DEMO_USERS)


@pytest.mark.slow
def test_a_truncated_snapshot_is_moved_aside_and_every_user_still_delivered(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    store = SnapshotStore(state.directory)
    store.path(None).parent.mkdir(parents=True)
    store.path(None).write_text('{"AIDA0000": {"user_name": "ali', encoding="utf-8")
    result = materialize_graph(iam_proxy, intake, state)
    assert result.success
    delivered_once(intake)
    check = state_check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    (aside,) = check.metadata["moved_aside"].value
    assert aside in check.description and "not valid JSON" in check.description
    assert Path(aside).read_text().startswith('{"AIDA0000"')  # kept for a human to look at
    # Tracking restarted, keyed by the account the credentials reached (moto's).
    assert len(json.loads(store.path("123456789012").read_text())) == len(DEMO_USERS)
    assert metadata(result, "enriched_iam_users")["users_added"] == 0  # nothing invented

    intake.events.clear()
    again = materialize_graph(iam_proxy, intake, state)
    assert state_check(again).passed
    delivered_once(intake)


@pytest.mark.slow
def test_a_state_directory_under_a_regular_file_warns_and_delivers(
    iam_admin, iam_proxy, intake, tmp_path
):
    seed_users(iam_admin, DEMO_USERS)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    state = SnapshotStoreResource(directory=str(blocker / "state"))
    result = materialize_graph(iam_proxy, intake, state)
    assert result.success
    delivered_once(intake)
    check = state_check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "IAM_ASSETS_STATE_DIR" in check.description and "could not be saved" in check.description


def test_concurrent_saves_leave_one_whole_snapshot_and_no_temporary_file(tmp_path):
    store = SnapshotStore(tmp_path)
    snapshots = [{f"AIDA{n:04d}": {"n": n, "pad": "x" * 5000}} for n in range(8)]

    def save(snapshot: dict) -> None:
        for _ in range(25):
            report = StateReport()
            store.save(snapshot, "123456789012", report)
            assert report.ok, report.problems

    threads = [threading.Thread(target=save, args=(s,)) for s in snapshots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert json.loads(store.path("123456789012").read_text()) in snapshots
    assert [path.name for path in tmp_path.iterdir()] == ["previous_snapshot-123456789012.json"]


@pytest.mark.parametrize("content", [b"\xff\xfe not text", b"[1, 2, 3]", b""])
def test_any_unreadable_snapshot_is_set_aside_not_raised(tmp_path, content):
    store = SnapshotStore(tmp_path)
    store.path(None).write_bytes(content)
    report = StateReport()
    assert store.load(None, report) is None
    assert len(report.moved_aside) == 1 and not store.path(None).exists()


@pytest.mark.slow
def test_a_run_while_another_holds_the_account_stops_before_iam_naming_it(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    other = AccountLock(state.directory, None, holder="run 0f1e2d3c-other")
    other.acquire()
    try:
        with pytest.raises(dg.DagsterResourceFunctionError) as raised:
            materialize_graph(iam_proxy, intake, state)
    finally:
        other.release()
    message = str(raised.value.__cause__)
    assert "run 0f1e2d3c-other" in message and "not delivered twice" in message
    assert iam_proxy.actions == {} and intake.requests == []
    assert materialize_graph(iam_proxy, intake, state).success  # freed: the next run goes through
    delivered_once(intake)


@pytest.mark.slow
def test_an_unpartitioned_run_waits_for_a_run_of_the_account_its_credentials_reach(
    iam_admin, iam_proxy, intake, state
):
    seed_users(iam_admin, DEMO_USERS)
    partition_run = AccountLock(state.directory, "123456789012", holder="run 9a8b7c6d-partition")
    partition_run.acquire()
    try:
        result = materialize_graph(iam_proxy, intake, state, raise_on_error=False)
    finally:
        partition_run.release()
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "run 9a8b7c6d-partition" in str(failure.step_failure_data.error)
    assert set(iam_proxy.actions) <= {"GetCallerIdentity"} and intake.requests == []


def test_the_lock_of_one_account_does_not_hold_another(tmp_path):
    first = AccountLock(tmp_path, "111111111111", holder="run a")
    second = AccountLock(tmp_path, "222222222222", holder="run b")
    first.acquire()
    second.acquire()  # no AccountBusy
    first.release()
    second.release()


@pytest.mark.parametrize("value", ["four", "0", "-2", "2.5"])
def test_max_workers_that_is_not_a_whole_number_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("IAM_ASSETS_MAX_WORKERS", value)
    with pytest.raises(ValueError, match="IAM_ASSETS_MAX_WORKERS must be a whole number of at"):
        iam_resource_from_env()
    assert env_int("UNSET_FOR_THIS_TEST", default=4, minimum=1) == 4


def test_an_unknown_profile_in_the_environment_stops_the_code_location_from_loading(monkeypatch):
    from iam_assets.defs.aws_resource import IAMResource
    from iam_assets.defs.code_location import build_definitions
    from iam_assets.defs.sink_resources import JsonLinesOutboxResource

    monkeypatch.setenv("IAM_ASSETS_OCSF_PROFILE", "ecs")
    with pytest.raises(ValueError, match="IAM_ASSETS_OCSF_PROFILE / profile must be one of"):
        build_definitions(iam=IAMResource(), intake=JsonLinesOutboxResource(directory="x"))


def test_an_unknown_profile_in_run_config_is_refused_at_launch(iam_admin, iam_proxy, intake, state):
    from iam_assets.defs.ocsf_resource import OCSFProfileResource

    with pytest.raises(dg.DagsterInvalidConfigError, match="sekoia"):
        dg.materialize(
            [*ASSETS, *CHECKS],
            resources={
                "state": state,
                "iam": IAMResource(endpoint_url=iam_proxy.url),
                "intake": SekoiaIntakeResource(url=intake.url, intake_key=intake.key),
                "ocsf": OCSFProfileResource.configure_at_launch(),
            },
            run_config={"resources": {"ocsf": {"config": {"profile": "ecs"}}}},
        )
    assert iam_proxy.actions == {}

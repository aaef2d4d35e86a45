"""Crashed runs end: a run whose process died is marked FAILURE, alerted, and the queue moves on.

With ``max_concurrent_runs: 1`` a run left STARTED holds the only run slot for ever: the daily
schedule and the freshness check queue behind it. When a run's process dies alone, the code
server that spawned it reports the run failed; when both die (a host reboot, a container restart,
the code server killed), nothing does, and only the daemon's run monitoring can end the run.

The test does that under a real ``dagster dev`` with the shipped ``dagster.yaml``: it holds a run
in flight, SIGKILLs every process at once (the run's own among them), starts ``dagster dev``
again on the same instance, queues a second run, and waits for the first to fail, the second to
succeed, the first's automatic retry to succeed, and the project's run-failure sensor to alert
on the first. Only two timings of the copy are shortened (the daemon's poll interval and the
maximum runtime), each only if the shipped file sets it; nothing is turned on that it leaves off.
"""

import os
import re
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_graphql import DagsterGraphQLClient

from iam_assets_tests.support.dagster_dev import REPO, dagster_dev, graphql, location_name
from iam_assets_tests.support.held_location import HOLD_VARIABLE, JOB_NAME

MODULE = "iam_assets_tests.support.held_location"
# The shipped values in minutes and hours, shortened for the test (same meaning, less waiting).
SHORTENED = {"poll_interval_seconds": 1, "max_runtime_seconds": 15}
DONE = {"SUCCESS", "FAILURE", "CANCELED"}

STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
LOGS = """
query Logs($id: ID!) {
  logsForRun(runId: $id) { ... on EventConnection { events { ... on MessageEvent { message } } } }
}
"""
RETRIES = """
query Retries($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/parent_run_id", value: $id}]}) {
    ... on Runs { results { runId status } }
  }
}
"""


def shipped_instance(home: Path) -> dict:
    """The checked-in dagster.yaml in ``home``, with its monitoring timings shortened."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    monitoring = config.get("run_monitoring") or {}
    for setting, value in SHORTENED.items():
        if setting in monitoring:
            monitoring[setting] = value
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return monitoring


def status(url: str, run_id: str) -> str:
    return graphql(url, STATUS, id=run_id)["runOrError"]["status"]


def launch(url: str) -> str:
    host, port = url.removeprefix("http://").split(":")
    client = DagsterGraphQLClient(host, port_number=int(port))
    return client.submit_job_execution(JOB_NAME, repository_location_name=location_name(url))


def worker_pid(url: str, run_id: str) -> int | None:
    """The run's process, as its code server logged it ("Started process for run (pid: N).")."""
    for event in graphql(url, LOGS, id=run_id)["logsForRun"]["events"]:
        found = re.search(r"Started process for run \(pid: (\d+)\)", event.get("message") or "")
        if found:
            return int(found.group(1))
    return None


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, merely not reaped


@pytest.mark.slow
def test_a_run_whose_process_died_fails_is_alerted_and_the_queue_moves_on(tmp_path, webhook):
    home = tmp_path / "home"
    home.mkdir()
    monitoring = shipped_instance(home)
    hold = tmp_path / "hold"
    hold.touch()
    sockets = tmp_path / "tmp"  # the code servers' sockets, left behind by the crash
    sockets.mkdir()
    env = {
        HOLD_VARIABLE: str(hold),
        "IAM_ASSETS_ALERT_WEBHOOK_URL": webhook.url,
        "TMPDIR": str(sockets),
    }

    with dagster_dev(MODULE, home, tmp_path / "first.log", env) as first:
        held = launch(first.url)
        deadline = time.monotonic() + 60
        while (pid := worker_pid(first.url, held)) is None or status(first.url, held) != "STARTED":
            assert time.monotonic() < deadline, (status(first.url, held), "run did not start")
            time.sleep(0.5)
        assert os.getpgid(pid) == first.process.pid  # the run's process belongs to this dagster dev
        first.crash()
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"run process {pid} survived SIGKILL"
        time.sleep(0.1)
    hold.unlink()  # from now on the job completes at once: the retry and the next run pass

    with dagster_dev(MODULE, home, tmp_path / "second.log", env) as second:
        queued = launch(second.url)  # behind the dead run, which still holds the only run slot
        deadline = time.monotonic() + 75
        while True:
            statuses = {"held": status(second.url, held), "queued": status(second.url, queued)}
            retries = graphql(second.url, RETRIES, id=held)["runsOrError"]["results"]
            alerts = [alert for alert in webhook.received if alert.get("run_id") == held]
            if (
                set(statuses.values()) <= DONE
                and retries
                and all(retry["status"] in DONE for retry in retries)
                and alerts
            ):
                break
            assert time.monotonic() < deadline, (
                "a run whose process died did not end, or the queue did not move on",
                statuses,
                retries,
                alerts,
                {"run_monitoring": monitoring},
            )
            time.sleep(1)

    assert statuses == {"held": "FAILURE", "queued": "SUCCESS"}
    assert [retry["status"] for retry in retries] == ["SUCCESS"]  # run_retries: once
    (alert,) = alerts  # run_failure_alerts, once
    assert alert["status"] == "FAILURE" and alert["job"] == JOB_NAME
    assert alert["run_url"].endswith(f"/runs/{held}") and alert["run_error"]


def test_both_instances_end_dead_runs_with_what_their_launcher_can_do(tmp_path):
    """The local launcher cannot see a dead run process, so a maximum runtime is its only
    backstop; neither launcher resumes a crashed run silently; leaked pool slots are freed."""
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:  # validated as at start-up
        assert instance.run_monitoring_enabled
        assert not instance.run_launcher.supports_check_run_worker_health
        assert instance.run_monitoring_max_runtime_seconds > 0
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_retries_enabled  # a run failed by monitoring is retried, too

    production = yaml.safe_load((REPO / "deploy" / "dagster.production.yaml").read_text())
    monitoring = production["run_monitoring"]
    assert monitoring["enabled"] and monitoring["max_runtime_seconds"] > 0
    assert monitoring["max_resume_run_attempts"] == 0  # failed and alerted, then retried
    assert production["concurrency"]["pools"]["default_limit"]  # steps hold pool slots, so:
    assert monitoring["free_slots_after_run_end_seconds"] > 0

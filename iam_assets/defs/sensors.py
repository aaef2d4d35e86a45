"""Make failures impossible to miss: one alert per run with failed checks, or per failed run,
and a freshness check per destination that fails when no delivery succeeded for 26 hours (a
missed day)."""

import warnings
from collections.abc import Sequence
from typing import Any

import dagster as dg

from iam_assets.defs.checks import FRESHNESS_WINDOW, declared
from iam_assets.defs.keys import FAILING_USERS, PARTITION_TAG
from iam_assets.defs.notifier import NotifierResource
from iam_assets.deliver.alert_channels import Alert, FailedCheck


def build_delivery_freshness(
    leaves: Sequence[dg.AssetKey],
) -> tuple[list[dg.AssetChecksDefinition], dg.SensorDefinition]:
    """A freshness check on each delivered copy and the sensor that evaluates them.

    Freshness checks (not Dagster's newer FreshnessPolicy) because a check evaluation is what the
    alert sensors below see and report; the supersession warning would only confuse users. With
    account partitions it looks at the latest delivery of any account; a failed account is
    reported by its failed run.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=dg.SupersessionWarning)
        declaration = declared("freshness_check")
        checks = dg.build_last_update_freshness_checks(
            assets=list(leaves),
            lower_bound_delta=FRESHNESS_WINDOW,
            severity=declaration.severity,
            blocking=declaration.blocking,
        )
        sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name="delivery_freshness_sensor",
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
    return list(checks), sensor


def root_cause(error: Any) -> str:
    """The message of what went wrong, not of Dagster's wrapper around it ("Error occurred
    while executing op ...")."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error.message.strip()


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """Every failed check evaluation of a run, blocking or not, WARN or ERROR."""
    failed = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.get_dagster_event().asset_check_evaluation_data
        if evaluation.passed:
            continue
        # A JSON list on the checks that name users; the freshness checks set none
        users = evaluation.metadata.get(FAILING_USERS)
        listed = users.value if isinstance(users, dg.JsonMetadataValue) else None
        failed.append(
            FailedCheck(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                severity=evaluation.severity.value,
                description=evaluation.description or "",
                users=tuple(str(user) for user in listed or []),
            )
        )
    return failed


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="check_failure_alerts",
    description="One alert for each run that succeeded with failed asset checks.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
)
def check_failure_alerts(
    context: dg.RunStatusSensorContext, notifier: NotifierResource
) -> dg.SkipReason | None:
    run = context.dagster_run
    failed = failed_checks(context.instance, run.run_id)
    if not failed:
        return dg.SkipReason(f"run {run.run_id}: every check passed")
    alert = Alert(
        run.run_id,
        run.job_name,
        notifier.run_url(run.run_id),
        tuple(failed),
        account=run.tags.get(PARTITION_TAG),
    )
    channel = notifier.send(alert, context.log)
    # Nothing returned: the tick succeeds, and Dagster notes on the run that the sensor acted on
    # it; a SkipReason would show a sent alert as skipped.
    context.log.info(
        f"Alert sent through {channel}: {len(failed)} failed check(s) of run {run.run_id}"
    )
    return None


@dg.run_failure_sensor(
    name="run_failure_alerts",
    description="One alert for each failed run (AWS or the intake unreachable, a blocking check"
    " failed, ...), listing its failed checks too.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
)
def run_failure_alerts(context: dg.RunFailureSensorContext, notifier: NotifierResource):
    run = context.dagster_run
    steps = [
        f"{event.step_key}: {root_cause(event.step_failure_data.error)}"
        for event in context.get_step_failure_events()
        if event.step_failure_data and event.step_failure_data.error
    ]
    error = "; ".join(steps) or (context.failure_event.message or "run failed")
    alert = Alert(
        run.run_id,
        run.job_name,
        notifier.run_url(run.run_id),
        tuple(failed_checks(context.instance, run.run_id)),
        run_error=error[:1500],
        account=run.tags.get(PARTITION_TAG),
    )
    channel = notifier.send(alert, context.log)
    context.log.info(f"Alert sent through {channel}: run {run.run_id} failed")


SENSORS = [check_failure_alerts, run_failure_alerts]

"""Failures are impossible to miss: one alert per run, through Slack, a webhook, or the log."""

import logging

import dagster as dg
import pytest

from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.defs.notifier import NotifierResource
from iam_assets.defs.sensors import check_failure_alerts, failed_checks, run_failure_alerts
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets.demo.seed import DEMO_USERS, seed_users
from iam_assets_tests.support.control_account import seed_compliant_account
from iam_assets_tests.support.graph import CONTROL_CHECKS, materialize_graph


def run_graph(instance, iam_proxy, intake, tmp_path, strategy="per_user", **intake_kwargs):
    return materialize_graph(
        iam_proxy,
        intake,
        SnapshotStoreResource(directory=str(tmp_path / "state")),
        strategy=strategy,
        instance=instance,
        raise_on_error=False,
        intake=SekoiaIntakeResource(url=intake.url, **intake_kwargs),
    )


def sensor_context(instance, result, event_type, notifier):
    (record,) = instance.get_records_for_run(result.run_id, of_type=event_type).records
    return dg.build_run_status_sensor_context(
        sensor_name="alerts",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=record.event_log_entry.dagster_event,
        resources={"notifier": notifier},
    )


@pytest.mark.slow
def test_a_failed_check_in_a_successful_run_sends_exactly_one_alert(
    iam_admin, iam_proxy, intake, webhook, tmp_path
):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListMFADevices", when=lambda p: p["UserName"] in {"bob.no-mfa", "heidi.idle"})
    notifier = NotifierResource(webhook_url=webhook.url, ui_url="http://dagster.example:3000")
    with dg.instance_for_test() as instance:
        result = run_graph(instance, iam_proxy, intake, tmp_path, intake_key=intake.key)
        assert result.success
        context = sensor_context(instance, result, dg.DagsterEventType.RUN_SUCCESS, notifier)
        check_failure_alerts(context)
    (alert,) = webhook.received  # exactly one, the seed's failed controls in it too
    (check,) = [c for c in alert["failed_checks"] if c["check"] not in CONTROL_CHECKS]
    assert {c["check"] for c in alert["failed_checks"]} > {"iam_fields_known", "iam_5"}
    assert check["check"] == "iam_fields_known" and check["severity"] == "WARN"
    assert check["asset"] == "raw_iam_users"
    assert set(check["users"]) == {"bob.no-mfa", "heidi.idle"}
    assert alert["run_url"] == f"http://dagster.example:3000/runs/{result.run_id}"
    assert "iam_fields_known" in alert["text"] and "bob.no-mfa" in alert["text"]


class Lines(logging.Handler):
    """The lines a sensor logs (what the UI shows on its tick)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.slow
def test_a_sent_alert_ticks_as_success_not_skipped(iam_admin, iam_proxy, intake, webhook, tmp_path):
    """What the daemon sees: a tick that sent an alert reports the run it acted on (the UI shows
    a successful tick, and the run an engine event), not a skip; the sensor's log says sent."""
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListMFADevices", when=lambda p: p["UserName"] == "bob.no-mfa")
    notifier = NotifierResource(webhook_url=webhook.url)
    log = Lines()
    with dg.instance_for_test() as instance:

        def tick(cursor: str | None):
            context = dg.build_sensor_context(
                instance=instance, cursor=cursor, resources={"notifier": notifier}
            )
            context.log.addHandler(log)
            return check_failure_alerts.evaluate_tick(context), context.cursor

        _, cursor = tick(None)  # the first tick only sets the cursor, as the daemon's does
        result = run_graph(instance, iam_proxy, intake, tmp_path, intake_key=intake.key)
        assert result.success
        sent, cursor = tick(cursor)
        again, _ = tick(cursor)
        failed = len(failed_checks(instance, result.run_id))  # iam_fields_known, the controls
    assert len(webhook.received) == 1
    assert sent.skip_message is None and not sent.run_requests
    (reaction,) = sent.dagster_run_reactions
    assert reaction.dagster_run.run_id == result.run_id and reaction.error is None
    assert f"Alert sent through webhook: {failed} failed check(s) of run {result.run_id}" in (
        log.lines
    )
    assert not again.dagster_run_reactions  # the next tick does not send it again


@pytest.mark.slow
def test_a_clean_run_sends_nothing(iam_admin, iam_proxy, intake, webhook, tmp_path):
    seed_compliant_account(iam_admin)  # a clean run: every control met too
    notifier = NotifierResource(webhook_url=webhook.url)
    with dg.instance_for_test() as instance:
        # bulk: the root user's last use (iam_20) is told by the credential report only
        result = run_graph(instance, iam_proxy, intake, tmp_path, "bulk", intake_key=intake.key)
        assert failed_checks(instance, result.run_id) == []
        check_failure_alerts(
            sensor_context(instance, result, dg.DagsterEventType.RUN_SUCCESS, notifier)
        )
    assert webhook.received == []


@pytest.mark.slow
def test_a_failed_run_sends_one_alert_with_the_error(
    iam_admin, iam_proxy, intake, webhook, tmp_path
):
    seed_users(iam_admin, DEMO_USERS[:3])
    notifier = NotifierResource(webhook_url=webhook.url)
    with dg.instance_for_test() as instance:
        result = run_graph(instance, iam_proxy, intake, tmp_path, intake_key="wrong-key-value")
        assert not result.success
        context = sensor_context(instance, result, dg.DagsterEventType.RUN_FAILURE, notifier)
        run_failure_alerts(context.for_run_failure())
    (alert,) = webhook.received
    assert alert["status"] == "FAILURE"
    assert "sekoia_user_inventory" in alert["run_error"]
    assert "SEKOIA_INTAKE_KEY" in alert["run_error"]
    assert "wrong-key-value" not in str(alert)


def test_slack_is_used_when_a_token_is_configured(webhook):
    from iam_assets.deliver.alert_channels import Alert, FailedCheck

    notifier = NotifierResource(
        slack_token="xoxb-test-token", slack_channel="#iam", slack_api_url=webhook.url + "/api"
    )
    alert = Alert(
        "r1",
        "iam_inventory_job",
        "http://ui/runs/r1",
        (FailedCheck("ocsf_user_inventory", "ocsf_types_valid", "ERROR", "bad", ("u1",)),),
    )
    assert notifier.send(alert, log=None) == "slack"
    (message,) = webhook.received
    assert webhook.paths == ["/api/chat.postMessage"]
    assert message["channel"] == "#iam" and "ocsf_types_valid" in message["text"]
    assert "xoxb-test-token" not in repr(notifier)


def test_without_any_channel_the_alert_is_a_logged_warning():
    from iam_assets.deliver.alert_channels import Alert

    warnings: list[str] = []

    class Log:
        def warning(self, text: str) -> None:
            warnings.append(text)

    channel = NotifierResource().send(
        Alert("r2", "job", "http://ui/runs/r2", run_error="boom"), Log()
    )
    assert channel == "log"
    assert warnings and "boom" in warnings[0] and "http://ui/runs/r2" in warnings[0]


def test_the_webhook_follows_no_redirect_and_its_url_is_in_no_error(webhook):
    """The webhook URL is a secret (its path or query holds the token): a redirect is refused as
    the intake refuses one, and neither the URL nor its token is in the error."""
    import pytest

    from iam_assets.deliver.alert_channels import Alert
    from iam_assets.deliver.sink import DeliveryError
    from iam_assets_tests.support.webhook_double import WebhookDouble

    elsewhere = WebhookDouble().start()
    try:
        webhook.redirect_to = f"{elsewhere.url}/collect"
        secret_url = f"{webhook.url}/hooks/T0/B0/s3cr3t-token?sig=s3cr3t-sig"
        notifier = NotifierResource(webhook_url=secret_url)
        with pytest.raises(DeliveryError) as raised:
            notifier.send(Alert("r3", "job", "http://ui/runs/r3", run_error="boom"), log=None)
    finally:
        elsewhere.stop()
    assert elsewhere.received == []  # not followed
    assert webhook.paths == ["/hooks/T0/B0/s3cr3t-token?sig=s3cr3t-sig"]  # once, not retried
    message = str(raised.value)
    assert "HTTP 307" in message and "IAM_ASSETS_ALERT_WEBHOOK_URL" in message
    assert "s3cr3t" not in message and webhook.url not in message
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_an_unreachable_webhook_is_retried_then_named_without_its_url():
    import pytest

    from iam_assets.deliver.alert_channels import Alert, post_webhook
    from iam_assets.deliver.retries import RetryPolicy
    from iam_assets.deliver.sink import DeliveryError

    fast = RetryPolicy(timeout=2.0, max_attempts=2, backoff_initial=0.01)
    with pytest.raises(DeliveryError) as raised:
        post_webhook("http://127.0.0.1:9/hooks/s3cr3t-token", Alert("r4", "job", "u"), fast)
    message = str(raised.value)
    assert "The alert webhook kept failing (connection refused) after 1 retries" in message
    assert "s3cr3t" not in message and "127.0.0.1" not in message

"""Alert messages and their delivery to a JSON webhook (no Dagster here).

One message per run: what failed (checks with their severity and first failing users, or the run
itself) and a link to the run in the Dagster UI. The webhook payload carries ``text`` (what Slack,
Mattermost and Teams incoming webhooks display) and the same facts as structured fields.

The webhook's URL is a secret (it usually embeds a token), so it travels on the intake's
transport rules (http_post.py, retries.py): one deadline per request, 429/5xx and dropped
connections retried within bounds, redirects never followed, and no error that names the URL.
"""

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from iam_assets.deliver.retries import RetryPolicy, exchange
from iam_assets.deliver.sink import DeliveryError, DeliveryReport

USERS_SHOWN = 5
WEBHOOK_VARIABLE = "IAM_ASSETS_ALERT_WEBHOOK_URL"
# An alert is one small request from a sensor's tick: a short deadline and few attempts.
WEBHOOK_POLICY = RetryPolicy(timeout=10.0, max_attempts=3, max_retry_seconds=30.0)


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    severity: str
    description: str = ""
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    run_id: str
    job: str
    run_url: str
    failed_checks: tuple[FailedCheck, ...] = ()
    run_error: str | None = None
    account: str | None = None  # the AWS account (partition) of the run, when there are several

    @property
    def text(self) -> str:
        where = f" for AWS account {self.account}" if self.account else ""
        head = (
            f"iam-assets: run of {self.job}{where} failed"
            if self.run_error
            else f"iam-assets: {len(self.failed_checks)} asset check(s) failed in {self.job}{where}"
        )
        lines = [f"{head} — {self.run_url}"]
        if self.run_error:
            lines.append(f"Error: {self.run_error}")
        for check in self.failed_checks:
            users = ", ".join(check.users[:USERS_SHOWN])
            more = (
                f" (+{len(check.users) - USERS_SHOWN} more)"
                if len(check.users) > USERS_SHOWN
                else ""
            )
            lines.append(
                f"• [{check.severity}] {check.asset} / {check.check}: {check.description}"
                + (f" Users: {users}{more}" if users else "")
            )
        return "\n".join(lines)

    def payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "run_id": self.run_id,
            "job": self.job,
            "account": self.account,
            "run_url": self.run_url,
            "status": "FAILURE" if self.run_error else "CHECKS_FAILED",
            "run_error": self.run_error,
            "failed_checks": [
                {**asdict(check), "users": list(check.users[:USERS_SHOWN])}
                for check in self.failed_checks
            ],
        }


def post_webhook(url: str, alert: Alert, policy: RetryPolicy = WEBHOOK_POLICY) -> None:
    """POST the alert as JSON, or raise ``DeliveryError`` saying why, never with the URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DeliveryError(f"{WEBHOOK_VARIABLE} must be an http(s) URL")
    body = json.dumps(alert.payload()).encode()
    headers = {"Content-Type": "application/json"}

    def once(deadline: float) -> None:
        status = exchange(url, body, headers, deadline=deadline).status
        if 300 <= status < 400:
            raise DeliveryError(
                f"The alert webhook answered HTTP {status}, a redirect. Redirects are not followed"
                f" (the URL's token and the alert would go with them): set {WEBHOOK_VARIABLE} to"
                " the webhook's own address."
            )
        if not 200 <= status < 300:
            raise DeliveryError(
                f"The alert webhook answered HTTP {status}: check {WEBHOOK_VARIABLE}."
            )

    policy.call(once, DeliveryReport(events=1), destination="The alert webhook")

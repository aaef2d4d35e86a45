"""Alert messages and their delivery to a JSON webhook (no Dagster here).

One message per run: what failed (checks with their severity and first failing users, or the run
itself) and a link to the run in the Dagster UI. The webhook payload carries ``text`` (what Slack,
Mattermost and Teams incoming webhooks display) and the same facts as structured fields.
"""

from dataclasses import asdict, dataclass
from typing import Any

import requests

USERS_SHOWN = 5


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


def post_webhook(url: str, alert: Alert, timeout: float = 10.0) -> None:
    """POST the alert as JSON; raise with the status (never the URL: it often holds a token)."""
    try:
        response = requests.post(url, json=alert.payload(), timeout=timeout)
    except requests.RequestException as error:
        raise RuntimeError(f"alert webhook unreachable ({type(error).__name__})") from None
    if response.status_code >= 300:
        raise RuntimeError(f"alert webhook answered HTTP {response.status_code}")

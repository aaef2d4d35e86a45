"""Where alerts go: the channel is chosen here, the messages are built in
``deliver/alert_channels.py``, and ``sensors.py`` decides when to send one."""

from typing import Any

import dagster as dg
from pydantic import Field

from iam_assets.deliver.alert_channels import WEBHOOK_VARIABLE, Alert, post_webhook

SLACK_TOKEN = "IAM_ASSETS_SLACK_TOKEN"
SLACK_CHANNEL = "IAM_ASSETS_SLACK_CHANNEL"
WEBHOOK_URL = WEBHOOK_VARIABLE
UI_URL = "IAM_ASSETS_UI_URL"


class NotifierResource(dg.ConfigurableResource):
    """Where alerts go: Slack (dagster-slack) if a token is set, else a JSON webhook, else the log.

    The token and the webhook URL (which usually embeds a token) are secrets: give them through
    ``dg.EnvVar``; they are masked in ``repr`` and never put in messages.
    """

    slack_token: str | None = Field(default=None, description=f"Slack bot token ({SLACK_TOKEN})")
    slack_channel: str = Field(default="#security-alerts", description=f"({SLACK_CHANNEL})")
    slack_api_url: str | None = Field(
        default=None, description="Slack API base URL (GovSlack, a proxy); default Slack's"
    )
    webhook_url: str | None = Field(default=None, description=f"JSON webhook ({WEBHOOK_URL})")
    ui_url: str = Field(default="http://127.0.0.1:3000", description=f"Dagster UI ({UI_URL})")

    def __repr_args__(self):
        for name, value in super().__repr_args__():
            secret = name in {"slack_token", "webhook_url"}
            yield name, ("***" if secret and value else value)

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"

    def send(self, alert: Alert, log: Any) -> str:
        """Deliver ``alert``; returns the channel used (``slack``, ``webhook`` or ``log``)."""
        if self.slack_token:
            from dagster_slack import SlackResource

            client = SlackResource(token=self.slack_token).get_client()
            if self.slack_api_url:
                client.base_url = self.slack_api_url.rstrip("/") + "/"
            client.chat_postMessage(channel=self.slack_channel, text=alert.text)
            return "slack"
        if self.webhook_url:
            post_webhook(self.webhook_url, alert)
            return "webhook"
        log.warning(alert.text)
        return "log"

"""A loopback JSON webhook (Slack/Teams/Mattermost-style) that records what it receives, and can
answer a redirect (``redirect_to``) as a moved or hijacked webhook would (RFC 9110, 15.4)."""

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from iam_assets_tests.support.loopback import Answer, LoopbackServer


@dataclass
class WebhookDouble(LoopbackServer):
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    reply: dict[str, Any] = field(default_factory=lambda: {"ok": True})  # what Slack's API says
    redirect_to: str | None = None  # answer 307 with this Location instead

    def __post_init__(self) -> None:
        self._serve()

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if "json" in headers.get("content-type", ""):
            self.received.append(json.loads(body or b"{}"))
        else:  # form-encoded, as slack_sdk posts
            self.received.append(dict(parse_qsl(body.decode())))
        self.paths.append(path)
        if self.redirect_to:
            return 307, {"Location": self.redirect_to}, b""
        return 200, {"Content-Type": "application/json"}, json.dumps(self.reply).encode()

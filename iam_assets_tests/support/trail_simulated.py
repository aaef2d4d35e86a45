"""CloudTrail's event history over the IAM changes the proxy forwarded (moto has no LookupEvents).

Every successful IAM write that passes through the proxy becomes a management event, shown by
``LookupEvents`` once ``delay_seconds`` have passed (CloudTrail shows an event within minutes,
not at once). The answers follow the CloudTrail API reference, LookupEvents: JSON 1.1 protocol;
exactly one of ``LookupAttributes`` (``InvalidLookupAttributesException`` otherwise), an
``AttributeKey`` among those documented; ``MaxResults`` 1 to 50
(``InvalidMaxResultsException``); ``StartTime`` after ``EndTime`` refused
(``InvalidTimeRangeException``); events newest first, pages joined by ``NextToken``; each event
with ``EventId``, ``EventName``, ``ReadOnly``, ``EventTime`` (epoch seconds), ``EventSource``,
``Username``, ``Resources`` and ``CloudTrailEvent`` (the record as a JSON string, with
``requestParameters`` in the API's camelCase, IAM User Guide, "IAM and AWS STS information in
CloudTrail"). 2 requests a second per account: a token bucket answers ``ThrottlingException``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

ATTRIBUTE_KEYS = frozenset(
    {
        "EventId",
        "EventName",
        "ReadOnly",
        "Username",
        "ResourceType",
        "ResourceName",
        "EventSource",
        "AccessKeyId",
    }
)
_READ_PREFIXES = ("Get", "List", "Generate", "Simulate")


@dataclass(frozen=True)
class Event:
    name: str
    at: float
    parameters: dict[str, str]
    event_id: str
    error: str | None = None

    def record(self) -> dict:
        user = self.parameters.get("UserName")
        detail = {
            "eventVersion": "1.08",
            "userIdentity": {"type": "Root", "accountId": "123456789012"},
            "eventTime": datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "iam.amazonaws.com",
            "eventName": self.name,
            "awsRegion": "us-east-1",
            "requestParameters": {_camel(key): value for key, value in self.parameters.items()},
            "eventID": self.event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            **({"errorCode": self.error} if self.error else {}),
        }
        return {
            "EventId": self.event_id,
            "EventName": self.name,
            "ReadOnly": "false",
            "EventTime": self.at,
            "EventSource": "iam.amazonaws.com",
            "Username": "root",
            "Resources": [{"ResourceType": "AWS::IAM::User", "ResourceName": user}] if user else [],
            "CloudTrailEvent": json.dumps(detail),
        }


class EventHistory:
    """The account's IAM write events, served as CloudTrail's ``LookupEvents`` serves them."""

    def __init__(self, delay_seconds: float = 0.0, rate: float = 2.0, burst: int = 2) -> None:
        self.delay = delay_seconds
        self.events: list[Event] = []
        self.calls = 0
        self.throttled = 0
        self.denied = False
        self.bucket = TokenBucket(rate, burst)
        self._lock = threading.Lock()

    def observe(self, action: str, parameters: dict[str, str], status: int) -> None:
        """Record an IAM call the proxy answered (reads are not what this history is for)."""
        if action.startswith(_READ_PREFIXES) or action in {"", "LookupEvents"}:
            return
        shown = {k: v for k, v in parameters.items() if k not in {"Action", "Version"}}
        error = None if status == 200 else f"HTTP{status}"
        with self._lock:
            self.events.append(Event(action, time.time(), shown, str(uuid.uuid4()), error))

    def answer(self, body: bytes) -> tuple[int, dict]:
        """(status, JSON answer) to one LookupEvents request."""
        with self._lock:
            self.calls += 1
            if not self.bucket.take():
                self.throttled += 1
                return 400, _error("ThrottlingException", "Rate exceeded")
        if self.denied:
            return 400, _error(
                "AccessDeniedException",
                "User is not authorized to perform: cloudtrail:LookupEvents (injected)",
            )
        request = json.loads(body or b"{}")
        attributes = request.get("LookupAttributes") or []
        if len(attributes) > 1 or any(
            a.get("AttributeKey") not in ATTRIBUTE_KEYS for a in attributes
        ):
            return 400, _error("InvalidLookupAttributesException", "One attribute, documented")
        size = int(request.get("MaxResults", 50))
        if not 1 <= size <= 50:
            return 400, _error("InvalidMaxResultsException", "MaxResults is 1 to 50")
        start = float(request.get("StartTime", 0))
        end = float(request.get("EndTime", time.time()))
        if start > end:
            return 400, _error("InvalidTimeRangeException", "StartTime is after EndTime")
        visible_until = time.time() - self.delay
        with self._lock:
            shown = [
                event
                for event in self.events
                if start <= event.at <= end
                and event.at <= visible_until
                and all(_matches(event, a) for a in attributes)
            ]
        shown.sort(key=lambda event: event.at, reverse=True)
        offset = int(request.get("NextToken") or 0)
        page = shown[offset : offset + size]
        answer: dict = {"Events": [event.record() for event in page]}
        if offset + size < len(shown):
            answer["NextToken"] = str(offset + size)
        return 200, answer


class TokenBucket:
    """``rate`` requests per second on average, ``burst`` at once; thread-safe."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


def _matches(event: Event, attribute: dict) -> bool:
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key == "EventName":
        return event.name == value
    if key == "EventSource":
        return value == "iam.amazonaws.com"
    if key == "ReadOnly":
        return value == "false"
    if key == "ResourceName":
        return event.parameters.get("UserName") == value
    return key == "EventId" and event.event_id == value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _error(code: str, message: str) -> dict:
    return {"__type": code, "message": message}

"""Sekoia.io HTTP intake client (no Dagster here): at-least-once, bounded memory, honest failure.

Protocol (Sekoia.io "Forward logs via HTTPS"): ``POST {url}/jsons`` with the intake key in the
``X-SEKOIAIO-INTAKE-KEY`` header and a body ``{"jsons": ["<event as JSON text>", ...]}``, gzipped
(``Content-Encoding: gzip``); the intake answers ``{"event_ids": [...]}``, one id per accepted
event. The key never appears in a URL, a body, a log line, a ``repr`` or an exception raised here.

Retries (tenacity): 429 honours ``Retry-After`` (capped); 5xx, timeouts and dropped connections
back off exponentially with jitter; attempts and total time are bounded. 400/401/403/404/413 are
not retried: they fail at once with what to fix.
"""

import gzip
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

DEFAULT_INTAKE_URL = "https://intake.sekoia.io"
KEY_HEADER = "X-SEKOIAIO-INTAKE-KEY"
KEY_VARIABLE = "SEKOIA_INTAKE_KEY"
URL_VARIABLE = "SEKOIA_INTAKE_URL"
MAX_EVENT_BYTES = 250 * 1024  # the intake refuses larger events
DEFAULT_BATCH_EVENTS = 1000
DEFAULT_BATCH_BYTES = 1024 * 1024  # uncompressed JSON per request, about

_HINTS = {
    400: "the intake refused the payload as malformed",
    401: f"the intake key was refused: check {KEY_VARIABLE}",
    403: f"the intake key was refused: check {KEY_VARIABLE}, and that {URL_VARIABLE} is the"
    " intake of your Sekoia.io region",
    404: f"there is no intake at this address: check {URL_VARIABLE} (your region's intake URL)",
    413: "the request or one of its events is larger than the intake accepts",
}


class IntakeConfigError(ValueError):
    """The intake cannot be used as configured; the message names the variable to fix."""


class IntakeError(RuntimeError):
    """The intake did not accept every event of a delivery."""

    def __init__(self, message: str, *, delivered: int = 0, undelivered: int = 0) -> None:
        super().__init__(message)
        self.delivered = delivered
        self.undelivered = undelivered


class _Transient(Exception):
    """Worth retrying: 429, 5xx, timeout, connection dropped."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class DeliveryReport:
    """What the intake acknowledged, and what it cost."""

    events: int = 0
    delivered: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_uncompressed: int = 0


def validate_intake_config(url: str, key: str) -> str:
    """Return the normalised base URL, or say which variable is wrong (never echoing the key)."""
    parts = urlsplit(url or "")
    if parts.query or parts.username or parts.password:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must not carry credentials or a query string; put the key in"
            f" {KEY_VARIABLE}"
        )
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must be an http(s) URL such as {DEFAULT_INTAKE_URL},"
            f" got {_redact(url, key)!r}"
        )
    if not key or not key.strip():
        raise IntakeConfigError(f"{KEY_VARIABLE} is empty: set it to the intake key from Sekoia.io")
    if any(char.isspace() for char in key) or not key.isprintable():
        raise IntakeConfigError(f"{KEY_VARIABLE} contains spaces or control characters")
    return url.rstrip("/")


def _redact(text: str, key: str) -> str:
    return text.replace(key, "***") if key and len(key) >= 4 else text


def _event_name(event: Mapping[str, Any], index: int) -> str:
    user = event.get("user") if isinstance(event, Mapping) else None
    if isinstance(user, Mapping) and user.get("uid"):
        return str(user["uid"])
    return f"event #{index}"


def encode_events(
    events: Iterable[Mapping[str, Any]], skipped: list[dict[str, Any]]
) -> Iterator[str]:
    """Events as compact JSON text; those over the intake's per-event limit go to ``skipped``."""
    for index, event in enumerate(events):
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        size = len(text.encode())
        if size > MAX_EVENT_BYTES:
            skipped.append({"user": _event_name(event, index), "bytes": size})
            continue
        yield text


def batches(encoded: Iterable[str], *, max_events: int, max_bytes: int) -> Iterator[list[str]]:
    """Group encoded events so that no batch exceeds ``max_events`` nor ~``max_bytes``."""
    batch: list[str] = []
    size = 0
    for item in encoded:
        item_size = len(item.encode()) + 4  # quotes, escaping of the outer quotes, comma
        if batch and (len(batch) >= max_events or size + item_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


class SekoiaIntakeClient:
    """Posts events in batches; fails loudly, with counts, when the intake refuses any."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        batch_events: int = DEFAULT_BATCH_EVENTS,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        compress: bool = True,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_retry_seconds: float = 300.0,
        retry_after_cap: float = 60.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = validate_intake_config(url, key)
        self._key = key
        self._batch_events = batch_events
        self._batch_bytes = batch_bytes
        self._compress = compress
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_retry_seconds = max_retry_seconds
        self._retry_after_cap = retry_after_cap
        self._backoff = wait_random_exponential(multiplier=backoff_initial, max=backoff_max)
        self._session = session or requests.Session()
        self._sleep = sleep

    @property
    def endpoint(self) -> str:
        return f"{self._base}/jsons"

    def __repr__(self) -> str:
        return f"SekoiaIntakeClient(url={self._base!r}, key=***)"

    def send(self, events: Sequence[Mapping[str, Any]]) -> DeliveryReport:
        """Deliver every event, batch after batch; raise ``IntakeError`` at the first refusal.

        Events are encoded lazily: memory stays bounded by one batch beyond the events themselves.
        """
        report = DeliveryReport(events=len(events))
        encoded = encode_events(events, report.skipped)
        for batch in batches(encoded, max_events=self._batch_events, max_bytes=self._batch_bytes):
            raw = json.dumps({"jsons": batch}).encode()
            body = gzip.compress(raw, compresslevel=5) if self._compress else raw
            try:
                accepted = self._post_with_retries(body, report)
            except IntakeError as error:
                undelivered = report.events - report.delivered - len(report.skipped)
                raise IntakeError(
                    f"{error} Delivered {report.delivered} of {report.events} events;"
                    f" {undelivered} were not delivered. Re-running the delivery sends the whole"
                    " snapshot again (at-least-once).",
                    delivered=report.delivered,
                    undelivered=undelivered,
                ) from None
            if accepted != len(batch):
                undelivered = report.events - report.delivered - len(report.skipped)
                raise IntakeError(
                    f"The intake acknowledged {accepted} events of a batch of {len(batch)}."
                    f" Delivered {report.delivered} of {report.events} events before it.",
                    delivered=report.delivered,
                    undelivered=undelivered,
                )
            report.delivered += accepted
            report.batches += 1
            report.bytes_sent += len(body)
            report.bytes_uncompressed += len(raw)
        return report

    def _post_with_retries(self, body: bytes, report: DeliveryReport) -> int:
        def count_retry(_state: RetryCallState) -> None:
            report.retries += 1

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Transient) and error.retry_after is not None:
                return min(error.retry_after, self._retry_after_cap)
            return self._backoff(state)

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._max_attempts) | stop_after_delay(self._max_retry_seconds),
            wait=wait,
            before_sleep=count_retry,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    report.requests += 1
                    return self._post_once(body)
        except _Transient as error:
            raise IntakeError(
                f"The intake at {self._base} kept failing ({error}) after {report.retries} retries."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, body: bytes) -> int:
        """POST one batch; the number of event ids the intake returned."""
        headers = {KEY_HEADER: self._key, "Content-Type": "application/json"}
        if self._compress:
            headers["Content-Encoding"] = "gzip"
        try:
            response = self._session.post(
                self.endpoint, data=body, headers=headers, timeout=self._timeout
            )
        except requests.Timeout:
            raise _Transient("timed out") from None
        except requests.ConnectionError:
            raise _Transient("connection failed or dropped") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status >= 300:
            hint = _HINTS.get(status, "the intake refused the request")
            raise IntakeError(f"The intake at {self._base} answered HTTP {status}: {hint}.")
        try:
            ids = response.json()["event_ids"]
        except (ValueError, KeyError, TypeError):
            raise IntakeError(
                f"The intake at {self._base} answered HTTP {status} without event_ids."
            ) from None
        return len(ids)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); ``None`` if absent or a date."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None

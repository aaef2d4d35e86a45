"""Sekoia.io HTTP intake client (no Dagster here): at-least-once, bounded memory, honest failure.

Protocol, as Sekoia.io documents it ("Formatting options", JSON list: ``/jsons``,
https://docs.sekoia.io/integration/ingestion_methods/https/format/): ``POST {url}/jsons`` with
the intake key in the ``X-SEKOIAIO-INTAKE-KEY`` header and a body that is a bare JSON list of
events, each the event's JSON text: ``["<event>", ...]``, gzipped (``Content-Encoding: gzip``).
The intake answers ``{"event_ids": [...]}``, one id per event, in order. The key never appears in
a URL, a body, a log line, a ``repr`` or an exception raised here.

Retries (tenacity): 429 honours ``Retry-After`` (capped); 5xx, a connection dropped at any point
and a request past its deadline back off exponentially with jitter; attempts and total time per
batch are bounded. 3xx (never followed: the key would travel with it), 400/401/403/404/413 and an
answer that does not acknowledge every event are not retried: they fail at once with what to fix.
"""

import gzip
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from iam_assets.deliver.http_post import Answer, TransportError, post
from iam_assets.deliver.intake_config import KEY_VARIABLE, URL_VARIABLE, validate_intake_config
from iam_assets.deliver.sink import DeliveryError, DeliveryReport, encode_events

KEY_HEADER = "X-SEKOIAIO-INTAKE-KEY"
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


class _Transient(Exception):
    """Worth retrying: 429, 5xx, a dropped connection, a deadline passed."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


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


def acknowledged_ids(payload: bytes, expected: int) -> list[str]:
    """The event ids of an answer that acknowledges exactly ``expected`` events.

    Anything else (not JSON, no ``event_ids``, a string, a dict, null, a shorter or longer list,
    an empty or non-string id) raises ``ValueError`` saying what came back: those events were not
    acknowledged, whatever the status said.
    """
    try:
        answer = json.loads(payload)
    except ValueError:
        raise ValueError("an answer that is not JSON") from None
    ids = answer.get("event_ids") if isinstance(answer, dict) else None
    if not isinstance(ids, list):
        shape = type(ids).__name__ if isinstance(answer, dict) else type(answer).__name__
        raise ValueError(f"no list of event_ids (got {shape})")
    if len(ids) != expected:
        raise ValueError(f"{len(ids)} event ids for {expected} events")
    if not all(isinstance(item, str) and item for item in ids):
        raise ValueError("event ids that are not all non-empty strings")
    return ids


class SekoiaIntakeClient:
    """The Sekoia.io intake as an ``EventSink``: posts events in batches; fails loudly, with
    counts, when the intake refuses any."""

    max_event_bytes = MAX_EVENT_BYTES

    def __init__(
        self,
        url: str,
        key: str,
        *,
        allow_http: bool = False,
        batch_events: int = DEFAULT_BATCH_EVENTS,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        compress: bool = True,
        timeout: float = 60.0,
        max_attempts: int = 6,
        max_retry_seconds: float = 300.0,
        retry_after_cap: float = 60.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = validate_intake_config(url, key, allow_http=allow_http)
        self._key = key
        self._batch_events = batch_events
        self._batch_bytes = batch_bytes
        self._compress = compress
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_retry_seconds = max_retry_seconds
        self._retry_after_cap = retry_after_cap
        self._backoff = wait_random_exponential(multiplier=backoff_initial, max=backoff_max)
        self._sleep = sleep

    @property
    def endpoint(self) -> str:
        return f"{self._base}/jsons"

    @property
    def destination(self) -> str:
        return self._base

    def __repr__(self) -> str:
        return f"SekoiaIntakeClient(url={self._base!r}, key=***)"

    def send(self, events: Sequence[Mapping[str, Any]]) -> DeliveryReport:
        """Deliver every event, batch after batch; raise ``DeliveryError`` at the first refusal.

        Events are encoded lazily: memory stays bounded by one batch beyond the events themselves.
        """
        report = DeliveryReport(events=len(events))
        encoded = encode_events(events, report.skipped, MAX_EVENT_BYTES)
        grouped = batches(encoded, max_events=self._batch_events, max_bytes=self._batch_bytes)
        for number, batch in enumerate(grouped, start=1):
            raw = json.dumps(batch).encode()  # a bare list: the documented /jsons body
            body = gzip.compress(raw, compresslevel=5) if self._compress else raw
            first = report.delivered + 1
            label = f"batch {number} (events {first}-{first + len(batch) - 1})"
            try:
                self._post_with_retries(body, len(batch), report)
            except DeliveryError as error:
                undelivered = report.events - report.delivered - len(report.skipped)
                raise DeliveryError(
                    f"{label}: {error} Delivered {report.delivered} of {report.events} events;"
                    f" {undelivered} were not delivered. Re-running the delivery sends the whole"
                    " snapshot again (at-least-once).",
                    delivered=report.delivered,
                    undelivered=undelivered,
                ) from None
            report.delivered += len(batch)
            report.batches += 1
            report.bytes_sent += len(body)
            report.bytes_uncompressed += len(raw)
        return report

    def _post_with_retries(self, body: bytes, count: int, report: DeliveryReport) -> list[str]:
        """Event ids for the batch; retries transient failures within the batch's budget."""
        started = time.monotonic()

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
                    left = self._max_retry_seconds - (time.monotonic() - started)
                    return self._post_once(body, count, deadline=max(1.0, min(self._timeout, left)))
        except _Transient as error:
            raise DeliveryError(
                f"The intake at {self._base} kept failing ({error}) after {report.retries}"
                " retries."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, body: bytes, count: int, *, deadline: float) -> list[str]:
        """POST one batch; the ids of its events, or why they were not acknowledged."""
        headers = {KEY_HEADER: self._key, "Content-Type": "application/json"}
        if self._compress:
            headers["Content-Encoding"] = "gzip"
        try:
            answer = post(self.endpoint, body, headers, deadline=deadline)
        except TransportError as error:
            raise _Transient(str(error)) from None
        status = answer.status
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", _retry_after(answer.headers.get("retry-after")))
        if 300 <= status < 400:
            raise DeliveryError(self._redirect_message(answer))
        if status >= 400 or status < 200:
            hint = _HINTS.get(status, "the intake refused the request")
            raise DeliveryError(f"The intake at {self._base} answered HTTP {status}: {hint}.")
        try:
            return acknowledged_ids(answer.body, count)
        except ValueError as problem:
            raise DeliveryError(
                f"The intake at {self._base} answered HTTP {status} with {problem}: the batch"
                " was not acknowledged."
            ) from None

    def _redirect_message(self, answer: Answer) -> str:
        location = urlsplit(urljoin(self.endpoint, answer.headers.get("location", "")))
        origin = (
            f"{location.scheme}://{location.hostname}{f':{location.port}' if location.port else ''}"
            if location.hostname
            else "an unnamed place"
        )
        return (
            f"The intake at {self._base} answered HTTP {answer.status}, a redirect to {origin}."
            f" Redirects are not followed (the key and the events would go with them): set"
            f" {URL_VARIABLE} to the intake's own address."
        )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); ``None`` if absent or a date."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None

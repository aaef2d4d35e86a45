"""Sekoia.io HTTP intake client (no Dagster here): at-least-once, bounded memory, honest failure.

Protocol, as Sekoia.io documents it ("Formatting options", JSON list: ``/jsons``,
https://docs.sekoia.io/integration/ingestion_methods/https/format/): ``POST {url}/jsons`` with
the intake key in the ``X-SEKOIAIO-INTAKE-KEY`` header and a body that is a bare JSON list of
events, each the event's JSON text: ``["<event>", ...]``, gzipped (``Content-Encoding: gzip``).
The intake answers ``{"event_ids": [...]}``, one id per event, in order. The key never appears in
a URL, a body, a log line, a ``repr`` or an exception raised here.

Retries and refusals follow the policy every destination shares (``retries.py``): 429 and 5xx
and dropped connections are retried within bounds; 3xx (never followed: the key would travel
with it), 400/401/403/404/413 and an answer that does not acknowledge every event fail at once
with what to fix.
"""

import gzip
import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from iam_assets.deliver.intake_config import KEY_VARIABLE, URL_VARIABLE, validate_intake_config
from iam_assets.deliver.retries import RetryPolicy, batch_failed, exchange, redirect_refused
from iam_assets.deliver.sink import DeliveryError, DeliveryReport, batches, encode_events

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
        **policy: Any,
    ) -> None:
        self._base = validate_intake_config(url, key, allow_http=allow_http)
        self._key = key
        self._batch_events = batch_events
        self._batch_bytes = batch_bytes
        self._compress = compress
        self._policy = RetryPolicy(**policy)  # timeout, attempts, backoff, sleep

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
        grouped = batches(
            encoded, max_events=self._batch_events, max_bytes=self._batch_bytes, overhead=4
        )
        for number, batch in enumerate(grouped, start=1):
            raw = json.dumps(batch).encode()  # a bare list: the documented /jsons body
            body = gzip.compress(raw, compresslevel=5) if self._compress else raw
            first = report.delivered + 1
            label = f"batch {number} (events {first}-{first + len(batch) - 1})"
            try:
                once = partial(self._post_once, body, len(batch))
                self._policy.call(once, report, destination=f"The intake at {self._base}")
            except DeliveryError as error:
                raise batch_failed(label, error, report, "events") from None
            report.delivered += len(batch)
            report.batches += 1
            report.bytes_sent += len(body)
            report.bytes_uncompressed += len(raw)
        return report

    def _post_once(self, body: bytes, count: int, deadline: float) -> list[str]:
        """POST one batch; the ids of its events, or why they were not acknowledged."""
        headers = {KEY_HEADER: self._key, "Content-Type": "application/json"}
        if self._compress:
            headers["Content-Encoding"] = "gzip"
        answer = exchange(self.endpoint, body, headers, deadline=deadline)
        status = answer.status
        if 300 <= status < 400:
            raise redirect_refused(
                f"The intake at {self._base}",
                self.endpoint,
                answer,
                f"set {URL_VARIABLE} to the intake's own address",
            )
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

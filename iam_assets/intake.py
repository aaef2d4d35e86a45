"""Sekoia.io HTTP intake client (no Dagster here).

Protocol (Sekoia.io "Forward logs via HTTPS"): ``POST {url}/jsons`` with the intake key in the
``X-SEKOIAIO-INTAKE-KEY`` header and a body ``{"jsons": ["<event as JSON text>", ...]}``; the intake
answers ``{"event_ids": [...]}``, one id per accepted event. The key never appears in a URL, a body,
a log line or an exception raised here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_INTAKE_URL = "https://intake.sekoia.io"
KEY_HEADER = "X-SEKOIAIO-INTAKE-KEY"
KEY_VARIABLE = "SEKOIA_INTAKE_KEY"
URL_VARIABLE = "SEKOIA_INTAKE_URL"
MAX_EVENT_BYTES = 250 * 1024  # the intake refuses larger events
DEFAULT_BATCH_EVENTS = 500
DEFAULT_BATCH_BYTES = 1024 * 1024

_HINTS = {
    400: "the intake refused the payload as malformed",
    401: f"the intake key was refused: check {KEY_VARIABLE}",
    403: f"the intake key was refused: check {KEY_VARIABLE} and that {URL_VARIABLE} is your"
    " region's intake",
    404: f"no intake at this address: check {URL_VARIABLE}",
    413: "a batch or an event is larger than the intake accepts",
}


class IntakeConfigError(ValueError):
    """The intake cannot be used as configured; the message names the variable to fix."""


class IntakeError(RuntimeError):
    """The intake did not accept every event of a delivery."""

    def __init__(self, message: str, *, delivered: int, undelivered: int) -> None:
        super().__init__(message)
        self.delivered = delivered
        self.undelivered = undelivered


@dataclass(frozen=True)
class DeliveryReport:
    """What the intake acknowledged."""

    events: int
    batches: int
    bytes_sent: int
    event_ids: int


def validate_intake_config(url: str, key: str) -> str:
    """Return the normalised base URL, or say which variable is wrong (never echoing the key)."""
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must be an http(s) URL such as {DEFAULT_INTAKE_URL},"
            f" got {_redact(url, key)!r}"
        )
    if parts.query or parts.username or parts.password:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must not carry credentials or a query string; put the key in"
            f" {KEY_VARIABLE}"
        )
    if not key or not key.strip():
        raise IntakeConfigError(f"{KEY_VARIABLE} is empty: set it to the intake key from Sekoia.io")
    return url.rstrip("/")


def _redact(text: str, key: str) -> str:
    return text.replace(key, "***") if key else text


def _encode(event: Mapping[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def batches(encoded: Iterable[str], *, max_events: int, max_bytes: int) -> Iterator[list[str]]:
    """Group encoded events so that no batch exceeds ``max_events`` nor ~``max_bytes``."""
    batch: list[str] = []
    size = 0
    for item in encoded:
        item_size = len(item.encode()) + 3  # quotes and comma of the JSON array
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
        timeout: float = 30.0,
        retries: int = 5,
        session: requests.Session | None = None,
    ) -> None:
        self._base = validate_intake_config(url, key)
        self._key = key
        self._batch_events = batch_events
        self._batch_bytes = batch_bytes
        self._timeout = timeout
        self._session = session or requests.Session()
        retry = Retry(
            total=retries,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # POST too: a re-sent batch is a duplicate, never a loss
            backoff_factor=0.5,
            backoff_max=30,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._session.mount("http://", HTTPAdapter(max_retries=retry))
        self._session.mount("https://", HTTPAdapter(max_retries=retry))

    @property
    def endpoint(self) -> str:
        return f"{self._base}/jsons"

    def __repr__(self) -> str:
        return f"SekoiaIntakeClient(url={self._base!r}, key=***)"

    def send(self, events: Iterable[Mapping[str, Any]]) -> DeliveryReport:
        encoded = [_encode(event) for event in events]
        total = len(encoded)
        delivered = batch_count = sent_bytes = 0
        for batch in batches(encoded, max_events=self._batch_events, max_bytes=self._batch_bytes):
            body = json.dumps({"jsons": batch}).encode()
            try:
                ids = self._post(body)
            except IntakeError as error:
                raise IntakeError(
                    f"{error} Delivered {delivered} of {total} events; {total - delivered} were"
                    " not delivered. Re-running the delivery sends the whole snapshot again.",
                    delivered=delivered,
                    undelivered=total - delivered,
                ) from None
            if ids != len(batch):
                raise IntakeError(
                    f"The intake acknowledged {ids} of a batch of {len(batch)} events."
                    f" Delivered {delivered} of {total} events before this batch.",
                    delivered=delivered,
                    undelivered=total - delivered,
                )
            delivered += ids
            batch_count += 1
            sent_bytes += len(body)
        return DeliveryReport(
            events=total, batches=batch_count, bytes_sent=sent_bytes, event_ids=delivered
        )

    def _post(self, body: bytes) -> int:
        """POST one batch; the number of event ids the intake returned."""
        try:
            response = self._session.post(
                self.endpoint,
                data=body,
                headers={KEY_HEADER: self._key, "Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            reason = type(error).__name__
            raise IntakeError(
                f"The intake at {self._base} could not be reached ({reason}).",
                delivered=0,
                undelivered=0,
            ) from None
        if response.status_code >= 300:
            hint = _HINTS.get(response.status_code, "the intake is failing")
            raise IntakeError(
                f"The intake at {self._base} answered HTTP {response.status_code}: {hint}.",
                delivered=0,
                undelivered=0,
            )
        try:
            ids = response.json()["event_ids"]
        except (ValueError, KeyError, TypeError):
            raise IntakeError(
                f"The intake at {self._base} answered HTTP {response.status_code} without"
                " event_ids.",
                delivered=0,
                undelivered=0,
            ) from None
        return len(ids)

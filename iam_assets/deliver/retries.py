"""The delivery policy every HTTP destination shares (no Dagster here): what is retried, how
long it may take, and how a refusal is told.

Retried: 429 (honouring a delta-seconds ``Retry-After``, capped), 5xx, a connection dropped at
any point and a request past its deadline, with exponential backoff and full jitter, bounded in
attempts and in total time per request. Not retried: a 3xx (never followed: the secret and the
body would go with it) and every other 4xx, which fail at once saying what to fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
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
from iam_assets.deliver.sink import DeliveryError, DeliveryReport

T = TypeVar("T")


class Transient(Exception):
    """Worth retrying: 429, 5xx, a dropped connection, a deadline passed."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request is tried; the same for every destination."""

    timeout: float = 60.0  # one request: connect, send and the whole answer, s
    max_attempts: int = 6
    max_retry_seconds: float = 300.0  # all attempts of one request, s
    retry_after_cap: float = 60.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def call(self, once: Callable[[float], T], report: DeliveryReport, *, destination: str) -> T:
        """``once(deadline)``, retried while it raises ``Transient``; a ``DeliveryError`` (a
        refusal) passes at once. Counts requests and retries in ``report``."""
        started = time.monotonic()
        backoff = wait_random_exponential(multiplier=self.backoff_initial, max=self.backoff_max)

        def count_retry(_state: RetryCallState) -> None:
            report.retries += 1

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, Transient) and error.retry_after is not None:
                return min(error.retry_after, self.retry_after_cap)
            return backoff(state)

        retrying = Retrying(
            retry=retry_if_exception_type(Transient),
            stop=stop_after_attempt(self.max_attempts) | stop_after_delay(self.max_retry_seconds),
            wait=wait,
            before_sleep=count_retry,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    report.requests += 1
                    left = self.max_retry_seconds - (time.monotonic() - started)
                    return once(max(1.0, min(self.timeout, left)))
        except Transient as error:
            raise DeliveryError(
                f"{destination} kept failing ({error}) after {report.retries} retries."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def exchange(url: str, body: bytes, headers: Mapping[str, str], *, deadline: float) -> Answer:
    """POST once; a transport failure or a 429/5xx becomes ``Transient``, other answers return."""
    try:
        answer = post(url, body, headers, deadline=deadline)
    except TransportError as error:
        raise Transient(str(error)) from None
    if answer.status == 429 or answer.status >= 500:
        raise Transient(f"HTTP {answer.status}", retry_after(answer.headers.get("retry-after")))
    return answer


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); ``None`` if absent or a date."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def redirect_refused(destination: str, endpoint: str, answer: Answer, fix: str) -> DeliveryError:
    """A 3xx, refused: names where it pointed (its origin only) and the variable to fix."""
    location = urlsplit(urljoin(endpoint, answer.headers.get("location", "")))
    origin = (
        f"{location.scheme}://{location.hostname}{f':{location.port}' if location.port else ''}"
        if location.hostname
        else "an unnamed place"
    )
    return DeliveryError(
        f"{destination} answered HTTP {answer.status}, a redirect to {origin}. Redirects are not"
        f" followed (the credentials and the data would go with them): {fix}."
    )


def batch_failed(
    label: str, error: DeliveryError, report: DeliveryReport, unit: str
) -> DeliveryError:
    """The refusal of one batch, with what was and was not delivered of the whole delivery."""
    undelivered = report.events - report.delivered - len(report.skipped)
    return DeliveryError(
        f"{label}: {error} Delivered {report.delivered} of {report.events} {unit};"
        f" {undelivered} were not delivered. Re-running the delivery sends the whole snapshot"
        " again (at-least-once).",
        delivered=report.delivered,
        undelivered=undelivered,
    )

"""The delivery contract every destination keeps (no Dagster here).

A sink takes the whole snapshot of OCSF events and either acknowledges every event it could
send, or raises ``DeliveryError`` saying how many were delivered and how many were not: nothing
is lost silently. Events over the sink's ``max_event_bytes`` are held back and named in the
report rather than sent to be refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from iam_assets.ocsf.problems import name_of
from iam_assets.ocsf.rules import encode_event


class DeliveryError(RuntimeError):
    """The destination did not accept every event of a delivery."""

    def __init__(self, message: str, *, delivered: int = 0, undelivered: int = 0) -> None:
        super().__init__(message)
        self.delivered = delivered
        self.undelivered = undelivered


@dataclass
class DeliveryReport:
    """What the destination acknowledged, and what it cost."""

    events: int = 0
    delivered: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)  # oversized: {"user", "bytes"}
    batches: int = 0
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_uncompressed: int = 0
    receipts: list[str] = field(default_factory=list)  # to follow the delivery: API task ids
    # refused one by one by the destination, named: {"user", "reason"} (the others delivered)
    refused: list[dict[str, str]] = field(default_factory=list)
    # accepted, but whether they were ingested could not be learnt (and why)
    unconfirmed: int = 0
    unconfirmed_why: str = ""


class EventSink(Protocol):
    """A destination for the inventory's events."""

    @property
    def destination(self) -> str:
        """Where the events go, for people: a URL or a folder (never a secret)."""
        ...

    @property
    def max_event_bytes(self) -> int:
        """The largest event (compact JSON, UTF-8) the destination accepts."""
        ...

    def send(self, events: Sequence[Mapping[str, Any]]) -> DeliveryReport:
        """Deliver every event, or raise ``DeliveryError`` with the counts."""
        ...


def encode_events(
    events: Iterable[Mapping[str, Any]], skipped: list[dict[str, Any]], max_bytes: int
) -> Iterator[str]:
    """Events as compact JSON text; those over ``max_bytes`` go to ``skipped``, named."""
    for index, event in enumerate(events):
        text = encode_event(event)
        size = len(text.encode())
        if size > max_bytes:
            skipped.append({"user": name_of(event, index), "bytes": size})
            continue
        yield text


def batches(
    encoded: Iterable[str], *, max_events: int, max_bytes: int, overhead: int = 1
) -> Iterator[list[str]]:
    """Group encoded events so that no batch exceeds ``max_events`` nor ~``max_bytes``, counting
    ``overhead`` bytes of framing per event (a comma; quotes and escapes when the event travels
    as a JSON string)."""
    batch: list[str] = []
    size = 0
    for item in encoded:
        item_size = len(item.encode()) + overhead
        if batch and (len(batch) >= max_events or size + item_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch

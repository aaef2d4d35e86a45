"""A local stand-in for the intake, as an ``EventSink``: one JSON-lines file per run, one event a
line, with the intake's per-event limit so that the demo behaves as production would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iam_assets.deliver.sekoia_intake import MAX_EVENT_BYTES
from iam_assets.deliver.sink import DeliveryReport, encode_events


class JsonLinesOutbox:
    max_event_bytes = MAX_EVENT_BYTES

    def __init__(self, directory: str | Path, name: str) -> None:
        self.file = Path(directory).resolve() / f"{name}.jsonl"

    @property
    def destination(self) -> str:
        return str(self.file.parent)

    def send(self, events: Sequence[Mapping[str, Any]]) -> DeliveryReport:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        report = DeliveryReport(events=len(events), batches=1, requests=1)
        with self.file.open("w", encoding="utf-8") as outbox:
            for line in encode_events(events, report.skipped, self.max_event_bytes):
                outbox.write(line + "\n")
                report.delivered += 1
                report.bytes_sent += len(line.encode()) + 1
        report.bytes_uncompressed = report.bytes_sent
        return report

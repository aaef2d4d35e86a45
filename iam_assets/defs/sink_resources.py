"""Where the inventory goes, as resources: each gives a leaf an ``EventSink`` (deliver/sink.py)
and nothing else, so that a destination is a resource, not a code path. The contract and what
every HTTP destination shares are here; each destination's own resource is registered beside
its row in destinations.py."""

from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from iam_assets.deliver.outbox import JsonLinesOutbox
from iam_assets.deliver.sink import EventSink


class EventSinkResource(dg.ConfigurableResource):
    """A destination for the OCSF events (or the asset items)."""

    @property
    def max_event_bytes(self) -> int:
        """The largest event its sink accepts (what the ``ocsf_event_size`` check holds to)."""
        raise NotImplementedError

    def sink(self, run_id: str) -> EventSink:
        """The sink this run delivers to."""
        raise NotImplementedError


class HttpSinkResource(EventSinkResource):
    """What every HTTP destination shares: the retry policy (deliver/retries.py), a check at
    launch, and secrets masked."""

    secret_fields: ClassVar[tuple[str, ...]] = ()  # masked in repr, even resolved
    max_attempts: int = Field(default=6, description="Attempts per request (429, 5xx, network)")
    max_retry_seconds: float = Field(default=300.0, description="Retrying budget per request")
    retry_after_cap: float = Field(default=60.0, description="Longest Retry-After honoured, s")
    backoff_initial: float = Field(default=1.0, description="First backoff, s (then doubling)")
    timeout: float = Field(
        default=60.0, description="Deadline of one request: connect, send and the whole answer, s"
    )

    def retry_settings(self) -> dict[str, Any]:
        """What the client hands to ``RetryPolicy``."""
        return {
            "timeout": self.timeout,
            "max_attempts": self.max_attempts,
            "max_retry_seconds": self.max_retry_seconds,
            "retry_after_cap": self.retry_after_cap,
            "backoff_initial": self.backoff_initial,
        }

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Every client refuses, when built, a setting that cannot work (naming the variable):
        # building one now fails the run at launch rather than after collecting the account.
        self.sink("launch")

    def __repr_args__(self):  # never show a secret, even resolved
        for name, value in super().__repr_args__():
            yield name, ("***" if name in self.secret_fields and value else value)


class JsonLinesOutboxResource(EventSinkResource):
    """A local stand-in for a destination: one JSON-lines file per run, one event a line."""

    directory: str = Field(description="Folder that receives <run_id>.jsonl files")

    @property
    def max_event_bytes(self) -> int:
        return JsonLinesOutbox.max_event_bytes

    def sink(self, run_id: str) -> JsonLinesOutbox:
        return JsonLinesOutbox(self.directory, run_id)

    def outbox_file(self, run_id: str) -> Path:
        return self.sink(run_id).file

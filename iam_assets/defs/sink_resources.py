"""Where the events go, as resources: each gives the assets an ``EventSink`` (deliver/sink.py)
and nothing else, so that a destination is a resource, not a code path."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from iam_assets.deliver.intake_config import (
    ALLOW_HTTP_VARIABLE,
    DEFAULT_INTAKE_URL,
    KEY_VARIABLE,
    URL_VARIABLE,
    validate_intake_config,
)
from iam_assets.deliver.outbox import JsonLinesOutbox
from iam_assets.deliver.sekoia_intake import SekoiaIntakeClient
from iam_assets.deliver.sink import EventSink


class EventSinkResource(dg.ConfigurableResource):
    """A destination for the OCSF events."""

    @property
    def max_event_bytes(self) -> int:
        """The largest event its sink accepts (what the ``ocsf_event_size`` check holds to)."""
        raise NotImplementedError

    def sink(self, run_id: str) -> EventSink:
        """The sink this run delivers to."""
        raise NotImplementedError


class SekoiaIntakeResource(EventSinkResource):
    """The Sekoia.io HTTP intake. Give ``intake_key`` as ``dg.EnvVar("SEKOIA_INTAKE_KEY")``."""

    url: str = Field(default=DEFAULT_INTAKE_URL, description=f"Intake base URL ({URL_VARIABLE})")
    intake_key: str = Field(description=f"Intake key ({KEY_VARIABLE}); a secret")
    allow_http: bool = Field(
        default=False,
        description=f"Allow a plain http:// URL beyond loopback ({ALLOW_HTTP_VARIABLE}): the key"
        " would travel in clear text",
    )
    batch_events: int = Field(default=1000, description="Events per request at most")
    batch_bytes: int = Field(default=1024 * 1024, description="JSON bytes per request, about")
    compress: bool = Field(default=True, description="gzip request bodies")
    max_attempts: int = Field(default=6, description="Attempts per request (429, 5xx, network)")
    max_retry_seconds: float = Field(default=300.0, description="Retrying budget per request")
    retry_after_cap: float = Field(default=60.0, description="Longest Retry-After honoured, s")
    backoff_initial: float = Field(default=1.0, description="First backoff, s (then doubling)")
    timeout: float = Field(
        default=60.0, description="Deadline of one request: connect, send and the whole answer, s"
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Fail at launch, naming the variable, rather than after collecting the whole account.
        validate_intake_config(self.url, self.intake_key, allow_http=self.allow_http)

    def __repr_args__(self):  # never show the key, even resolved
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "intake_key" and value else value)

    @property
    def max_event_bytes(self) -> int:
        return SekoiaIntakeClient.max_event_bytes

    def sink(self, run_id: str) -> SekoiaIntakeClient:
        return SekoiaIntakeClient(
            self.url,
            self.intake_key,
            allow_http=self.allow_http,
            timeout=self.timeout,
            batch_events=self.batch_events,
            batch_bytes=self.batch_bytes,
            compress=self.compress,
            max_attempts=self.max_attempts,
            max_retry_seconds=self.max_retry_seconds,
            retry_after_cap=self.retry_after_cap,
            backoff_initial=self.backoff_initial,
        )


class JsonLinesOutboxResource(EventSinkResource):
    """A local stand-in for the intake: one JSON-lines file per run, one event per line."""

    directory: str = Field(description="Folder that receives <run_id>.jsonl files")

    @property
    def max_event_bytes(self) -> int:
        return JsonLinesOutbox.max_event_bytes

    def sink(self, run_id: str) -> JsonLinesOutbox:
        return JsonLinesOutbox(self.directory, run_id)

    def outbox_file(self, run_id: str) -> Path:
        return self.sink(run_id).file

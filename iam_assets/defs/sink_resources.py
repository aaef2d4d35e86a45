"""Where the inventory goes, as resources: each gives the assets an ``EventSink``
(deliver/sink.py) and nothing else, so that a destination is a resource, not a code path."""

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from iam_assets.deliver.asset_api_config import (
    API_ALLOW_HTTP_VARIABLE,
    API_KEY_VARIABLE,
    API_URL_VARIABLE,
    CONNECTOR_VARIABLE,
    DEFAULT_API_URL,
    validate_asset_api_config,
)
from iam_assets.deliver.intake_config import (
    ALLOW_HTTP_VARIABLE,
    DEFAULT_INTAKE_URL,
    KEY_VARIABLE,
    URL_VARIABLE,
    validate_intake_config,
)
from iam_assets.deliver.outbox import JsonLinesOutbox
from iam_assets.deliver.sekoia_assets import DEFAULT_BATCH_ITEMS, SekoiaAssetClient
from iam_assets.deliver.sekoia_intake import SekoiaIntakeClient
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
    """What every HTTP destination shares: the retry policy (deliver/retries.py)."""

    max_attempts: int = Field(default=6, description="Attempts per request (429, 5xx, network)")
    max_retry_seconds: float = Field(default=300.0, description="Retrying budget per request")
    retry_after_cap: float = Field(default=60.0, description="Longest Retry-After honoured, s")
    backoff_initial: float = Field(default=1.0, description="First backoff, s (then doubling)")
    timeout: float = Field(
        default=60.0, description="Deadline of one request: connect, send and the whole answer, s"
    )

    def _policy(self) -> dict[str, Any]:
        return {
            "timeout": self.timeout,
            "max_attempts": self.max_attempts,
            "max_retry_seconds": self.max_retry_seconds,
            "retry_after_cap": self.retry_after_cap,
            "backoff_initial": self.backoff_initial,
        }

    def __repr_args__(self):  # never show a secret, even resolved
        for name, value in super().__repr_args__():
            yield name, ("***" if name in {"intake_key", "api_key"} and value else value)


class SekoiaIntakeResource(HttpSinkResource):
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

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Fail at launch, naming the variable, rather than after collecting the whole account.
        validate_intake_config(self.url, self.intake_key, allow_http=self.allow_http)

    @property
    def max_event_bytes(self) -> int:
        return SekoiaIntakeClient.max_event_bytes

    def sink(self, run_id: str) -> SekoiaIntakeClient:
        return SekoiaIntakeClient(
            self.url,
            self.intake_key,
            allow_http=self.allow_http,
            batch_events=self.batch_events,
            batch_bytes=self.batch_bytes,
            compress=self.compress,
            **self._policy(),
        )


class SekoiaAssetInventoryResource(HttpSinkResource):
    """Sekoia.io's Asset inventory API. Give ``api_key`` as ``dg.EnvVar("SEKOIA_API_KEY")``."""

    api_url: str = Field(default=DEFAULT_API_URL, description=f"API base URL ({API_URL_VARIABLE})")
    api_key: str = Field(description=f"Sekoia.io API key ({API_KEY_VARIABLE}); a secret")
    connector_uuid: str = Field(description=f"The asset connector's UUID ({CONNECTOR_VARIABLE})")
    allow_http: bool = Field(
        default=False,
        description=f"Allow a plain http:// URL beyond loopback ({API_ALLOW_HTTP_VARIABLE}): the"
        " key would travel in clear text",
    )
    batch_items: int = Field(default=DEFAULT_BATCH_ITEMS, description="Items per request at most")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        validate_asset_api_config(
            self.api_url, self.api_key, self.connector_uuid, allow_http=self.allow_http
        )

    @property
    def max_event_bytes(self) -> int:
        return SekoiaAssetClient.max_event_bytes

    def sink(self, run_id: str) -> SekoiaAssetClient:
        return SekoiaAssetClient(
            self.api_url,
            self.api_key,
            self.connector_uuid,
            allow_http=self.allow_http,
            batch_items=self.batch_items,
            **self._policy(),
        )


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

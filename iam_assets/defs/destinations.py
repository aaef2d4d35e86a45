"""Every destination of the inventory, registered once: a ``Destination`` row in ``DESTINATIONS``.

A row says everything the graph needs: the destination's name in ``IAM_ASSETS_DESTINATIONS``, its
leaf asset (the copy the UI shows fresh or stale), the resource that hands the leaf its sink
(key, class and the settings it is read from), the demo's outbox folder for it, how its payload
is built from the asset upstream, and what it sends (which names the delivered/undelivered
metadata). The leaf, its checks and freshness check, the production and demo resources and the
demo report are all derived from the rows.

Adding one: its client in ``deliver/`` (an ``EventSink``), its payload mapping (a pure function),
its resource class and row here, its test.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import dagster as dg
import pandas as pd
from pydantic import Field

from iam_assets.analysis import enrich
from iam_assets.defs import keys
from iam_assets.defs.sink_resources import EventSinkResource, HttpSinkResource
from iam_assets.deliver.asset_api_config import (
    API_ALLOW_HTTP_VARIABLE,
    API_KEY_VARIABLE,
    API_URL_VARIABLE,
    CONNECTOR_VARIABLE,
    DEFAULT_API_URL,
)
from iam_assets.deliver.intake_config import (
    ALLOW_HTTP_VARIABLE,
    DEFAULT_INTAKE_URL,
    KEY_VARIABLE,
    URL_VARIABLE,
)
from iam_assets.deliver.sekoia_assets import DEFAULT_BATCH_ITEMS, SekoiaAssetClient
from iam_assets.deliver.sekoia_intake import SekoiaIntakeClient
from iam_assets.ocsf import asset_items

# What a payload builder returns: the records to send, and the users held back ({"user", "reason"}).
Payload = tuple[list[dict[str, Any]], list[dict[str, str]]]


@dataclass(frozen=True)
class Setting:
    """One environment variable a destination's resource field is read from (in settings.py).

    Read as ``dg.EnvVar``, resolved at run time and never stored in run config; unset, it is the
    ``default``, or, without one, a launch error naming the variable. A ``flag`` is a yes/no read
    when the code location loads.
    """

    field: str
    variable: str
    default: str | None = None
    flag: bool = False


@dataclass(frozen=True)
class Destination:
    """One destination, declared once (see the module's docstring)."""

    name: str  # as IAM_ASSETS_DESTINATIONS names it
    asset_key: dg.AssetKey  # its leaf; kept as users' instances know it
    description: str  # the leaf's, in the UI
    resource_key: str  # the resource that gives the leaf its sink
    resource: type[EventSinkResource]
    settings: tuple[Setting, ...]  # what the production resource is read from
    demo_outbox: str  # the demo's folder for it, under the outbox ("": the outbox itself)
    source: dg.AssetKey  # the asset its payload is built from
    payload: Callable[[Any], Payload]
    unit: str  # what it sends, plural: the metadata says delivered_<unit>, undelivered_<unit>
    what: str  # the same, as people say it ("OCSF events")
    kinds: frozenset[str] = frozenset({"sekoia"})
    held_back_check: str | None = None  # the check naming users the payload held back, if any
    # The asset holding the payload, built from ``source`` before the leaf sends it, so that
    # blocking checks on it guard the copy; None: the leaf builds its payload as it sends.
    checked_payload: dg.AssetKey | None = None

    @property
    def delivered_metadata(self) -> str:
        return f"delivered_{self.unit}"

    @property
    def undelivered_metadata(self) -> str:
        return f"undelivered_{self.unit}"


class SekoiaIntakeResource(HttpSinkResource):
    """The Sekoia.io HTTP intake. Give ``intake_key`` as ``dg.EnvVar("SEKOIA_INTAKE_KEY")``."""

    secret_fields: ClassVar[tuple[str, ...]] = ("intake_key",)
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
            **self.retry_settings(),
        )


class SekoiaAssetInventoryResource(HttpSinkResource):
    """Sekoia.io's Asset inventory API. Give ``api_key`` as ``dg.EnvVar("SEKOIA_API_KEY")``."""

    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    api_url: str = Field(default=DEFAULT_API_URL, description=f"API base URL ({API_URL_VARIABLE})")
    api_key: str = Field(description=f"Sekoia.io API key ({API_KEY_VARIABLE}); a secret")
    connector_uuid: str = Field(description=f"The asset connector's UUID ({CONNECTOR_VARIABLE})")
    allow_http: bool = Field(
        default=False,
        description=f"Allow a plain http:// URL beyond loopback ({API_ALLOW_HTTP_VARIABLE}): the"
        " key would travel in clear text",
    )
    batch_items: int = Field(default=DEFAULT_BATCH_ITEMS, description="Items per request at most")
    follow_tasks: bool = Field(
        default=True,
        description="Follow each accepted batch's ingestion task to its end (Task API)",
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
            follow_tasks=self.follow_tasks,
            **self.retry_settings(),
        )


def events_as_they_are(events: list[dict[str, Any]]) -> Payload:
    """The intake takes the OCSF events themselves; it holds nobody back."""
    return events, []


def asset_items_of(enriched: pd.DataFrame) -> Payload:
    """One Asset inventory item per enriched user (ocsf/asset_items.py)."""
    return asset_items.asset_items(enrich.to_records(enriched))


INTAKE_COPY = Destination(
    name="intake",
    asset_key=dg.AssetKey("sekoia_user_inventory"),
    description="The copy of the inventory in Sekoia.io's intake: every OCSF event posted to the"
    " HTTP intake and acknowledged with an event id (at-least-once). Fails, with counts of"
    " delivered and undelivered events, if any batch is refused.",
    resource_key="intake",
    resource=SekoiaIntakeResource,
    settings=(
        Setting("url", URL_VARIABLE, default=DEFAULT_INTAKE_URL),
        Setting("intake_key", KEY_VARIABLE),
        Setting("allow_http", ALLOW_HTTP_VARIABLE, flag=True),
    ),
    demo_outbox="",
    source=keys.OCSF_EVENTS,
    payload=events_as_they_are,
    unit="events",
    what="OCSF events",
)

ASSET_INVENTORY_COPY = Destination(
    name="assets",
    asset_key=dg.AssetKey("sekoia_asset_inventory"),
    description="The copy of the inventory on Sekoia.io's Assets page: one item per user, in the"
    " model of Sekoia's asset connectors, posted to the Asset inventory API (100 a request) and"
    " each batch accepted (at-least-once). Waits on the OCSF events' blocking checks; fails, with"
    " counts, if any batch is refused.",
    resource_key="asset_inventory",
    resource=SekoiaAssetInventoryResource,
    settings=(
        Setting("api_url", API_URL_VARIABLE, default=DEFAULT_API_URL),
        Setting("api_key", API_KEY_VARIABLE),
        Setting("connector_uuid", CONNECTOR_VARIABLE),
        Setting("allow_http", API_ALLOW_HTTP_VARIABLE, flag=True),
    ),
    demo_outbox="assets",
    source=keys.ENRICHED_USERS,
    payload=asset_items_of,
    unit="items",
    what="asset items",
    held_back_check="asset_items_complete",
    checked_payload=keys.ASSET_ITEMS,
)

# The registry, in the order leaves are listed; the first is the default destination.
DESTINATIONS: tuple[Destination, ...] = (INTAKE_COPY, ASSET_INVENTORY_COPY)


def named(names: Sequence[str]) -> tuple[Destination, ...]:
    """The registered destinations called ``names``, in registry order; an unknown name is a
    ``ValueError`` listing the known ones."""
    unknown = set(names) - {destination.name for destination in DESTINATIONS}
    if unknown:
        known = ", ".join(destination.name for destination in DESTINATIONS)
        raise ValueError(f"unknown destination(s) {sorted(unknown)}: known are {known}")
    return tuple(destination for destination in DESTINATIONS if destination.name in names)


def by_resource_key(resource_keys: Sequence[str]) -> tuple[Destination, ...]:
    """The destinations whose sinks are given under ``resource_keys``, in registry order."""
    known = {destination.resource_key: destination for destination in DESTINATIONS}
    unknown = set(resource_keys) - set(known)
    if unknown:
        raise TypeError(f"no destination has the resource key(s) {sorted(unknown)}: {list(known)}")
    return tuple(d for d in DESTINATIONS if d.resource_key in resource_keys)

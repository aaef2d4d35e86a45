"""The leaves of the lineage: one copy of the inventory per destination, so that the UI shows
which copy is fresh. ``intake``: the OCSF events in Sekoia.io's log intake; ``assets``: the
users on Sekoia.io's Assets page, through the Asset inventory API. Both wait on the blocking
checks of the OCSF events, and a refused batch fails the copy with counts."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import pandas as pd

from iam_assets.analysis import enrich
from iam_assets.defs import keys
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets.deliver.sink import DeliveryError, DeliveryReport, EventSink
from iam_assets.ocsf import asset_items

INTAKE = "intake"
ASSETS = "assets"
DESTINATIONS = (INTAKE, ASSETS)
AT_LEAST_ONCE = (
    "at-least-once: each run sends the whole snapshot; a failed or retried run sends it again"
)
ITEMS_COMPLETE = (
    "Every user became an asset item and was sent. A WARN names the users held back: an item"
    " the model of Sekoia's SDK cannot hold (no creation time), or one over the size limit."
)


def _deliver(
    context: dg.AssetExecutionContext,
    sink: EventSink,
    payload: Sequence[Mapping[str, Any]],
    unit: str,
) -> tuple[DeliveryReport, dict[str, Any]]:
    """Send ``payload``: the report and the materialisation's metadata, or ``dg.Failure`` with
    the counts."""
    try:
        report = sink.send(payload)
    except DeliveryError as error:
        # Not materialised: the last successful delivery stays the last one in the UI.
        raise dg.Failure(
            description=str(error),
            metadata={
                f"delivered_{unit}": error.delivered,
                f"undelivered_{unit}": error.undelivered,
                "delivery": AT_LEAST_ONCE,
                "destination": sink.destination,
            },
        ) from None
    if report.skipped:
        context.log.error(
            f"{len(report.skipped)} {unit} exceed the destination's limit of"
            f" {sink.max_event_bytes} bytes and were not sent:"
            f" {', '.join(item['user'] for item in report.skipped[:10])}"
        )
    context.log.info(
        f"Delivered {report.delivered} {unit} to {sink.destination}"
        f" in {report.requests} request(s), {report.retries} retried"
    )
    return report, {
        f"delivered_{unit}": report.delivered,
        f"skipped_oversized_{unit}": len(report.skipped),
        "skipped": dg.MetadataValue.json(report.skipped[:100]),
        "batches": report.batches,
        "requests": report.requests,
        "retries": report.retries,
        "bytes_sent": report.bytes_sent,
        "bytes_uncompressed": report.bytes_uncompressed,
        "destination": sink.destination,
        "delivery": AT_LEAST_ONCE,
    }


def deliver_to_sekoia(
    context: dg.AssetExecutionContext,
    ocsf_user_inventory: list[dict],
    intake: EventSinkResource,
    state: SnapshotStoreResource,  # holds the account for the run: one delivery at a time
) -> dg.MaterializeResult:
    """The copy of the inventory in Sekoia.io's intake: every OCSF event posted to the HTTP
    intake and acknowledged with an event id (at-least-once). Fails, with counts of delivered
    and undelivered events, if any batch is refused."""
    _report, metadata = _deliver(
        context, intake.sink(context.run.run_id), ocsf_user_inventory, "events"
    )
    return dg.MaterializeResult(metadata=metadata)


def deliver_to_asset_inventory(
    context: dg.AssetExecutionContext,
    enriched_iam_users: pd.DataFrame,
    asset_inventory: EventSinkResource,
    state: SnapshotStoreResource,  # holds the account for the run: one delivery at a time
) -> dg.MaterializeResult:
    """The copy of the inventory on Sekoia.io's Assets page: one item per user, in the model of
    Sekoia's asset connectors, posted to the Asset inventory API (100 a request) and each batch
    accepted (at-least-once). Waits on the OCSF events' blocking checks; fails, with counts, if
    any batch is refused."""
    items, held_back = asset_items.asset_items(enrich.to_records(enriched_iam_users))
    for user in held_back:
        context.log.error(f"No asset item for {user['user']}: {user['reason']}")
    report, metadata = _deliver(context, asset_inventory.sink(context.run.run_id), items, "items")
    metadata["receipts"] = dg.MetadataValue.json(report.receipts[:100])
    metadata["held_back_users"] = dg.MetadataValue.json(held_back)
    not_sent = held_back + [
        {"user": item["user"], "reason": f"{item['bytes']} bytes, over the limit"}
        for item in report.skipped
    ]
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="asset_items_complete",
                passed=not not_sent,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(f"{user['user']}: {user['reason']}" for user in not_sent[:20])
                or "Every user was sent as an asset item.",
                metadata={
                    keys.FAILING_USERS: dg.MetadataValue.json([user["user"] for user in not_sent])
                },
            )
        ],
    )


def build_delivery_assets(
    destinations: Sequence[str], common: Mapping[str, Any]
) -> list[dg.AssetsDefinition]:
    """A leaf per chosen destination (``intake``, ``assets``), downstream of the OCSF events."""
    leaves = []
    if INTAKE in destinations:
        leaves.append(dg.asset(key=keys.DELIVERED, kinds={"sekoia"}, **common)(deliver_to_sekoia))
    if ASSETS in destinations:
        check = dg.AssetCheckSpec(
            "asset_items_complete", asset=keys.ASSET_INVENTORY, description=ITEMS_COMPLETE
        )
        leaves.append(
            dg.asset(
                key=keys.ASSET_INVENTORY,
                kinds={"sekoia"},
                deps=[keys.OCSF_EVENTS],  # the blocking checks of the events guard this copy
                check_specs=[check],
                **common,
            )(deliver_to_asset_inventory)
        )
    return leaves

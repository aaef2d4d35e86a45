"""The leaves of the lineage: one copy of the inventory per destination (destinations.py), so that
the UI shows which copy is fresh. Every copy waits on the blocking checks of the OCSF events, and
a refused batch fails it with counts."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from iam_assets.defs import keys
from iam_assets.defs.checks import held_back_declaration, result, specs_on
from iam_assets.defs.destinations import Destination
from iam_assets.deliver.sink import DeliveryError, DeliveryReport, EventSink

AT_LEAST_ONCE = (
    "at-least-once: each run sends the whole snapshot; a failed or retried run sends it again"
)


def _send(
    context: dg.AssetExecutionContext,
    destination: Destination,
    sink: EventSink,
    payload: Sequence[Mapping[str, Any]],
) -> tuple[DeliveryReport, dict[str, Any]]:
    """Send ``payload``: the report and the materialisation's metadata, or ``dg.Failure`` with
    the counts."""
    unit = destination.unit
    try:
        report = sink.send(payload)
    except DeliveryError as error:
        # Not materialised: the last successful delivery stays the last one in the UI.
        raise dg.Failure(
            description=str(error),
            metadata={
                destination.delivered_metadata: error.delivered,
                destination.undelivered_metadata: error.undelivered,
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
    for refused in report.refused:
        context.log.error(f"Refused by {sink.destination}: {refused['user']}: {refused['reason']}")
    if report.unconfirmed:
        context.log.warning(
            f"{report.unconfirmed} {unit} accepted, their ingestion unconfirmed:"
            f" {report.unconfirmed_why}"
        )
    context.log.info(
        f"Delivered {report.delivered} {unit} to {sink.destination}"
        f" in {report.requests} request(s), {report.retries} retried"
    )
    return report, {
        destination.delivered_metadata: report.delivered,
        f"skipped_oversized_{unit}": len(report.skipped),
        "skipped": dg.MetadataValue.json(report.skipped[:100]),
        f"refused_{unit}": len(report.refused),
        f"unconfirmed_{unit}": report.unconfirmed,
        "refused": dg.MetadataValue.json(report.refused[:100]),
        "batches": report.batches,
        "requests": report.requests,
        "retries": report.retries,
        "bytes_sent": report.bytes_sent,
        "bytes_uncompressed": report.bytes_uncompressed,
        "destination": sink.destination,
        "delivery": AT_LEAST_ONCE,
    }


def deliver(
    context: dg.AssetExecutionContext, destination: Destination, source: Any
) -> dg.MaterializeResult:
    """Build the destination's payload from ``source``, send it, and say what went: counts,
    receipts, and (for a destination that can hold users back) its completeness check."""
    if destination.checked_payload is not None:  # built and checked upstream
        records, held_back = source["records"], source["held_back"]
    else:
        records, held_back = destination.payload(source)
    for user in held_back:
        context.log.error(f"Not sent to {destination.name}: {user['user']}: {user['reason']}")
    sink = getattr(context.resources, destination.resource_key).sink(context.run.run_id)
    report, metadata = _send(context, destination, sink, records)
    if report.receipts:
        metadata["receipts"] = dg.MetadataValue.json(report.receipts[:100])
    held_back_check = held_back_declaration(destination)
    if held_back_check is None:
        return dg.MaterializeResult(metadata=metadata)
    metadata["held_back_users"] = dg.MetadataValue.json(held_back)
    not_sent = (
        held_back
        + [
            {"user": item["user"], "reason": f"{item['bytes']} bytes, over the limit"}
            for item in report.skipped
        ]
        + [
            {"user": item["user"], "reason": f"refused: {item['reason']}"}
            for item in report.refused
        ]
    )
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            result(
                held_back_check,
                passed=not not_sent,
                description="; ".join(f"{user['user']}: {user['reason']}" for user in not_sent[:20])
                or f"Every user was sent ({destination.name}).",
                metadata={
                    keys.FAILING_USERS: dg.MetadataValue.json([user["user"] for user in not_sent])
                },
            )
        ],
    )


def delivery_asset(destination: Destination, common: Mapping[str, Any]) -> dg.AssetsDefinition:
    """The leaf of ``destination``: its payload's source as input, the OCSF events as a
    dependency (their blocking checks guard every copy), its sink and the account's state (held
    for the run: one delivery at a time) as resources."""
    guarded_by_events = [] if destination.source == keys.OCSF_EVENTS else [keys.OCSF_EVENTS]

    def copy(context: dg.AssetExecutionContext, source: Any) -> dg.MaterializeResult:
        return deliver(context, destination, source)

    return dg.asset(
        key=destination.asset_key,
        description=destination.description,
        kinds=set(destination.kinds),
        ins={"source": dg.AssetIn(destination.checked_payload or destination.source)},
        deps=guarded_by_events,
        required_resource_keys={destination.resource_key, "state"},
        check_specs=specs_on(destination.asset_key, destination),
        **common,
    )(copy)


def payload_asset(destination: Destination, common: Mapping[str, Any]) -> dg.AssetsDefinition:
    """The payload of ``destination`` as an asset of its own (``checked_payload``): what will be
    sent, and the users held back, for the blocking checks on it to read before anything goes."""

    def build(context: dg.AssetExecutionContext, source: Any) -> dg.Output:
        records, held_back = destination.payload(source)
        return dg.Output(
            {"records": records, "held_back": held_back},
            metadata={
                destination.unit: len(records),
                "held_back_users": dg.MetadataValue.json(held_back),
            },
        )

    return dg.asset(
        key=destination.checked_payload,
        description=f"The {destination.what} to send to {destination.name}, one per user, and"
        " the users held back; checked (blocking) before they are sent.",
        kinds={"python"},
        ins={"source": dg.AssetIn(destination.source)},
        **common,
    )(build)


def build_delivery_assets(
    destinations: Sequence[Destination], common: Mapping[str, Any]
) -> list[dg.AssetsDefinition]:
    """A leaf per chosen destination, after its checked payload when it has one."""
    return [
        *(payload_asset(d, common) for d in destinations if d.checked_payload is not None),
        *(delivery_asset(destination, common) for destination in destinations),
    ]

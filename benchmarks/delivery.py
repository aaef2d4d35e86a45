"""Benchmark delivery to a loopback intake (a script, not a test).

    python -m benchmarks.delivery [--events 5000 50000] [--asset-items 5000]

For each snapshot size, with and without gzip: events/s, requests, bytes sent and peak memory of
the delivery (tracemalloc, in a second delivery of its own since tracing slows every allocation:
Python allocations during ``send``, above the snapshot itself; the loopback intake shares the
process, checking events as the documentation says without keeping them). Events are real
seed-format OCSF events of generated users. Then the Asset inventory: mapping users to items, and
delivering them to the strict Asset API double (100 a request).
"""

import argparse
import time
import tracemalloc
from datetime import UTC, datetime

from iam_assets.analysis import enrich
from iam_assets.deliver.sekoia_assets import SekoiaAssetClient
from iam_assets.deliver.sekoia_intake import SekoiaIntakeClient
from iam_assets.ocsf import asset_items, sekoia_profile
from iam_assets_tests.support.asset_api_double import AssetApiDouble
from iam_assets_tests.support.intake_double import IntakeDouble


def snapshot(count: int) -> list[dict]:
    """``count`` OCSF events, varied like a real account (tags, keys, MFA, console)."""
    return sekoia_profile.user_inventory_events(enriched(count))


def enriched(count: int) -> list:
    """``count`` enriched users, varied like a real account."""
    created = datetime(2021, 3, 15, 14, 30, tzinfo=UTC).isoformat()
    raw = [
        {
            "UserId": f"AIDA{index:016d}",
            "UserName": f"user-{index:05d}",
            "Arn": f"arn:aws:iam::123456789012:user/people/user-{index:05d}",
            "Path": "/people/",
            "CreateDate": created,
            "PasswordLastUsed": created if index % 5 == 0 else None,
            "AccessKeys": [{"AccessKeyId": None, "Status": "Active", "CreateDate": created}]
            * (index % 3),
            "MFADevices": None,
            "MFAActive": index % 2 == 0,
            "ConsoleAccessEnabled": index % 5 == 0,
            "Tags": [{"Key": f"tag-{t}", "Value": f"value-{index}-{t}"} for t in range(index % 6)],
            "Groups": [],
            "AttachedPolicies": [],
            "InlinePolicies": [],
            "UnknownFields": {},
        }
        for index in range(count)
    ]
    return enrich.to_records(enrich.enrich_users(raw))


def asset_inventory(count: int) -> dict:
    """Map ``count`` users to asset items and deliver them to the strict Asset API double (which
    validates every item with the SDK's pydantic model, in this same process)."""
    users = enriched(count)
    started = time.perf_counter()
    items, _held_back = asset_items.asset_items(users)
    mapped = time.perf_counter() - started
    api = AssetApiDouble(key="benchmark-key").start()
    client = SekoiaAssetClient(api.url, api.key, api.connector)
    started = time.perf_counter()
    report = client.send(items)
    seconds = time.perf_counter() - started
    api.stop()
    assert len(api.items) == count == report.delivered
    return {"map_seconds": mapped, "seconds": seconds, "requests": report.requests}


def deliver(events: list[dict], compress: bool, traced: bool) -> tuple[dict, float]:
    """One delivery to a fresh loopback intake: its report figures, and seconds or peak MB."""
    intake = IntakeDouble(key="benchmark-key", store=False).start()
    client = SekoiaIntakeClient(intake.url, intake.key, compress=compress)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    report = client.send(events)
    seconds = time.perf_counter() - started
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    intake.stop()
    assert intake.received == len(events) == report.delivered
    return vars(report), (peak / 1024 / 1024 if traced else seconds)


def measure(events: list[dict], compress: bool) -> dict:
    """Throughput untraced (tracemalloc slows every allocation), then peak memory traced."""
    report, seconds = deliver(events, compress, traced=False)
    _, peak_mb = deliver(events, compress, traced=True)
    return {
        "events_per_second": len(events) / seconds,
        "requests": report["requests"],
        "bytes_sent": report["bytes_sent"],
        "bytes_uncompressed": report["bytes_uncompressed"],
        "peak_mb": peak_mb,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--asset-items", type=int, nargs="+", default=[5000])
    args = parser.parse_args()
    print(
        f"{'events':>7} {'gzip':>5} {'events/s':>9} {'requests':>8} {'MB sent':>8}"
        f" {'MB raw':>7} {'peak MB':>7}"
    )
    for count in args.events:
        events = snapshot(count)
        for compress in (True, False):
            row = measure(events, compress)
            print(
                f"{count:>7} {'yes' if compress else 'no':>5} {row['events_per_second']:>9.0f}"
                f" {row['requests']:>8} {row['bytes_sent'] / 1e6:>8.2f}"
                f" {row['bytes_uncompressed'] / 1e6:>7.2f} {row['peak_mb']:>7.1f}"
            )
    print(f"\n{'asset items':>11} {'map s':>6} {'deliver s':>9} {'items/s':>8} {'requests':>8}")
    for count in args.asset_items:
        row = asset_inventory(count)
        print(
            f"{count:>11} {row['map_seconds']:>6.2f} {row['seconds']:>9.2f}"
            f" {count / row['seconds']:>8.0f} {row['requests']:>8}"
        )


if __name__ == "__main__":
    main()

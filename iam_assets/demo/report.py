"""Print what the last demo run delivered and where the events are (``python -m`` after a run)."""

import sys

import dagster as dg

from iam_assets.demo.definitions import outbox


def main() -> int:
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("sekoia_user_inventory"))
        if event is None or event.asset_materialization is None:
            print("No delivery recorded yet: run `make demo` first.", file=sys.stderr)
            return 1
        delivered = event.asset_materialization.metadata["delivered_events"].value
        evaluations = [
            log.dagster_event.event_specific_data
            for log in instance.all_logs(
                event.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
        passed = sum(1 for evaluation in evaluations if evaluation.passed)
        print(f"Delivered {delivered} OCSF events (run {event.run_id}).")
        print(f"Asset checks: {passed} of {len(evaluations)} passed.")
        print(f"Events, one JSON object per line: {outbox().outbox_file(event.run_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

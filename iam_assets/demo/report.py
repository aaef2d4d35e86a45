"""Print what the last demo run delivered and where the events are (``python -m`` after a run)."""

import sys

import dagster as dg

from iam_assets.defs import keys
from iam_assets.demo.definitions import outbox


def main() -> int:
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(keys.DELIVERED)
        if event is None or event.asset_materialization is None:
            print("No delivery recorded yet: run `make demo` first.", file=sys.stderr)
            return 1
        delivered = event.asset_materialization.metadata[keys.DELIVERED_EVENTS].value
        evaluations = [
            log.dagster_event.event_specific_data
            for log in instance.all_logs(
                event.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
        passed = sum(1 for evaluation in evaluations if evaluation.passed)
        print(f"Delivered {delivered} OCSF events (run {event.run_id}).")
        print(f"Asset checks: {passed} of {len(evaluations)} passed.")
        for evaluation in evaluations:
            if not evaluation.passed:
                print(
                    f"  {evaluation.severity.value}: {evaluation.check_name}:"
                    f" {evaluation.description}"
                )
        enriched = instance.get_latest_materialization_event(keys.ENRICHED_USERS)
        if enriched is not None and enriched.asset_materialization is not None:
            figures = {k: v.value for k, v in enriched.asset_materialization.metadata.items()}
            print(
                f"Since the previous snapshot: {figures['users_added']} added,"
                f" {figures['users_removed']} removed, {figures['users_changed']} changed."
            )
        print(f"Events, one JSON object per line: {outbox().outbox_file(event.run_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

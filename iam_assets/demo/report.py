"""Print what the last demo run delivered and where the copies are (``python -m`` after a run)."""

import sys

import dagster as dg

from iam_assets.analysis.controls import CONTROLS
from iam_assets.defs import destinations as registry
from iam_assets.defs import keys
from iam_assets.demo.definitions import outbox

CONTROL_CHECKS = {control.check for control in CONTROLS}


def main() -> int:
    with dg.DagsterInstance.get() as instance:
        delivered = []
        for destination in registry.DESTINATIONS:
            event = instance.get_latest_materialization_event(destination.asset_key)
            if event and event.asset_materialization:
                delivered.append((event, event.asset_materialization, destination))
        if not delivered:
            print("No delivery recorded yet: run `make demo` first.", file=sys.stderr)
            return 1
        # The latest run, and only the copies it made (an earlier run may have fed another).
        run_id = max(delivered, key=lambda entry: entry[0].timestamp)[0].run_id
        delivered = [entry for entry in delivered if entry[0].run_id == run_id]
        for event, materialization, destination in delivered:
            count = materialization.metadata[destination.delivered_metadata].value
            print(f"Delivered {count} {destination.what} (run {event.run_id}).")
        evaluations = [
            log.get_dagster_event().asset_check_evaluation_data
            for log in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
        judged = [e for e in evaluations if e.check_name in CONTROL_CHECKS]
        evaluations = [e for e in evaluations if e.check_name not in CONTROL_CHECKS]
        passed = sum(1 for evaluation in evaluations if evaluation.passed)
        print(f"Asset checks: {passed} of {len(evaluations)} passed.")
        if judged:  # the seed's users fail controls on purpose: one line, not one each
            failing = ", ".join(e.check_name for e in judged if not e.passed)
            met = sum(1 for e in judged if e.passed)
            print(f"Controls (docs/controls.md): {met} of {len(judged)} met; not met: {failing}.")
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
        for event, _, destination in delivered:
            file = outbox(destination).outbox_file(event.run_id)
            print(f"{destination.unit.capitalize()}, one JSON object per line: {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One graph for every code location: production and demo differ only in their resources."""

import dagster as dg

from iam_assets.alerts import SENSORS, delivery_freshness_checks
from iam_assets.assets import ASSETS
from iam_assets.checks import CHECKS
from iam_assets.resources import (
    EventSinkResource,
    IAMResource,
    NotifierResource,
    SnapshotStoreResource,
    notifier_from_env,
    snapshot_store_from_env,
)
from iam_assets.schedules import daily_schedule, inventory_job


def build_definitions(
    *,
    iam: IAMResource,
    intake: EventSinkResource,
    state: SnapshotStoreResource | None = None,
    notifier: NotifierResource | None = None,
) -> dg.Definitions:
    """The inventory graph, its checks, job and daily schedule, bound to these resources.

    The in-process executor runs the chain in one process: the graph is a straight line, so
    subprocess-per-step would only add start-up time.
    """
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=[*CHECKS, *delivery_freshness_checks],
        jobs=[inventory_job],
        schedules=[daily_schedule()],
        sensors=SENSORS,
        resources={
            "iam": iam,
            "intake": intake,
            "state": state or snapshot_store_from_env(),
            "notifier": notifier or notifier_from_env(),
        },
        executor=dg.in_process_executor,
    )

"""One graph for every code location: production and demo differ only in their resources, and
in the accounts they cover (one, or one partition per account of an Organization)."""

import dagster as dg

from iam_assets.defs.assets import build_assets
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.checks import build_checks
from iam_assets.defs.delivery_assets import ASSETS, INTAKE
from iam_assets.defs.keys import ASSET_INVENTORY, DELIVERED
from iam_assets.defs.notifier import NotifierResource
from iam_assets.defs.partitions import AccountScope, aws_accounts, build_discovery_sensor
from iam_assets.defs.schedules import build_inventory_job, daily_schedule
from iam_assets.defs.sensors import SENSORS, build_delivery_freshness
from iam_assets.defs.settings import (
    notifier_from_env,
    ocsf_profile_from_env,
    schedule_cron_from_env,
    snapshot_store_from_env,
)
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.defs.state_resource import SnapshotStoreResource

# Destination -> its leaf asset and the resource key of its sink.
LEAVES = {INTAKE: DELIVERED, ASSETS: ASSET_INVENTORY}
SINK_KEYS = {INTAKE: "intake", ASSETS: "asset_inventory"}


def build_definitions(
    *,
    iam: IAMResource,
    intake: EventSinkResource | None = None,
    asset_inventory: EventSinkResource | None = None,
    state: SnapshotStoreResource | None = None,
    notifier: NotifierResource | None = None,
    accounts: AccountScope | None = None,
) -> dg.Definitions:
    """The inventory graph, its checks, job and daily schedule, bound to these resources.

    ``intake`` and ``asset_inventory`` are the destinations: the graph has a leaf for each one
    given (at least one). ``accounts`` None: the credentials' own account, unpartitioned.
    Otherwise every asset is partitioned by AWS account and a sensor keeps the partitions in step
    with ``accounts``.

    The in-process executor runs the chain in one process: the graph is a straight line, so
    subprocess-per-step would only add start-up time.
    """
    chosen = {INTAKE: intake, ASSETS: asset_inventory}
    given = {name: sink for name, sink in chosen.items() if sink is not None}
    destinations = tuple(given)
    if not destinations:
        raise ValueError("the inventory needs a destination: intake, asset_inventory or both")
    partitions_def = aws_accounts if accounts is not None else None
    job = build_inventory_job(partitions_def)
    leaves = [LEAVES[name] for name in destinations]
    freshness_checks, freshness_sensor = build_delivery_freshness(leaves)
    sensors = [*SENSORS, freshness_sensor]
    if accounts is not None:
        sensors.append(build_discovery_sensor(accounts, job))
    return dg.Definitions(
        assets=build_assets(partitions_def, destinations),
        asset_checks=[*build_checks(partitions_def, destinations), *freshness_checks],
        jobs=[job],
        schedules=[daily_schedule(job, partitions_def, schedule_cron_from_env())],
        sensors=sensors,
        resources={
            "iam": iam,
            **{SINK_KEYS[name]: sink for name, sink in given.items()},
            "state": state or snapshot_store_from_env(),
            "notifier": notifier or notifier_from_env(),
            # a wrong IAM_ASSETS_OCSF_PROFILE fails here, at load, before any run reads IAM
            "ocsf": ocsf_profile_from_env(),
        },
        executor=dg.in_process_executor,
    )

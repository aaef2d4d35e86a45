"""One graph for every code location: production and demo differ only in their resources, and
in the accounts they cover (one, or one partition per account of an Organization)."""

import dagster as dg

from iam_assets.analysis.control_types import ControlSettings
from iam_assets.defs import destinations as registry
from iam_assets.defs.assets import build_assets
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.checks import build_checks
from iam_assets.defs.notifier import NotifierResource
from iam_assets.defs.partitions import AccountScope, aws_accounts, build_discovery_sensor
from iam_assets.defs.schedules import build_inventory_job, daily_schedule
from iam_assets.defs.sensors import SENSORS, build_delivery_freshness
from iam_assets.defs.settings import (
    controls_from_env,
    notifier_from_env,
    ocsf_profile_from_env,
    schedule_cron_from_env,
    snapshot_store_from_env,
)
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.defs.state_resource import SnapshotStoreResource


def build_definitions(
    *,
    iam: IAMResource,
    state: SnapshotStoreResource | None = None,
    notifier: NotifierResource | None = None,
    accounts: AccountScope | None = None,
    controls: ControlSettings | None = None,
    **sinks: EventSinkResource,
) -> dg.Definitions:
    """The inventory graph, its checks, job and daily schedule, bound to these resources.

    ``sinks`` are the destinations, each under its resource key (``intake=...``,
    ``asset_inventory=...``: destinations.py): the graph has a leaf for each one given (at least
    one). ``accounts`` None: the credentials' own account, unpartitioned. Otherwise every asset
    is partitioned by AWS account and a sensor keeps the partitions in step with ``accounts``.
    ``controls``: the controls' settings (default: ``IAM_ASSETS_REQUIRED_TAGS``, else none).

    The in-process executor runs the chain in one process: the graph is a straight line, so
    subprocess-per-step would only add start-up time.
    """
    destinations = registry.by_resource_key(list(sinks))
    if not destinations:
        keys = ", ".join(destination.resource_key for destination in registry.DESTINATIONS)
        raise ValueError(f"the inventory needs a destination, given as one of: {keys}")
    partitions_def = aws_accounts if accounts is not None else None
    job = build_inventory_job(partitions_def)
    freshness_checks, freshness_sensor = build_delivery_freshness(
        [destination.asset_key for destination in destinations]
    )
    sensors = [*SENSORS, freshness_sensor]
    if accounts is not None:
        sensors.append(build_discovery_sensor(accounts, job))
    return dg.Definitions(
        assets=build_assets(partitions_def, destinations, controls or controls_from_env()),
        asset_checks=[*build_checks(partitions_def, destinations), *freshness_checks],
        jobs=[job],
        schedules=[daily_schedule(job, partitions_def, schedule_cron_from_env())],
        sensors=sensors,
        resources={
            "iam": iam,
            **sinks,
            "state": state or snapshot_store_from_env(),
            "notifier": notifier or notifier_from_env(),
            # a wrong IAM_ASSETS_OCSF_PROFILE fails here, at load, before any run reads IAM
            "ocsf": ocsf_profile_from_env(),
        },
        executor=dg.in_process_executor,
    )

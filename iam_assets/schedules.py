"""The daily inventory job and its schedule (on by default: it runs once the daemon runs)."""

import os

import dagster as dg

from iam_assets.assets import GROUP

CRON_VARIABLE = "IAM_ASSETS_SCHEDULE_CRON"
DEFAULT_CRON = "0 6 * * *"  # 06:00 UTC every day

inventory_job = dg.define_asset_job(
    name="iam_inventory_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="Collect every IAM user, map to OCSF, check, and deliver to Sekoia.io.",
    tags={"iam_assets/account": "default"},  # one run per account at a time (dagster.yaml)
)


def daily_schedule() -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_iam_inventory",
        job=inventory_job,
        cron_schedule=os.environ.get(CRON_VARIABLE) or DEFAULT_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"The full inventory daily; cron from {CRON_VARIABLE}, default 06:00 UTC.",
    )

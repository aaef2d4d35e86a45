"""The daily inventory job and its schedule (on by default: it runs once the daemon runs)."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from iam_assets.defs.keys import ACCOUNT_TAG, GROUP

CRON_VARIABLE = "IAM_ASSETS_SCHEDULE_CRON"
DEFAULT_CRON = "0 6 * * *"  # 06:00 UTC every day
JOB_NAME = "iam_inventory_job"
SCHEDULE_NAME = "daily_iam_inventory"


def build_inventory_job(
    partitions_def: dg.PartitionsDefinition | None = None,
) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=JOB_NAME,
        selection=dg.AssetSelection.groups(GROUP),  # partitioned as its assets are
        description="Collect every IAM user, map to OCSF, check, and deliver to Sekoia.io"
        + (" (one run per AWS account)." if partitions_def else "."),
        tags=None if partitions_def else {ACCOUNT_TAG: "default"},
    )


def daily_schedule(
    job: UnresolvedAssetJobDefinition,
    partitions_def: dg.PartitionsDefinition | None = None,
    cron: str = DEFAULT_CRON,
) -> dg.ScheduleDefinition:
    """The full inventory daily (``cron``, in UTC: ``IAM_ASSETS_SCHEDULE_CRON`` through
    settings.py); with account partitions, one run per account."""
    description = f"The full inventory daily; cron from {CRON_VARIABLE}, default 06:00 UTC."
    if partitions_def is None:
        return dg.ScheduleDefinition(
            name=SCHEDULE_NAME,
            job=job,
            cron_schedule=cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=description,
        )

    @dg.schedule(
        name=SCHEDULE_NAME,
        job=job,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description + " Requests every AWS account partition.",
    )
    def every_account(context: dg.ScheduleEvaluationContext):
        accounts = partitions_def.get_partition_keys(dynamic_partitions_store=context.instance)
        if not accounts:
            return dg.SkipReason("no AWS account partition yet: aws_account_discovery adds them")
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return [
            dg.RunRequest(run_key=f"{day}-{account}", partition_key=account) for account in accounts
        ]

    return every_account

"""Production code location: boto3's credential chain and Sekoia.io (its intake, its Asset
inventory, or both: IAM_ASSETS_DESTINATIONS); one account, or every account of an Organization
when IAM_ASSETS_ACCOUNTS says so."""

from iam_assets.defs.code_location import build_definitions
from iam_assets.defs.settings import account_scope_from_env, iam_resource_from_env, sinks_from_env
from iam_assets.defs.state_resource import owner_only_files

# Every process that loads this code location (a run worker, `dagster asset materialize`) writes
# owner-only files: the stored outputs hold the whole inventory, the run logs its metadata.
owner_only_files()

defs = build_definitions(
    iam=iam_resource_from_env(),
    **sinks_from_env(),  # type: ignore[arg-type]  # keys: sinks' resource keys, no other argument's
    accounts=account_scope_from_env(),
)

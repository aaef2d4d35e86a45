"""Production code location: boto3's credential chain and the Sekoia.io intake; one account, or
every account of an Organization when IAM_ASSETS_ACCOUNTS says so."""

from iam_assets.defs.code_location import build_definitions
from iam_assets.defs.partitions import account_scope_from_env
from iam_assets.defs.settings import iam_resource_from_env, sekoia_intake_from_env

defs = build_definitions(
    iam=iam_resource_from_env(),
    intake=sekoia_intake_from_env(),
    accounts=account_scope_from_env(),
)

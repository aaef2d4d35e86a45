"""Production code location: boto3's credential chain and the Sekoia.io intake."""

from iam_assets.code_location import build_definitions
from iam_assets.resources import iam_resource_from_env, sekoia_intake_from_env

defs = build_definitions(iam=iam_resource_from_env(), intake=sekoia_intake_from_env())

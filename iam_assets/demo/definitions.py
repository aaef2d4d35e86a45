"""Demo code location: same graph, simulated account, local JSON-lines outbox instead of Sekoia.

No AWS account and no intake key needed. The outbox folder is ``$IAM_ASSETS_DEMO_OUTBOX``
(default ``.demo/outbox``).
"""

import os
from typing import Any

import boto3

from iam_assets.aws_iam import build_iam_client
from iam_assets.code_location import build_definitions
from iam_assets.resources import IAMResource, JsonLinesOutboxResource

OUTBOX_VARIABLE = "IAM_ASSETS_DEMO_OUTBOX"
DEFAULT_OUTBOX = ".demo/outbox"


class DemoIAMResource(IAMResource):
    """IAM access to an embedded moto account, whatever AWS settings the environment holds."""

    def get_client(self) -> Any:
        from iam_assets.demo.embedded_moto import start_seeded_moto

        session = boto3.session.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
        )
        return build_iam_client(
            session=session,
            endpoint_url=start_seeded_moto(),
            max_attempts=self.max_attempts,
            retry_mode=self.retry_mode,
        )


def outbox() -> JsonLinesOutboxResource:
    return JsonLinesOutboxResource(directory=os.environ.get(OUTBOX_VARIABLE) or DEFAULT_OUTBOX)


defs = build_definitions(iam=DemoIAMResource(), intake=outbox())

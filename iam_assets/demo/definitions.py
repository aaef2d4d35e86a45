"""Demo code location: same graph, simulated account, local JSON-lines outbox instead of Sekoia.

No AWS account and no intake key needed. The outbox folder is ``$IAM_ASSETS_DEMO_OUTBOX``
(default ``.demo/outbox``; each destination ``IAM_ASSETS_DESTINATIONS`` chooses writes to the
folder its row in destinations.py names: the events to the outbox itself, the asset items to its
``assets`` folder), the previous snapshot lives in
``$IAM_ASSETS_STATE_DIR`` (default ``.demo/state``). From the second run on, the simulated
account has changed a little (a user left, one joined, one became an admin without MFA), so that
change tracking shows something.
"""

import os
from pathlib import Path
from typing import Any

import boto3

from iam_assets.analysis.snapshot_store import STATE_VARIABLE, SnapshotStore, StateReport
from iam_assets.collect.accounts import caller_account
from iam_assets.collect.client import build_iam_client
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.code_location import build_definitions
from iam_assets.defs.destinations import INTAKE_COPY, Destination
from iam_assets.defs.settings import sinks_from_env
from iam_assets.defs.sink_resources import JsonLinesOutboxResource
from iam_assets.defs.state_resource import SnapshotStoreResource, owner_only_files
from iam_assets.demo.seed import MOTO_ACCOUNT_ID

owner_only_files()  # what the runs of this code location write, as in production

OUTBOX_VARIABLE = "IAM_ASSETS_DEMO_OUTBOX"
DEFAULT_OUTBOX = ".demo/outbox"


class DemoIAMResource(IAMResource):
    """IAM access to an embedded moto account, whatever AWS settings the environment holds."""

    state_directory: str = ".demo/state"

    def _demo_endpoint(self) -> str:
        from iam_assets.demo.embedded_moto import start_seeded_moto

        store = SnapshotStore(self.state_directory)
        seen_before = store.load(MOTO_ACCOUNT_ID, StateReport()) is not None
        return start_seeded_moto(with_drift=seen_before)

    def account_session(self, account_id: str | None) -> tuple[boto3.session.Session, str]:
        session = boto3.session.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
        )
        return session, caller_account(session, self._demo_endpoint()).id

    def get_client(self, session: boto3.session.Session | None = None) -> Any:
        return build_iam_client(
            session=session or self.account_session(None)[0],
            endpoint_url=self._demo_endpoint(),
            max_attempts=self.max_attempts,
            retry_mode=self.retry_mode,
        )


def outbox(destination: Destination = INTAKE_COPY) -> JsonLinesOutboxResource:
    """The local stand-in of a destination: its ``demo_outbox`` folder under the outbox."""
    directory = Path(os.environ.get(OUTBOX_VARIABLE) or DEFAULT_OUTBOX) / destination.demo_outbox
    return JsonLinesOutboxResource(directory=str(directory))


STATE_DIRECTORY = os.environ.get(STATE_VARIABLE) or ".demo/state"

defs = build_definitions(
    # moto keeps no CloudTrail history: every run reads every per-user fact, as a first run does
    iam=DemoIAMResource(state_directory=STATE_DIRECTORY, read_changes=False),
    **sinks_from_env(make=outbox),  # type: ignore[arg-type]  # keys: sinks' resource keys, no other argument's
    state=SnapshotStoreResource(directory=STATE_DIRECTORY),
)

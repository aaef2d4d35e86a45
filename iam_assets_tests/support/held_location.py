"""A test-only code location whose run can be held in flight: one asset that waits while a file
exists, with the project's run-failure alert sensor and notifier and the production executor.

The file is named by ``$IAM_ASSETS_TESTS_HOLD_FILE``; without it (or once it is gone) the asset
returns at once.
"""

import os
import time
from pathlib import Path

import dagster as dg

from iam_assets.defs.sensors import run_failure_alerts
from iam_assets.defs.settings import notifier_from_env

HOLD_VARIABLE = "IAM_ASSETS_TESTS_HOLD_FILE"
JOB_NAME = "held_job"


@dg.asset
def held() -> None:
    hold = os.environ.get(HOLD_VARIABLE)
    while hold and Path(hold).exists():
        time.sleep(0.2)


defs = dg.Definitions(
    assets=[held],
    jobs=[dg.define_asset_job(JOB_NAME, selection=[held])],
    sensors=[run_failure_alerts],
    resources={"notifier": notifier_from_env()},
    executor=dg.in_process_executor,  # as iam_assets.code_location: the run is one process
)

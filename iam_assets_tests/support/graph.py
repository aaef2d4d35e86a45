"""The inventory graph as the tests materialise it in-process: its assets and checks, and one
helper that runs them against the loopback doubles (moto behind the IAM proxy, the intake).

Not a double itself: it answers nothing, it wires the project's own definitions to the doubles,
each of which cites its vendor source."""

import dagster as dg

from iam_assets.analysis.control_types import ControlSettings
from iam_assets.analysis.controls import declared_controls
from iam_assets.defs.assets import build_assets
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.checks import build_checks
from iam_assets.defs.destinations import (
    DESTINATIONS,
    SekoiaAssetInventoryResource,
    SekoiaIntakeResource,
)
from iam_assets.defs.ocsf_resource import OCSFProfileResource

ASSETS = build_assets()
CHECKS = build_checks()
raw_iam_users, enriched_iam_users, ocsf_user_inventory, sekoia_user_inventory = ASSETS
# The controls' checks of a graph built with the default settings (no tag required).
CONTROL_CHECKS = {control.check for control in declared_controls(ControlSettings())}


def materialize_graph(
    iam_proxy,
    intake_double,
    state,
    strategy="auto",
    profile="sekoia",
    *,
    asset_api=None,
    instance=None,
    raise_on_error=True,
    **resources,
):
    """Every asset and check, once, with fast retries; ``resources`` replace the defaults.
    With ``asset_api`` (the Asset API double, or any value when ``asset_inventory`` is given)
    the graph delivers to both destinations."""
    if asset_api is not None and "asset_inventory" not in resources:
        resources["asset_inventory"] = SekoiaAssetInventoryResource(
            api_url=asset_api.url,
            api_key=asset_api.key,
            connector_uuid=asset_api.connector,
            backoff_initial=0.05,
        )
    assets = ASSETS if asset_api is None else build_assets(destinations=DESTINATIONS)
    checks = CHECKS if asset_api is None else build_checks(destinations=DESTINATIONS)
    return dg.materialize(
        [*assets, *checks],
        instance=instance,
        raise_on_error=raise_on_error,
        resources={
            "state": state,
            "iam": IAMResource(endpoint_url=iam_proxy.url, max_attempts=2, strategy=strategy),
            "intake": SekoiaIntakeResource(
                url=intake_double.url, intake_key=intake_double.key, backoff_initial=0.05
            ),
            "ocsf": OCSFProfileResource(profile=profile),
            **resources,
        },
    )


def metadata(result, asset: str) -> dict:
    """The metadata of ``asset``'s materialisation in ``result``, as plain values."""
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}

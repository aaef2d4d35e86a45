"""The Asset inventory as a second leaf of the graph: fed beside the intake, guarded by the
same blocking checks, failing with counts, and chosen by IAM_ASSETS_DESTINATIONS."""

import importlib

import dagster as dg
import pytest

from iam_assets.analysis import enrich
from iam_assets.defs import settings
from iam_assets.defs.checks import build_checks
from iam_assets.defs.delivery_assets import build_delivery_assets
from iam_assets.defs.destinations import ASSET_INVENTORY_COPY, SekoiaAssetInventoryResource
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.demo.seed import DEMO_USERS, generated_users, seed_users
from iam_assets.ocsf import asset_items
from iam_assets_tests.support.asset_api_double import model_problem
from iam_assets_tests.support.graph import materialize_graph, metadata
from iam_assets_tests.support.product_page import CONSOLE_USER, SEED_EVENT

ASSET_LEAF = dg.AssetKey("sekoia_asset_inventory")


def asset_inventory(asset_api, **kwargs) -> SekoiaAssetInventoryResource:
    return SekoiaAssetInventoryResource(
        api_url=asset_api.url,
        api_key=asset_api.key,
        connector_uuid=asset_api.connector,
        backoff_initial=0.05,
        **kwargs,
    )


@pytest.mark.slow
def test_both_destinations_get_every_user_once(iam_admin, iam_proxy, intake, asset_api, state):
    seed_users(iam_admin, DEMO_USERS)
    result = materialize_graph(iam_proxy, intake, state, asset_api=asset_api)
    assert result.success
    names = sorted(user.name for user in DEMO_USERS)
    assert sorted(event["user"]["name"] for event in intake.events) == names
    assert sorted(item["user"]["name"] for item in asset_api.items) == names
    assert all(len(found) == 1 for found in asset_api.by_uid().values())
    assert [model_problem(item) for item in asset_api.items] == [None] * len(names)
    # The same user in both copies: the item's uid is the event's.
    events = {event["user"]["uid"]: event for event in intake.events}
    for item in asset_api.items:
        assert item["user"]["name"] == events[item["user"]["uid"]]["user"]["name"]
        assert item["user"].get("has_mfa") == events[item["user"]["uid"]]["user"]["has_mfa"]
    figures = metadata(result, "sekoia_asset_inventory")
    assert figures["delivered_items"] == len(names)
    assert len(figures["receipts"]) == figures["batches"] == 1  # the task id of the one batch
    complete = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == "asset_items_complete"
    )
    assert complete.passed


@pytest.mark.slow
def test_a_500_fails_the_asset_copy_with_counts_and_a_rerun_delivers(
    iam_admin, iam_proxy, intake, asset_api, state
):
    users = generated_users(230)
    seed_users(iam_admin, users, workers=4)
    asset_api.pass_next()
    asset_api.fail_next(500, times=2)  # every attempt of the second batch
    result = materialize_graph(
        iam_proxy,
        intake,
        state,
        asset_api=asset_api,
        asset_inventory=asset_inventory(asset_api, max_attempts=2),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "sekoia_asset_inventory"
    error = failure.step_failure_data.error.to_string()
    assert "batch 2 (items 101-200)" in error and "HTTP 500" in error
    assert asset_api.key not in error
    figures = {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    assert (figures["delivered_items"], figures["undelivered_items"]) == (100, 130)
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert ASSET_LEAF not in materialised
    assert dg.AssetKey("sekoia_user_inventory") in materialised  # the other copy is independent
    assert len(intake.events) == 230

    asset_api.items.clear()
    rerun = materialize_graph(iam_proxy, intake, state, asset_api=asset_api)
    assert rerun.success
    assert sorted(len(found) for found in asset_api.by_uid().values()) == [1] * 230


def _graph_with_events(events: list[dict]):
    @dg.asset(name="raw_iam_users")
    def fake_raw() -> list[dict]:
        return [CONSOLE_USER]

    @dg.asset(name="enriched_iam_users", deps=["raw_iam_users"])
    def fake_enriched():
        return enrich.enrich_users([CONSOLE_USER])

    @dg.asset(name="ocsf_user_inventory", deps=["enriched_iam_users"])
    def fake_events() -> list[dict]:
        return events

    common = {"group_name": "iam_inventory"}
    return [
        fake_raw,
        fake_enriched,
        fake_events,
        *build_delivery_assets((ASSET_INVENTORY_COPY,), common),
        *build_checks(destinations=(ASSET_INVENTORY_COPY,)),
    ]


@pytest.mark.parametrize("valid", [True, False])
def test_the_blocking_checks_of_the_events_guard_the_asset_copy(asset_api, state, valid):
    event = {**SEED_EVENT, "user": {**SEED_EVENT["user"], "uid": CONSOLE_USER["UserId"]}}
    if not valid:
        event["type_uid"] = 500301  # a blocking check fails
    result = dg.materialize(
        _graph_with_events([event]),
        resources={
            "asset_inventory": asset_inventory(asset_api),
            "state": state,
            "ocsf": OCSFProfileResource(),
        },
        raise_on_error=False,
    )
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert (ASSET_LEAF in materialised) is valid
    assert len(asset_api.items) == (1 if valid else 0)


@pytest.mark.parametrize(
    ("value", "leaves"),
    [
        (None, ["sekoia_user_inventory"]),
        ("intake", ["sekoia_user_inventory"]),
        ("assets", ["sekoia_asset_inventory"]),
        ("both", ["sekoia_user_inventory", "sekoia_asset_inventory"]),
        ("Assets, intake", ["sekoia_user_inventory", "sekoia_asset_inventory"]),
    ],
)
def test_iam_assets_destinations_chooses_the_leaves(monkeypatch, value, leaves):
    import iam_assets.definitions as production

    if value is None:
        monkeypatch.delenv("IAM_ASSETS_DESTINATIONS", raising=False)
    else:
        monkeypatch.setenv("IAM_ASSETS_DESTINATIONS", value)
    try:
        defs = importlib.reload(production).defs
    finally:  # the module as every other test loads it
        monkeypatch.undo()
        importlib.reload(production)
    keys = {key.to_user_string() for assets_def in defs.assets for key in assets_def.keys}
    upstream = {"raw_iam_users", "enriched_iam_users", "ocsf_user_inventory", "sekoia_asset_items"}
    assert keys - upstream == set(leaves)
    # the items, checked before they are sent, exist with their copy
    assert ("sekoia_asset_items" in keys) == ("sekoia_asset_inventory" in leaves)
    fresh = {
        key.asset_key.to_user_string()
        for checks_def in defs.asset_checks
        for key in checks_def.check_keys
        if key.name.startswith("freshness_check")
    }
    assert fresh == set(leaves)  # each copy has its own freshness check


def test_an_unknown_destination_fails_at_load_naming_the_variable(monkeypatch):
    monkeypatch.setenv("IAM_ASSETS_DESTINATIONS", "splunk")
    with pytest.raises(ValueError, match="IAM_ASSETS_DESTINATIONS must be intake, assets or both"):
        settings.destinations_from_env()


@pytest.mark.parametrize(
    ("configured", "named"),
    [
        ({"SEKOIA_ASSET_CONNECTOR_UUID": "my-connector"}, "SEKOIA_ASSET_CONNECTOR_UUID"),
        ({"SEKOIA_API_URL": "http://api.example.com"}, "SEKOIA_API_ALLOW_HTTP"),
        ({"SEKOIA_API_KEY": "s3cr3t-key\r\nX-Injected: 1"}, "SEKOIA_API_KEY"),
    ],
)
def test_asset_api_settings_that_cannot_work_fail_at_launch_naming_the_variable(
    monkeypatch, iam_proxy, intake, state, configured, named
):
    monkeypatch.setenv("SEKOIA_API_KEY", "s3cr3t-key")
    monkeypatch.setenv("SEKOIA_ASSET_CONNECTOR_UUID", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    for variable, value in configured.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(dg.DagsterResourceFunctionError) as raised:
        materialize_graph(
            iam_proxy,
            intake,
            state,
            asset_api=object(),  # both leaves; the resource below replaces the double's
            asset_inventory=settings.sink_resource_from_env(ASSET_INVENTORY_COPY),
        )
    message = str(raised.value.__cause__)
    assert named in message
    assert "s3cr3t" not in message
    assert iam_proxy.actions == {}  # before reading IAM


def test_the_asset_resource_never_shows_its_key():
    resource = SekoiaAssetInventoryResource(
        api_key="s3cr3t-api", connector_uuid="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    )
    assert "s3cr3t" not in repr(resource) + str(resource)
    assert "0a1b2c3d" in repr(resource)  # only the secret is masked


@pytest.mark.parametrize("valid", [True, False])
def test_the_blocking_item_check_names_the_user_and_nothing_is_sent(
    asset_api, state, monkeypatch, valid
):
    build = asset_items.asset_item

    def with_an_attribute_the_model_lacks(user):
        item = build(user)
        item["user"]["path"] = user["path"]  # the page's field, not the model's
        return item

    if not valid:
        monkeypatch.setattr(asset_items, "asset_item", with_an_attribute_the_model_lacks)
    event = {**SEED_EVENT, "user": {**SEED_EVENT["user"], "uid": CONSOLE_USER["UserId"]}}
    result = dg.materialize(
        _graph_with_events([event]),
        resources={
            "asset_inventory": asset_inventory(asset_api),
            "state": state,
            "ocsf": OCSFProfileResource(),
        },
        raise_on_error=False,
    )
    (check,) = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "asset_items_valid"
    ]
    assert check.passed is valid
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert (ASSET_LEAF in materialised) is valid
    assert len(asset_api.items) == (1 if valid else 0)
    if not valid:
        assert check.metadata["failing_users"].value == [CONSOLE_USER["UserName"]]
        assert "user.path" in check.description and "not an attribute" in check.description

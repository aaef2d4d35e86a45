"""A destination is one registration: a row in destinations.py is all the graph needs to choose
it, configure it from the environment, give it a leaf with a freshness check, and say what it
delivered under names that follow its unit."""

import json
from pathlib import Path

import dagster as dg
import pytest

from iam_assets.defs import destinations, settings
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.code_location import build_definitions
from iam_assets.defs.destinations import INTAKE_COPY, Destination, Setting, events_as_they_are
from iam_assets.defs.keys import OCSF_EVENTS
from iam_assets.defs.sink_resources import JsonLinesOutboxResource
from iam_assets.demo.seed import DEMO_USERS, seed_users

# A third destination, as a newcomer would register it (here a folder, so that no double is
# needed): nothing else in the package is edited.
ARCHIVE = Destination(
    name="archive",
    asset_key=dg.AssetKey("archived_user_inventory"),
    description="The events, archived as JSON lines.",
    resource_key="archive",
    resource=JsonLinesOutboxResource,
    settings=(Setting("directory", "IAM_ASSETS_TESTS_ARCHIVE_DIR"),),
    demo_outbox="archive",
    source=OCSF_EVENTS,
    payload=events_as_they_are,
    unit="archived_events",
    what="archived OCSF events",
    kinds=frozenset({"file"}),
)


@pytest.fixture
def with_archive(monkeypatch):
    monkeypatch.setattr(destinations, "DESTINATIONS", (*destinations.DESTINATIONS, ARCHIVE))


def test_a_registered_destination_is_chosen_configured_and_delivered_to(
    with_archive, monkeypatch, iam_admin, iam_proxy, intake, state, tmp_path
):
    seed_users(iam_admin, DEMO_USERS[:3])
    monkeypatch.setenv("IAM_ASSETS_DESTINATIONS", "archive")
    monkeypatch.setenv("IAM_ASSETS_TESTS_ARCHIVE_DIR", str(tmp_path / "archive"))
    sinks = settings.sinks_from_env()
    assert list(sinks) == ["archive"]
    directory = sinks["archive"].directory
    assert isinstance(directory, dg.EnvVar)  # resolved at run time, never in run config
    assert directory.env_var_name == "IAM_ASSETS_TESTS_ARCHIVE_DIR"

    defs = build_definitions(iam=IAMResource(endpoint_url=iam_proxy.url), state=state, **sinks)
    graph = defs.resolve_asset_graph()
    leaves = {key for key in graph.get_all_asset_keys() if not graph.get(key).child_keys}
    assert leaves == {ARCHIVE.asset_key}
    assert dg.AssetCheckKey(ARCHIVE.asset_key, "freshness_check") in graph.asset_check_keys
    assert OCSF_EVENTS in graph.get(ARCHIVE.asset_key).parent_keys
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success

    (written,) = (tmp_path / "archive").glob("*.jsonl")
    archived = [json.loads(line) for line in written.read_text().splitlines()]
    assert sorted(event["user"]["name"] for event in archived) == sorted(
        user.name for user in DEMO_USERS[:3]
    )
    (materialised,) = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == ARCHIVE.asset_key
    ]
    assert materialised.metadata["delivered_archived_events"].value == 3
    assert intake.requests == []  # not chosen: not sent


def test_the_demo_gives_each_registered_destination_its_own_outbox(with_archive, monkeypatch):
    from iam_assets.demo.definitions import outbox

    monkeypatch.setenv("IAM_ASSETS_DEMO_OUTBOX", "/tmp/outbox")
    assert Path(outbox(INTAKE_COPY).directory) == Path("/tmp/outbox")
    assert Path(outbox(ARCHIVE).directory) == Path("/tmp/outbox/archive")


def test_an_unregistered_destination_fails_at_load_naming_the_variable_and_the_names(
    with_archive, monkeypatch
):
    monkeypatch.setenv("IAM_ASSETS_DESTINATIONS", "intake,splunk")
    with pytest.raises(ValueError, match="must be intake, assets, archive or both, got"):
        settings.destinations_from_env()


def test_a_sink_under_no_destination_s_resource_key_is_refused():
    with pytest.raises(TypeError, match="splunk"):
        build_definitions(iam=IAMResource(), splunk=JsonLinesOutboxResource(directory="x"))


def test_every_registered_setting_is_in_the_readme_configuration_table():
    """A destination's settings are read from its row: each one must be documented."""
    readme = (Path(destinations.__file__).parents[2] / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    table = "\n".join(row.split(" | ")[0] for row in rows)
    for destination in destinations.DESTINATIONS:
        for setting in destination.settings:
            assert f"`{setting.variable}`" in table, (destination.name, setting.variable)

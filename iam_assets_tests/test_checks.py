"""Each OCSF rule fails on a crafted bad event, names the user and field, and blocks delivery."""

import copy

import dagster as dg
import pytest

from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.ocsf import rules
from iam_assets_tests.support.graph import CHECKS, sekoia_user_inventory
from iam_assets_tests.support.product_page import SEED_EVENT

NOW = 1_800_000_000  # 2027-01-15, fixed so that the plausibility window is deterministic


def bad(mutate) -> dict:
    event = copy.deepcopy(SEED_EVENT)
    mutate(event)
    return event


def test_the_seed_event_passes_every_rule():
    events = [SEED_EVENT]
    assert rules.required_fields(events) == []
    assert rules.constants_consistent(events) == []
    assert rules.types_valid(events, now=NOW) == []
    assert rules.one_event_per_user(events, ["AIDAI23HZ27SI6FQMGNHQ"]) == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.pop("time"), "time"),
        (lambda e: e.pop("severity_id"), "severity_id"),
        (lambda e: e["metadata"].pop("version"), "metadata.version"),
        (lambda e: e["metadata"].update(product={}), "metadata.product"),
        (lambda e: e.update(user={"path": "/"}), "user"),
        (lambda e: e["user"]["account"].update(uid=None, name=None), "user.account"),
    ],
)
def test_required_fields_rule(mutate, field):
    problems = rules.required_fields([bad(mutate)])
    assert [p.field for p in problems] == [field]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.update(type_uid=500301), "type_uid"),
        (lambda e: e.update(class_name="Inventory"), "class_name"),
        (lambda e: e.update(activity_id=1), "activity_id"),
        (lambda e: e.update(type_name="User Inventory Info: Log"), "type_name"),
        (lambda e: e.update(severity="High"), "severity"),
        (lambda e: e.update(category_uid=6), "category_uid"),
        (lambda e: e["user"]["account"].update(type_id="40"), "user.account.type_id"),
    ],
)
def test_constants_rule(mutate, field):
    problems = rules.constants_consistent([bad(mutate)])
    assert field in {p.field for p in problems}
    assert all(p.user == "AIDAI23HZ27SI6FQMGNHQ" for p in problems)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["user"].update(has_mfa="false"), "user.has_mfa"),
        (lambda e: e["user"].update(is_console_user=0), "user.is_console_user"),
        (lambda e: e["user"].update(access_keys_count=True), "user.access_keys_count"),
        (lambda e: e["user"].update(access_keys_count=-1), "user.access_keys_count"),
        (lambda e: e.update(time=1591264800000), "time"),  # milliseconds
        (lambda e: e["user"].update(created_time=86400), "user.created_time"),  # 1970
        (
            lambda e: e["user"].update(password_last_used_time="2025-08-26"),
            "user.password_last_used_time",
        ),
        (lambda e: e["user"].update(tags=[{"Key": "a", "Value": "b"}]), "user.tags"),
        (lambda e: e["user"].update(tags={"n": 1}), "user.tags"),
        (lambda e: e["user"].update(uid=None), "user.uid"),
    ],
)
def test_types_rule(mutate, field):
    problems = rules.types_valid([bad(mutate)], now=NOW)
    assert field in {p.field for p in problems}


def test_one_event_per_user_rule_names_duplicates_missing_and_strays():
    twin = copy.deepcopy(SEED_EVENT)
    stray = bad(lambda e: e["user"].update(uid="AIDASTRAY"))
    problems = rules.one_event_per_user(
        [SEED_EVENT, twin, stray], ["AIDAI23HZ27SI6FQMGNHQ", "AIDAMISSING"]
    )
    assert {(p.user, p.message) for p in problems} == {
        ("AIDAI23HZ27SI6FQMGNHQ", "appears in 2 events"),
        ("AIDAMISSING", "collected from IAM but has no event"),
        ("AIDASTRAY", "has an event but was not collected from IAM"),
    }


# -- in Dagster: a failing check is reported with users and fields, and nothing is delivered --
def graph_with(events: list[dict], raw_ids: list[str]):
    @dg.asset(name="raw_iam_users")
    def fake_raw() -> list[dict]:
        return [{"UserId": uid} for uid in raw_ids]

    @dg.asset(name="enriched_iam_users")
    def fake_enriched():
        import pandas as pd

        return pd.DataFrame({"unknown_fields": [[] for _ in raw_ids], "user_name": raw_ids})

    @dg.asset(name="ocsf_user_inventory", deps=["enriched_iam_users"])
    def fake_events() -> list[dict]:
        return events

    return [fake_raw, fake_enriched, fake_events, sekoia_user_inventory, *CHECKS]


def test_an_oversized_event_fails_its_check_and_only_it_is_held_back(intake, state):
    small = copy.deepcopy(SEED_EVENT)
    huge = bad(lambda e: e["user"].update(uid="AIDAHUGE", tags={"blob": "x" * 300_000}))
    result = dg.materialize(
        graph_with([small, huge], ["AIDAI23HZ27SI6FQMGNHQ", "AIDAHUGE"]),
        resources={
            "intake": SekoiaIntakeResource(url=intake.url, intake_key=intake.key),
            "state": state,
            "ocsf": OCSFProfileResource(),
        },
        raise_on_error=False,
    )
    size = next(
        e for e in result.get_asset_check_evaluations() if e.check_name == "ocsf_event_size"
    )
    assert not size.passed and size.severity == dg.AssetCheckSeverity.ERROR
    assert size.metadata["failing_users"].value == ["AIDAHUGE"]
    assert intake.events == [small]  # the rest of the snapshot still goes
    (delivery,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("sekoia_user_inventory")
    ]
    assert delivery.metadata["skipped_oversized_events"].value == 1


def test_a_bad_event_fails_its_check_and_blocks_delivery(intake, state):
    broken = bad(lambda e: e.update(type_uid=500301))
    result = dg.materialize(
        graph_with([broken], ["AIDAI23HZ27SI6FQMGNHQ"]),
        resources={
            "intake": SekoiaIntakeResource(url=intake.url, intake_key=intake.key),
            "state": state,
            "ocsf": OCSFProfileResource(),
        },
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = evaluations["ocsf_constants_consistent"]
    assert not failed.passed
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    assert "AIDAI23HZ27SI6FQMGNHQ" in failed.description
    assert "type_uid" in failed.description
    assert failed.metadata["failing_users"].value == ["AIDAI23HZ27SI6FQMGNHQ"]
    assert evaluations["ocsf_required_fields"].passed
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("ocsf_user_inventory") in materialized
    assert dg.AssetKey("sekoia_user_inventory") not in materialized
    assert intake.requests == []  # nothing left for Sekoia.io


def test_every_check_of_the_graph_is_the_one_its_table_row_declares():
    """Name, asset, description and blocking come from checks.CHECKS (or, for a copy's held-back
    check, from its destination's row; for a control, from the controls table): nothing is
    declared anywhere else."""
    from iam_assets.analysis.control_types import ControlSettings
    from iam_assets.defs import checks
    from iam_assets.defs.aws_resource import IAMResource
    from iam_assets.defs.code_location import build_definitions
    from iam_assets.defs.control_checks import control_specs
    from iam_assets.defs.destinations import DESTINATIONS

    defs = build_definitions(
        iam=IAMResource(),
        intake=SekoiaIntakeResource(intake_key="k"),
        asset_inventory=SekoiaIntakeResource(intake_key="k"),  # any sink: the graph is read
    )
    specs = [
        spec for definition in [*defs.assets, *defs.asset_checks] for spec in definition.check_specs
    ]
    held_back = {d.held_back_check: checks.held_back_declaration(d) for d in DESTINATIONS}
    held_back.pop(None, None)
    leaves = {destination.asset_key for destination in DESTINATIONS}
    controls = {spec.name: spec for spec in control_specs(ControlSettings())}
    # Every row once, but the freshness row once per copy; every control once.
    assert len(specs) == (
        len(checks.CHECKS) - 1 + len(held_back) + len(DESTINATIONS) + len(controls)
    )
    for spec in specs:
        if spec.name in controls:
            assert spec == controls[spec.name] and not spec.blocking
            continue
        declared = held_back.get(spec.name) or checks.declared(spec.name)
        assert spec.blocking == declared.blocking, spec.name
        if declared.asset is None:
            assert spec.asset_key in leaves
            continue
        assert (spec.asset_key, spec.description) == (declared.asset, declared.description)

"""The seed page's two example users map to the seed's event, with times converted in UTC."""

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from iam_assets.analysis import enrich
from iam_assets.ocsf import rules, sekoia_profile
from iam_assets_tests.support.ocsf_schema import official_extract
from iam_assets_tests.support.product_page import (
    CONSOLE_USER,
    CREATED_EPOCH,
    PROGRAMMATIC_USER,
    SEED_EVENT,
    SEED_TABLE_EVENT,
)


def events_for(*raw_users):
    return sekoia_profile.user_inventory_events(enrich.to_records(enrich.enrich_users(raw_users)))


def test_programmatic_user_maps_to_the_seed_event_with_utc_time():
    (event,) = events_for(PROGRAMMATIC_USER)
    assert event == SEED_EVENT
    assert sekoia_profile.epoch_seconds("2020-06-04T10:00:00Z") == 1591264800 != 1591275600


def test_console_user_maps_every_row_of_the_table():
    (event,) = events_for(CONSOLE_USER)
    expected = copy.deepcopy(SEED_EVENT)
    expected["user"] = {
        "uid": "AIDACKCEVSQ6C2EXAMPLE",
        "name": "aws-developer-team",
        "full_name": "aws-developer-team",
        "path": "/engineering/",
        "is_console_user": True,
        "has_mfa": True,
        "access_keys_count": 1,
        "password_last_used_time": 1756200600,  # 2025-08-26T09:30:00Z
        "created_time": CREATED_EPOCH,
        "tags": {"Department": "Engineering", "Environment": "Development"},
        "account": {
            "uid": "arn:aws:iam::123456789012:user/engineering/aws-developer-team",
            "name": "aws-developer-team",
            "type": "AWS IAM",
            "type_id": 40,
        },
    }
    assert event == expected


def test_inactive_keys_are_not_counted_and_no_tags_is_an_empty_object():
    raw = copy.deepcopy(PROGRAMMATIC_USER)
    raw["AccessKeys"][1]["Status"] = "Inactive"
    raw["Tags"] = []
    (event,) = events_for(raw)
    assert event["user"]["access_keys_count"] == 1
    assert event["user"]["tags"] == {}


def test_unknown_fields_stay_null_never_false():
    raw = copy.deepcopy(CONSOLE_USER)
    raw.update(MFADevices=None, ConsoleAccessEnabled=None, AccessKeys=None, Tags=None)
    raw["UnknownFields"] = {"MFADevices": "AccessDenied on iam:ListMFADevices"}
    frame = enrich.enrich_users([raw])
    assert frame.loc[0, "has_mfa"] is enrich.pd.NA
    (event,) = sekoia_profile.user_inventory_events(enrich.to_records(frame))
    user = event["user"]
    assert user["has_mfa"] is None
    assert user["is_console_user"] is None
    assert user["access_keys_count"] is None
    assert user["tags"] is None
    assert rules.types_valid([event]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-06-04T10:00:00Z", 1591264800),
        ("2020-06-04T12:00:00+02:00", 1591264800),
        (datetime(2020, 6, 4, 10, 0, 0), 1591264800),  # naive: taken as UTC
        (None, None),
    ],
)
def test_epoch_seconds_are_utc(value, expected):
    assert sekoia_profile.epoch_seconds(value) == expected


def test_mapping_output_is_json_and_key_order_is_the_seed_order():
    (event,) = events_for(PROGRAMMATIC_USER)
    assert list(json.loads(json.dumps(event))) == [*SEED_TABLE_EVENT, "cloud"]
    assert list(event["user"]) == list(SEED_EVENT["user"])


def test_required_fields_rule_matches_the_official_schema_extract():
    schema = official_extract()
    required = schema["required_attributes_flattened"]["without_optional_profiles"]
    assert set(rules.REQUIRED_PATHS) == {entry["path"] for entry in required}
    constraints = {
        e["path"]: tuple(e["constraints"]["at_least_one"]) for e in required if e.get("constraints")
    }
    for path, names in constraints.items():
        assert set(rules.AT_LEAST_ONE[path]) == set(names)
    fixed = schema["required_attributes_flattened"]["fixed_values_for_user_inventory_collect"]
    (event,) = events_for(PROGRAMMATIC_USER)
    for path, value in fixed.items():
        assert rules.get_path(event, path) == value


GOLDEN = Path(__file__).with_name("golden") / "seed_profile_events.jsonl"


def test_seed_profile_output_is_unchanged_byte_for_byte():
    """The bytes the intake receives for the seed's examples, pinned in ``golden/``: the seed's
    fields never drift; the account (``cloud``) is appended after them."""
    from iam_assets.deliver.sekoia_intake import MAX_EVENT_BYTES, encode_events

    events = events_for(PROGRAMMATIC_USER, CONSOLE_USER)
    cloud = ',"cloud":{"provider":"AWS","account":{"uid":"123456789012","type":"AWS Account",'
    cloud += '"type_id":10}}}'
    recorded = GOLDEN.read_text(encoding="utf-8").splitlines()
    encoded = list(encode_events(events, [], MAX_EVENT_BYTES))
    assert encoded == [line[:-1] + cloud for line in recorded]

"""The strict OCSF 1.6.0 profile: mapping, validation, shipped schema and mapping tables.

Fuzzed raw users go through the real enrichment into both profiles, so neither mapper can raise
or emit an event its own rules reject; the mapping tables are checked against what the mappers
actually emit, so docs/mapping.md cannot drift from the code.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_assets.analysis import enrich
from iam_assets.collect import arns
from iam_assets.collect.policies import group_via
from iam_assets.ocsf import mapping_table, rules, sekoia_profile, strict_profile, strict_rules
from iam_assets.ocsf.strict_rules import validate_strict
from iam_assets_tests.support.ocsf_schema import build_strict_schema, official_extract
from iam_assets_tests.support.policy_documents import (
    EVERYTHING,
    IAM_FULL,
    S3_ONLY,
    inline,
    managed,
)
from iam_assets_tests.support.product_page import CONSOLE_USER, PROGRAMMATIC_USER

CREATED_MILLIS = 1591264800000  # 2020-06-04T10:00:00Z


def records_for(*raw_users: dict[str, Any]) -> list[dict[str, Any]]:
    return enrich.to_records(enrich.enrich_users(raw_users))


def strict_events(*raw_users: dict[str, Any]) -> list[dict[str, Any]]:
    return strict_profile.strict_user_inventory_events(records_for(*raw_users))


def null_paths(value: Any, path: str = "") -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from null_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from null_paths(item, f"{path}[{position}]")


def leaf_paths(value: Any, path: str = "", opaque: frozenset[str] = frozenset()) -> Iterator[str]:
    """Dotted paths of an event's leaves; ``a[].b`` for arrays of objects; ``opaque`` paths
    (free-form maps such as the seed's ``user.tags``) are leaves themselves."""
    if isinstance(value, dict) and path not in opaque:
        for key, item in value.items():
            yield from leaf_paths(item, f"{path}.{key}" if path else key, opaque)
    elif isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        for item in value:
            yield from leaf_paths(item, f"{path}[]", opaque)
    else:
        yield path


# -- the shipped schema: regenerated from the official extract --------------------------------


def test_shipped_schema_is_what_the_generator_makes_from_the_official_extract():
    extract = official_extract()
    assert strict_rules.strict_schema() == build_strict_schema(extract)
    assert strict_rules.strict_schema()["license"]["spdx"] == "Apache-2.0"


def test_enum_captions_used_by_the_strict_profile_are_the_official_ones():
    extract = official_extract()
    user_types = extract["objects"]["user"]["attributes"]["type_id"]["enum"]
    for type_id, caption in strict_profile.USER_TYPES.items():
        assert user_types[str(type_id)]["caption"] == caption
    account_types = extract["objects"]["account"]["attributes"]["type_id"]["enum"]
    account_type = account_types[str(strict_profile.ACCOUNT_TYPE_ID)]
    assert account_type["caption"] == strict_profile.ACCOUNT_TYPE
    assert not account_type.get("deprecated")


# -- the mapping ----------------------------------------------------------------------------

# The seed's raw users predate the credential facts (SSH keys, key use, …): their raw shape lacks
# those fields, which is unknown, so the strict events list them as unknown attributes.
SEED_UNKNOWN_CREDENTIAL_FACTS = [
    "unmapped.access_keys_unused_90d",
    "unmapped.access_keys_never_used",
    "unmapped.signing_certificates_count",
    "unmapped.ssh_keys_count",
    "unmapped.service_credentials_count",
    "unmapped.service_credential_services",
    "unmapped.last_access_key_use_time",
    "unmapped.last_access_key_use_service",
    "unmapped.last_access_key_use_region",
    "unmapped.permissions_boundary",
]
STRICT_PROGRAMMATIC_EVENT = {
    "activity_id": 2,
    "activity_name": "Collect",
    "category_uid": 5,
    "category_name": "Discovery",
    "class_uid": 5003,
    "class_name": "User Inventory Info",
    "type_uid": 500302,
    "type_name": "User Inventory Info: Collect",
    "severity_id": 1,
    "severity": "Informational",
    "time": CREATED_MILLIS,
    "metadata": {
        "version": "1.6.0",
        "product": {"name": "AWS IAM", "vendor_name": "AWS"},
        "profiles": ["cloud"],
    },
    "user": {
        "uid": "AIDAI23HZ27SI6FQMGNHQ",
        "uid_alt": "arn:aws:iam::123456789012:user/service-role/lambda-execution-role",
        "name": "lambda-execution-role",
        "full_name": "lambda-execution-role",
        "type": "User",
        "type_id": 1,
        "has_mfa": False,
        "account": {"uid": "123456789012", "type": "AWS Account", "type_id": 10},
        "groups": [],
        "ldap_person": {
            "created_time": CREATED_MILLIS,
            "tags": [
                {"name": "Purpose", "value": "Lambda Execution"},
                {"name": "Environment", "value": "Production"},
            ],
        },
    },
    "unmapped": {
        "path": "/service-role/",
        "is_console_user": False,
        "access_keys_count": 2,
        "mfa_kinds": [],
        "has_hardware_mfa": False,
        "admin_reasons": ["no policy allows iam:CreateUser on *"],
        "can_become_admin": False,
        # no MFA, two active keys, one created years ago; the keys' use is not on the page
        "failed_controls": ["iam_19", "cis_1_13", "iam_3"],
        "controls_not_evaluated": ["iam_22", "iam_8"],
        "unknown_attributes": SEED_UNKNOWN_CREDENTIAL_FACTS,
    },
    "cloud": {
        "provider": "AWS",
        "account": {"uid": "123456789012", "type": "AWS Account", "type_id": 10},
    },
}


def test_programmatic_seed_user_maps_to_a_valid_strict_event_in_milliseconds():
    (event,) = strict_events(PROGRAMMATIC_USER)
    assert event == STRICT_PROGRAMMATIC_EVENT
    assert validate_strict([event]) == []
    assert strict_profile.epoch_millis("2020-06-04T12:00:00+02:00") == CREATED_MILLIS


def test_console_seed_user_maps_to_a_valid_strict_event():
    (event,) = strict_events(CONSOLE_USER)
    assert event["time"] == CREATED_MILLIS
    user = event["user"]
    assert (user["uid"], user["has_mfa"], user["type_id"]) == ("AIDACKCEVSQ6C2EXAMPLE", True, 1)
    assert user["ldap_person"]["last_login_time"] == 1756200600000  # 2025-08-26T09:30:00Z
    assert event["unmapped"] == {
        "path": "/engineering/",
        "is_console_user": True,
        "access_keys_count": 1,
        "mfa_kinds": ["virtual"],
        "has_hardware_mfa": False,
        "admin_reasons": ["no policy allows iam:CreateUser on *"],
        "can_become_admin": False,
        "failed_controls": ["iam_22", "iam_8", "iam_3"],  # last sign-in and key from 2025
        "controls_not_evaluated": ["cis_1_11"],  # whether its key was ever used
        "unknown_attributes": SEED_UNKNOWN_CREDENTIAL_FACTS,
    }
    assert validate_strict([event]) == []


def _with(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(raw), **changes}


ADMIN_GROUP = {
    "GroupName": "admins",
    "AttachedPolicies": ["AdministratorAccess"],
    "InlinePolicies": [],
}
ADMIN_BY_GROUP = managed("AdministratorAccess", EVERYTHING, group_via("admins"))


@pytest.mark.parametrize(
    ("changes", "type_id", "caption"),
    [
        ({"Groups": [ADMIN_GROUP], "Policies": [ADMIN_BY_GROUP]}, 2, "Admin"),
        (
            {
                "AttachedPolicies": ["AdministratorAccess"],
                "Policies": [managed("AdministratorAccess", EVERYTHING)],
            },
            2,
            "Admin",
        ),
        ({"InlinePolicies": ["god"], "Policies": [inline("god", EVERYTHING)]}, 2, "Admin"),
        # a name proves nothing: the document does
        (
            {
                "InlinePolicies": ["AdministratorAccess"],
                "Policies": [inline("AdministratorAccess", S3_ONLY)],
            },
            1,
            "User",
        ),
        (
            {
                "AttachedPolicies": ["PowerUserAccess"],
                "Policies": [managed("PowerUserAccess", S3_ONLY)],
            },
            1,
            "User",
        ),
        ({"AttachedPolicies": ["PowerUserAccess"]}, 0, "Unknown"),  # names without documents
        ({"AttachedPolicies": None, "Policies": []}, 0, "Unknown"),
        ({"Groups": None, "Policies": []}, 0, "Unknown"),
        (
            {"AttachedPolicies": None, "Groups": [ADMIN_GROUP], "Policies": [ADMIN_BY_GROUP]},
            2,
            "Admin",
        ),
        ({"Groups": [{**ADMIN_GROUP, "AttachedPolicies": None}], "Policies": []}, 0, "Unknown"),
    ],
)
def test_user_type_comes_from_the_privilege_analysis(changes, type_id, caption):
    (event,) = strict_events(_with(CONSOLE_USER, **changes))
    assert (event["user"]["type_id"], event["user"]["type"]) == (type_id, caption)
    assert validate_strict([event]) == []


def test_group_names_become_group_objects():
    (event,) = strict_events(
        _with(CONSOLE_USER, Groups=[ADMIN_GROUP, {**ADMIN_GROUP, "GroupName": "ops"}])
    )
    assert event["user"]["groups"] == [{"name": "admins"}, {"name": "ops"}]


def test_unknown_fields_go_to_unmapped_and_never_appear_as_null():
    raw = _with(
        CONSOLE_USER,
        MFADevices=None,
        ConsoleAccessEnabled=None,
        AccessKeys=None,
        Tags=None,
        Groups=None,
        PasswordLastUsed=None,
        UnknownFields={
            "MFADevices": "AccessDenied on iam:ListMFADevices",
            "Groups": "AccessDenied on iam:ListGroupsForUser",
        },
    )
    (event,) = strict_events(raw)
    assert list(null_paths(event)) == []
    user = event["user"]
    assert "has_mfa" not in user and "groups" not in user
    assert (user["type_id"], user["type"]) == (0, "Unknown")
    assert user["ldap_person"] == {"created_time": CREATED_MILLIS}
    assert event["unmapped"] == {
        "path": "/engineering/",
        "admin_reasons": [
            "the user's groups could not be listed (AccessDenied on iam:ListGroupsForUser)",
            "among the readable policies, no policy allows iam:CreateUser on *",
        ],
        "failed_controls": [],
        # every control that reads what is unknown: not evaluated, never passed
        "controls_not_evaluated": [
            *("iam_5", "iam_19", "cis_1_11", "iam_22", "iam_8", "cis_1_13", "iam_3"),
            *("iam_1", "iam_27"),
        ],
        "unknown_fields": ["Groups", "MFADevices"],
        "unknown_attributes": [
            "user.ldap_person.tags",
            "user.has_mfa",
            "user.groups",
            "unmapped.is_console_user",
            "unmapped.access_keys_count",
            *SEED_UNKNOWN_CREDENTIAL_FACTS[:6],
            "unmapped.mfa_kinds",
            "unmapped.has_hardware_mfa",
            *SEED_UNKNOWN_CREDENTIAL_FACTS[6:],
            "unmapped.can_become_admin",
        ],
    }
    assert validate_strict([event]) == []


def test_an_arn_without_an_account_id_gives_no_account():
    assert arns.account_id("arn:aws-us-gov:iam::123456789012:user/x") == "123456789012"
    record = records_for(PROGRAMMATIC_USER)[0] | {"arn": "not-an-arn"}
    event = strict_profile.strict_user_inventory_event(record)
    assert "account" not in event["user"]
    assert validate_strict([event]) == []


# -- validation -----------------------------------------------------------------------------

UID = "AIDAI23HZ27SI6FQMGNHQ"


def _set(path: str, value: Any):
    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        holder = event
        for part in parents:
            holder = holder[int(part)] if isinstance(holder, list) else holder[part]
        if value is _DELETE:
            del holder[last]
        else:
            holder[last] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (_set("user.bogus", 1), "user.bogus", "not an OCSF 1.6.0 attribute of user"),
        (_set("foo", "bar"), "foo", "not an OCSF 1.6.0 attribute"),
        (_set("user.account.path", "/"), "user.account.path", "not an OCSF 1.6.0 attribute"),
        (_set("time", 1591264800), "time", "milliseconds"),
        (
            _set("user.ldap_person.created_time", 1591264800),
            "user.ldap_person.created_time",
            "milliseconds",
        ),
        (_set("time", 4_102_444_800_000), "time", "milliseconds"),  # 2100: not plausible
        (_set("metadata.version", _DELETE), "metadata.version", "required"),
        (
            _set("user.ldap_person.tags.0.name", _DELETE),
            "user.ldap_person.tags[0].name",
            "required",
        ),
        (_set("user.has_mfa", None), "user.has_mfa", "null"),
        (_set("unmapped.path", None), "unmapped.path", "null"),
        (_set("user.groups", [None]), "user.groups[0]", ""),
        (lambda event: event["metadata"].pop("profiles"), "cloud", "cloud profile"),
        (
            _set("user.ldap_person.created_time_dt", "2020-06-04T10:00:00Z"),
            "user.ldap_person.created_time_dt",
            "datetime profile",
        ),
        (
            _set("user.account", {"type_id": 10, "type": "AWS Account"}),
            "user.account",
            "at least one",
        ),
        (_set("user.credential_uid", "AKIA"), "user.credential_uid", "deprecated"),
        (_set("user.has_mfa", "yes"), "user.has_mfa", "boolean"),
        (_set("unmapped.access_keys_count", None), "unmapped.access_keys_count", "null"),
        (_set("class_name", "Inventory"), "class_name", "expected 'User Inventory Info'"),
        (_set("activity_id", 1), "activity_id", ""),
        (_set("user.type", "AWS IAM User"), "user", "Inconsistent type_id=1"),
        (_set("user.type_id", 7), "user.type_id", ""),
    ],
)
def test_validate_strict_names_the_user_and_the_field(change, field, words):
    event = copy.deepcopy(STRICT_PROGRAMMATIC_EVENT)
    change(event)
    before = copy.deepcopy(event)
    problems = validate_strict([event])
    assert event == before  # the model's fill-ins never leak into the caller's event
    matching = [p for p in problems if p.field == field and words in p.message]
    assert matching, problems
    assert all(p.user == UID for p in problems)


def test_validate_strict_without_a_user_uid_names_the_event_position():
    event = copy.deepcopy(STRICT_PROGRAMMATIC_EVENT)
    del event["user"]
    problems = validate_strict([STRICT_PROGRAMMATIC_EVENT, event, "not an event"])
    assert {p.user for p in problems} == {"event #1", "event #2"}
    assert any(p.field == "user" and "required" in p.message for p in problems)


def test_a_profile_listed_in_metadata_allows_its_attributes():
    event = copy.deepcopy(STRICT_PROGRAMMATIC_EVENT)
    assert event["metadata"]["profiles"] == ["cloud"]
    event["cloud"] = {"provider": "AWS"}  # the account is optional in the cloud object
    assert validate_strict([event]) == []
    del event["cloud"]
    problems = validate_strict([event])
    assert [(p.field, "required" in p.message) for p in problems] == [("cloud", True)]


# -- fuzzing both profiles ------------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)
NAME_CHARS = string.ascii_letters + string.digits + "+=,.@_-"
ID_CHARS = string.ascii_uppercase + string.digits
POLICIES = st.sampled_from(
    ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "admin-everything", "S3Full"]
)
ABSENT = object()
dates = st.datetimes(
    min_value=datetime(2006, 1, 1), max_value=NOW.replace(tzinfo=None), timezones=st.just(UTC)
).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
access_keys = st.fixed_dictionaries(
    {
        "AccessKeyId": st.none() | st.text(ID_CHARS, min_size=16, max_size=20),
        "Status": st.sampled_from(["Active", "Inactive"]),
        "CreateDate": dates,
    }
)
mfa_devices = st.fixed_dictionaries(
    {"SerialNumber": st.text(NAME_CHARS, min_size=1, max_size=20), "EnableDate": dates}
)
tags = st.lists(
    st.fixed_dictionaries(
        {"Key": st.text(min_size=1, max_size=128), "Value": st.text(max_size=256)}
    ),
    max_size=50,
    unique_by=lambda tag: tag["Key"],
)
policy_names = st.lists(POLICIES, unique=True, max_size=3)
groups = st.lists(
    st.fixed_dictionaries(
        {
            "GroupName": st.text(NAME_CHARS, min_size=1, max_size=20),
            "AttachedPolicies": st.none() | policy_names,
            "InlinePolicies": st.none() | policy_names,
        }
    ),
    max_size=3,
    unique_by=lambda group: group["GroupName"],
)


@st.composite
def raw_users(draw: st.DrawFn) -> dict[str, Any]:
    """A raw user in the collector's shape; any optional part may be unknown (None) or empty."""
    name = draw(st.text(NAME_CHARS, min_size=1, max_size=64))
    path = draw(st.sampled_from(["/", "/service-role/", "/engineering/team/"]))
    account = draw(st.text(string.digits, min_size=12, max_size=12))
    user: dict[str, Any] = {
        "UserId": "AIDA" + draw(st.text(ID_CHARS, min_size=17, max_size=17)),
        "UserName": name,
        "Arn": f"arn:aws:iam::{account}:user{path}{name}",
        "Path": path,
        "CreateDate": draw(dates),
        "PasswordLastUsed": draw(st.none() | dates),
        "AccessKeys": draw(st.none() | st.lists(access_keys, max_size=2)),
        "MFADevices": draw(st.none() | st.lists(mfa_devices, max_size=2)),
        "ConsoleAccessEnabled": draw(st.none() | st.booleans()),
        "Tags": draw(st.none() | tags),
        "Groups": draw(st.none() | groups),
        "AttachedPolicies": draw(st.none() | policy_names),
        "InlinePolicies": draw(st.none() | policy_names),
    }
    for optional in ("MFAActive",):  # only some strategies read these
        value = draw(st.sampled_from([ABSENT, None, True, False]))
        if value is not ABSENT:
            user[optional] = value
    user["UnknownFields"] = {
        name: "AccessDenied (fuzzed)" for name, value in user.items() if value is None
    }
    return user


STRICT_PATHS = {row.path for row in strict_profile.STRICT_MAPPING}


def _covered(path: str, table_paths: set[str]) -> bool:
    """An emitted path has a row; an empty array ``a`` is covered by its ``a[]...`` rows too."""
    return path in table_paths or any(p.startswith(f"{path}[]") for p in table_paths)


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(st.lists(raw_users(), min_size=1, max_size=3, unique_by=lambda user: user["UserId"]))
def test_fuzzed_users_map_to_valid_events_in_both_profiles(raws):
    records = records_for(*raws)
    ids = [raw["UserId"] for raw in raws]

    seed = sekoia_profile.user_inventory_events(records)
    assert rules.required_fields(seed) == []
    assert rules.constants_consistent(seed) == []
    assert rules.types_valid(seed) == []
    assert rules.one_event_per_user(seed, ids) == []

    strict = strict_profile.strict_user_inventory_events(records)
    assert validate_strict(strict) == []
    for event in strict:
        assert list(null_paths(event)) == []
        json.dumps(event)
        assert all(_covered(path, STRICT_PATHS) for path in leaf_paths(event))


# -- the mapping tables ---------------------------------------------------------------------

SEED_OPAQUE = frozenset({"user.tags"})
NOT_EMITTED = "not emitted"


# A user with every credential fact known: a key used recently, one never used, a signing
# certificate, an SSH key, a service credential, a FIDO key and a permissions boundary.
CREDENTIAL_FACTS_USER = _with(
    CONSOLE_USER,
    UserId="AIDACREDENTIALFACTS",
    AccessKeys=[
        {
            "AccessKeyId": None,
            "Status": "Active",
            "CreateDate": "2020-06-04T10:00:00Z",
            "LastUsedDate": "2025-08-26T09:30:00Z",
            "LastUsedService": "s3",
            "LastUsedRegion": "eu-west-1",
        },
        {
            "AccessKeyId": None,
            "Status": "Active",
            "CreateDate": "2021-03-15T14:30:00Z",
            "LastUsedDate": None,
            "LastUsedService": None,
            "LastUsedRegion": None,
        },
    ],
    MFADevices=[
        {
            "SerialNumber": "arn:aws:iam::123456789012:u2f/user/x/fido-1",
            "EnableDate": "2021-01-01T00:00:00Z",
            "Kind": "fido",
        }
    ],
    SigningCertificates=[
        {"CertificateId": None, "Status": "Active", "UploadDate": "2022-01-01T00:00:00Z"}
    ],
    SSHPublicKeys=[
        {"SSHPublicKeyId": "APKAEXAMPLE", "Status": "Active", "UploadDate": "2022-01-01T00:00:00Z"}
    ],
    ServiceSpecificCredentials=[
        {
            "ServiceSpecificCredentialId": "ACCAEXAMPLE",
            "ServiceName": "codecommit.amazonaws.com",
            "Status": "Active",
            "CreateDate": "2022-01-01T00:00:00Z",
        }
    ],
    PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess",
)


def _coverage_events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records that exercise every branch of both mappers."""
    raws = [
        PROGRAMMATIC_USER,
        CONSOLE_USER,
        _with(CONSOLE_USER, UserId="AIDAGROUPS", Groups=[ADMIN_GROUP], Policies=[ADMIN_BY_GROUP]),
        _with(CONSOLE_USER, UserId="AIDAESCALATES", Policies=[managed("IAMFullAccess", IAM_FULL)]),
        _with(
            CONSOLE_USER,
            UserId="AIDAUNKNOWN",
            MFADevices=None,
            ConsoleAccessEnabled=None,
            AccessKeys=None,
            Tags=None,
            Groups=None,
            UnknownFields={"MFADevices": "AccessDenied on iam:ListMFADevices"},
        ),
        CREDENTIAL_FACTS_USER,
        _with(  # SSH keys and MFA devices carried from an earlier run
            CREDENTIAL_FACTS_USER,
            UserId="AIDACARRIED",
            FactsReadAt={
                "SSHPublicKeys": "2026-05-01T00:00:00Z",
                "MFADevices": "2026-05-02T08:00:00Z",
            },
        ),
    ]
    records = records_for(*raws)
    return (
        sekoia_profile.user_inventory_events(records),
        strict_profile.strict_user_inventory_events(records),
    )


def test_seed_table_has_exactly_the_paths_the_seed_mapper_emits():
    seed, _strict = _coverage_events()
    emitted = {path for event in seed for path in leaf_paths(event, opaque=SEED_OPAQUE)}
    rows = mapping_table.SEKOIA_MAPPING
    assert emitted == {row.path for row in rows}
    table = mapping_table.markdown("sekoia")
    assert all(f"`{path}`" in table for path in emitted)


def test_strict_table_has_exactly_the_paths_the_strict_mapper_emits():
    _seed, strict = _coverage_events()
    emitted = {path for event in strict for path in leaf_paths(event)}
    rows = strict_profile.STRICT_MAPPING
    emitted_rows = {row.path for row in rows if not row.rule.startswith(NOT_EMITTED)}
    assert all(_covered(path, emitted_rows) for path in emitted)
    assert emitted_rows <= emitted | {"user.groups", "user.ldap_person.tags"}
    assert not {row.path for row in rows if row.rule.startswith(NOT_EMITTED)} & emitted
    table = mapping_table.markdown("ocsf")
    assert all(f"`{path}`" in table for path in emitted)


@pytest.mark.parametrize("profile", ["sekoia", "ocsf"])
def test_constant_rows_show_the_value_the_mapper_emits(profile):
    seed, strict = _coverage_events()
    for event in seed if profile == "sekoia" else strict:
        for row in mapping_table.PROFILES[profile]:
            if row.source == strict_profile.CONSTANT:
                value = rules.get_path(event, row.path)
                assert f"`{json.dumps(value, ensure_ascii=False)}`" in row.rule, row


# -- every field either profile emits has a type rule -----------------------------------------

# The leaves of the strict profile inside ``unmapped``: free-form in OCSF, so without a type rule.
STRICT_FREE_FORM = {
    "unmapped.facts_read_at.ssh_keys",
    "unmapped.facts_read_at.mfa_devices",
    "unmapped.path",
    "unmapped.is_console_user",
    "unmapped.access_keys_count",
    "unmapped.unknown_fields",
    "unmapped.unknown_attributes",
    # the credential facts (``strict_credentials``)
    "unmapped.access_keys_unused_90d",
    "unmapped.access_keys_never_used",
    "unmapped.last_access_key_use_time",
    "unmapped.last_access_key_use_service",
    "unmapped.last_access_key_use_region",
    "unmapped.signing_certificates_count",
    "unmapped.ssh_keys_count",
    "unmapped.service_credentials_count",
    "unmapped.service_credential_services",
    "unmapped.mfa_kinds",
    "unmapped.has_hardware_mfa",
    "unmapped.permissions_boundary",
    # the privilege verdicts (``analysis.privilege``, ``analysis.escalation``)
    "unmapped.admin_reasons",
    "unmapped.can_become_admin",
    "unmapped.escalation_paths",
    # the CIS / Security Hub controls (``analysis.controls``)
    "unmapped.failed_controls",
    "unmapped.controls_not_evaluated",
}


def test_every_field_the_sekoia_profile_emits_has_a_type_rule():
    """A field of the sekoia profile has a type rule when ``rules.FIELD_TYPES`` declares what it
    may hold (checked by ``rules.types_valid``), or ``rules.EXPECTED_CONSTANTS`` pins it to one
    value of an exact type (checked by ``rules.constants_consistent``). ``user.tags`` is a
    free-form map, one leaf, whose rule checks its keys and values. No rule is left for a field
    the profile no longer emits."""
    sekoia, _strict = _coverage_events()
    emitted = {path for event in sekoia for path in leaf_paths(event, opaque=SEED_OPAQUE)}
    assert emitted - set(rules.FIELD_TYPES) - set(rules.EXPECTED_CONSTANTS) == set()
    assert set(rules.FIELD_TYPES) <= emitted


def _strict_type(path: str) -> str | None:
    """The type the shipped schema gives an emitted leaf (``a[].b`` steps into an array of
    objects, ``a[]`` is an array's element type): a scalar such as ``string_t``, an object
    name, ``object`` (free-form) for anything inside a free-form object, ``None`` if none."""
    schema = strict_rules.strict_schema()
    spec: dict[str, Any] | None = schema["class"]
    kind: str | None = None
    for part in path.split("."):
        if kind == strict_rules.FREE_FORM:
            return kind
        name = part.removesuffix("[]")
        if spec is None or name not in spec["attributes"]:
            return None
        kind = spec["attributes"][name].removesuffix("[]")
        spec = schema["objects"].get(kind)
    return kind


def test_every_field_the_strict_profile_emits_has_a_type_rule():
    """The strict profile's type rules are the shipped schema's, which ``strict_rules`` applies:
    a field has one when the schema gives it a scalar type ``strict_rules`` checks
    (``SCALAR_TYPES``: no ``true`` for an integer, milliseconds for a ``timestamp_t``), or an
    object type it ships and walks attribute by attribute (an empty ``user.groups`` is a leaf of
    type ``group``). The leaves inside ``unmapped`` have none: OCSF declares ``unmapped`` a
    free-form ``object``, so only "no null" holds there; they are pinned here so that a new one
    is a choice, not an accident."""
    _sekoia, strict = _coverage_events()
    emitted = {path for event in strict for path in leaf_paths(event)}
    kinds = {path: _strict_type(path) for path in emitted}
    free_form = {path for path, kind in kinds.items() if kind == strict_rules.FREE_FORM}
    assert free_form == STRICT_FREE_FORM
    checked = set(strict_rules.SCALAR_TYPES) | set(strict_rules.strict_schema()["objects"])
    assert {path: kind for path, kind in kinds.items() if kind not in checked} == {
        path: strict_rules.FREE_FORM for path in STRICT_FREE_FORM
    }

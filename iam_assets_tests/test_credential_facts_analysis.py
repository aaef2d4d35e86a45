"""Analysis and OCSF: credential facts beyond the password, from hand-built raw users.

Enriched columns and KPIs for each kind of credential, unknown facts that stay unknown, change
tracking of new credentials (and snapshots without credential fields that load quietly), strict
OCSF events that carry the facts and validate, and a default profile that does not move.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_assets.analysis import changes, credentials, enrich, kpis
from iam_assets.analysis.records import Finding
from iam_assets.analysis.snapshot_store import SnapshotStore, StateReport
from iam_assets.ocsf import sekoia_profile, strict_profile
from iam_assets.ocsf.strict_rules import validate_strict
from iam_assets_tests.support.product_page import CONSOLE_USER, PROGRAMMATIC_USER

NOW = datetime(2025, 9, 1, tzinfo=UTC)
ACCOUNT = "123456789012"
FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def days_ago(days: int) -> str:
    return iso(NOW - timedelta(days=days))


def key(created: int, used: int | None, status: str = "Active", key_id: str | None = None):
    """An access key created ``created`` days ago, last used ``used`` days ago (None: never)."""
    return {
        "AccessKeyId": key_id,
        "Status": status,
        "CreateDate": days_ago(created),
        "LastUsedDate": None if used is None else days_ago(used),
        "LastUsedService": None if used is None else "s3",
        "LastUsedRegion": None if used is None else "eu-west-1",
    }


def mfa(serial: str, kind: str) -> dict[str, Any]:
    return {"SerialNumber": serial, "EnableDate": days_ago(400), "Kind": kind}


VIRTUAL = mfa(f"arn:aws:iam::{ACCOUNT}:mfa/phone", "virtual")
FIDO = mfa(f"arn:aws:iam::{ACCOUNT}:u2f/user/alice/yubikey-ABC", "fido")
TOKEN = mfa("GAHT12345678", "hardware")
CERT = {"CertificateId": "CERTID1", "Status": "Active", "UploadDate": days_ago(200)}
SSH = {"SSHPublicKeyId": "APKAEXAMPLE1", "Status": "Active", "UploadDate": days_ago(30)}
CODECOMMIT = {
    "ServiceSpecificCredentialId": "ACCAEXAMPLE1",
    "ServiceName": "codecommit.amazonaws.com",
    "Status": "Active",
    "CreateDate": days_ago(10),
}
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/DeveloperBoundary"


def raw(name: str, **fields: Any) -> dict[str, Any]:
    """A raw user in the collector's new shape, every credential fact known and none held."""
    user = {
        **copy.deepcopy(CONSOLE_USER),
        "UserId": f"AIDA{name.upper().replace('.', '')}",
        "UserName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "Path": "/",
        "AccessKeys": [],
        "MFADevices": [],
        "MFAActive": None,
        "SigningCertificates": [],
        "SSHPublicKeys": [],
        "ServiceSpecificCredentials": [],
        "PermissionsBoundary": "",
        "UnknownFields": {},
    }
    return {**user, **fields}


def records(*raws: dict[str, Any]) -> list[dict[str, Any]]:
    return enrich.to_records(enrich.enrich_users(raws, now=NOW))


def one(raw_user: dict[str, Any]) -> dict[str, Any]:
    (record,) = records(raw_user)
    return record


# -- enriched columns -------------------------------------------------------------------------


def test_each_kind_of_credential_shows_in_its_columns():
    alice = one(
        raw(
            "alice",
            AccessKeys=[key(400, 5), key(300, 120), key(200, None), key(10, None, "Inactive")],
            MFADevices=[VIRTUAL, FIDO],
            SigningCertificates=[CERT, {**CERT, "CertificateId": "OLD", "Status": "Inactive"}],
            SSHPublicKeys=[SSH],
            ServiceSpecificCredentials=[
                CODECOMMIT,
                {**CODECOMMIT, "ServiceSpecificCredentialId": "X", "ServiceName": "cassandra"},
                {**CODECOMMIT, "ServiceSpecificCredentialId": "Y", "Status": "Inactive"},
            ],
            PermissionsBoundary=BOUNDARY,
        )
    )
    assert alice["access_keys_unused_90d"] == 2  # used 120 days ago; never used, made 200 ago
    assert alice["access_keys_never_used"] == 1  # the inactive one is not counted
    assert alice["last_key_use_at"] == NOW - timedelta(days=5)
    assert (alice["last_key_use_service"], alice["last_key_use_region"]) == ("s3", "eu-west-1")
    assert alice["active_signing_certificates"] == 1
    assert alice["active_ssh_keys"] == 1
    assert alice["active_service_credentials"] == 2
    assert alice["service_credential_services"] == ["cassandra", "codecommit.amazonaws.com"]
    assert alice["mfa_kinds"] == ["fido", "virtual"]
    assert alice["has_hardware_mfa"] is True
    assert alice["permissions_boundary"] == BOUNDARY


def test_a_user_without_credentials_has_known_zeros_and_no_hardware_mfa():
    bob = one(raw("bob", MFADevices=[VIRTUAL]))
    assert (bob["access_keys_unused_90d"], bob["access_keys_never_used"]) == (0, 0)
    assert bob["last_key_use_at"] is None  # no key: never used
    assert (bob["active_ssh_keys"], bob["active_service_credentials"]) == (0, 0)
    assert bob["active_signing_certificates"] == 0 and bob["service_credential_services"] == []
    assert bob["mfa_kinds"] == ["virtual"] and bob["has_hardware_mfa"] is False
    assert bob["permissions_boundary"] == ""  # known: no boundary
    assert one(raw("carol", MFADevices=[TOKEN]))["has_hardware_mfa"] is True


FACT_COLUMNS = [
    "access_keys_unused_90d",
    "access_keys_never_used",
    "active_signing_certificates",
    "active_ssh_keys",
    "active_service_credentials",
    "service_credential_services",
    "mfa_kinds",
    "has_hardware_mfa",
    "permissions_boundary",
]


def test_denied_reads_leave_facts_unknown_never_false_or_zero():
    denied = raw(
        "dave",
        AccessKeys=[key(400, None), key(10, None)],
        MFADevices=None,
        SigningCertificates=None,
        SSHPublicKeys=None,
        ServiceSpecificCredentials=None,
        PermissionsBoundary=None,
        UnknownFields={
            "AccessKeys[].LastUsed": "AccessDenied on iam:GetAccessKeyLastUsed",
            "MFADevices": "AccessDenied",
            "SigningCertificates": "AccessDenied",
            "SSHPublicKeys": "AccessDenied",
            "ServiceSpecificCredentials": "AccessDenied",
            "PermissionsBoundary": "AccessDenied",
        },
    )
    frame = enrich.enrich_users([denied], now=NOW)
    assert all(frame[column].isna().all() for column in FACT_COLUMNS), frame.iloc[0]
    assert frame["active_access_keys"].iloc[0] == 2  # the keys themselves were read
    record = enrich.to_records(frame)[0]
    assert all(record[column] is None for column in FACT_COLUMNS)
    assert record["credentials"]["access_keys"] is not None  # identities are still known
    assert record["credentials"]["ssh_keys"] is None


def test_raw_users_saved_before_these_facts_read_as_unknown():
    """A raw asset pickled without these fields (and ``Kind``) reads them as unknown."""
    old = one(PROGRAMMATIC_USER)
    for column in FACT_COLUMNS:
        if column not in ("mfa_kinds", "has_hardware_mfa"):
            assert old[column] is None, column
    assert old["mfa_kinds"] == [] and old["has_hardware_mfa"] is False  # devices listed: none
    assert one(CONSOLE_USER)["mfa_kinds"] == ["virtual"]  # the kind read from the serial


@pytest.mark.slow
@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3000),
            st.none() | st.integers(0, 3000),
            st.sampled_from(["Active", "Inactive"]),
        ),
        max_size=4,
    )
)
def test_key_use_columns_follow_their_definition(specs):
    """Days ago (created, last used or None, status) -> the key-use columns, by their words:
    active keys last used (or, never used, created) more than 90 days ago; active keys never
    used; the most recent use of any key."""
    specs = [
        (created, None if used is None else min(used, created), s) for created, used, s in specs
    ]
    user = one(raw("erin", AccessKeys=[key(c, u, s) for c, u, s in specs]))
    active = [(c, u) for c, u, s in specs if s == "Active"]
    assert user["access_keys_never_used"] == sum(u is None for _c, u in active)
    assert user["access_keys_unused_90d"] == sum((c if u is None else u) > 90 for c, u in active)
    used = [u for _c, u, _s in specs if u is not None]
    assert user["last_key_use_at"] == (NOW - timedelta(days=min(used)) if used else None)


# -- KPIs -------------------------------------------------------------------------------------


def team() -> list[dict[str, Any]]:
    return [
        raw("alice", AccessKeys=[key(400, 200), key(300, None)], MFADevices=[FIDO]),
        raw("bob", AccessKeys=[key(30, 1)], MFADevices=[VIRTUAL], SSHPublicKeys=[SSH]),
        raw("carol", MFADevices=[TOKEN], ServiceSpecificCredentials=[CODECOMMIT]),
        raw("dave", SigningCertificates=[CERT], SSHPublicKeys=[{**SSH, "Status": "Inactive"}]),
        raw(
            "erin",
            AccessKeys=None,
            MFADevices=None,
            SSHPublicKeys=None,
            ServiceSpecificCredentials=None,
            SigningCertificates=None,
            UnknownFields={"AccessKeys": "denied", "MFADevices": "denied"},
        ),
    ]


def test_credential_kpis_count_what_a_security_engineer_reads():
    figures = kpis.kpis(enrich.enrich_users(team(), now=NOW))
    assert figures["access_keys_unused_90d"] == 2  # alice's two; erin's are unknown, not 0
    assert figures["access_keys_never_used"] == 1
    assert figures["users_with_ssh_keys"] == 1  # dave's key is inactive
    assert figures["users_with_service_credentials"] == 1
    assert figures["users_with_signing_certificates"] == 1
    # MFA users: alice (FIDO), bob (virtual), carol (hardware token); erin's MFA is unknown
    assert figures["hardware_mfa_coverage_pct"] == pytest.approx(66.7)
    assert all(type(value) in (int, float) for value in figures.values())


def test_a_kpi_nobody_knows_is_left_out_not_charted_as_zero():
    unknown = [PROGRAMMATIC_USER, CONSOLE_USER]  # raw users without the credential facts
    figures = kpis.kpis(enrich.enrich_users(unknown, now=NOW))
    for name in (
        "access_keys_unused_90d",
        "users_with_ssh_keys",
        "users_with_signing_certificates",
    ):
        assert name not in figures
    assert figures["hardware_mfa_coverage_pct"] == 0.0  # the console user's virtual device
    assert kpis.kpis(enrich.enrich_users([], now=NOW))["users_with_ssh_keys"] == 0


def test_an_active_key_unused_for_90_days_raises_the_risk_score():
    in_use, dormant = (
        raw("in-use", AccessKeys=[key(200, 10)]),
        raw("dormant", AccessKeys=[key(200, 91)]),
    )
    frame = enrich.enrich_users([in_use, dormant], now=NOW)
    dormant, in_use = frame.to_dict("records")  # sorted by name
    assert kpis.risk_score(dormant) - kpis.risk_score(in_use) == 10  # same key age, same rest
    lines = {line.split("`")[1]: line for line in kpis.riskiest_users(frame).splitlines()[2:]}
    unused = {name: line.split("|")[9].strip() for name, line in lines.items()}  # its column
    assert unused == {"dormant": "1", "in-use": "0"}


def test_root_account_kpis_and_problems():
    bare = {"MFAActive": False, "ActiveAccessKeys": 2, "ActiveSigningCertificates": 0}
    assert credentials.root_account_kpis(bare) == {
        "root_mfa_active": 0,
        "root_active_access_keys": 2,
        "root_active_signing_certificates": 0,
    }
    assert credentials.root_account_problems(bare) == [
        "the root account has no MFA",
        "the root account has 2 active access key(s)",
    ]
    safe = {"MFAActive": True, "ActiveAccessKeys": 0, "ActiveSigningCertificates": None}
    assert credentials.root_account_problems(safe) == []
    assert credentials.root_account_kpis(safe) == {
        "root_mfa_active": 1,
        "root_active_access_keys": 0,
    }
    assert credentials.root_account_problems(None) == []  # unknown: iam_fields_known says so


# -- change tracking --------------------------------------------------------------------------


def snapshot(*raws: dict[str, Any]) -> dict[str, Any]:
    return changes.snapshot(enrich.enrich_users(raws, now=NOW))


def test_a_new_credential_of_any_kind_is_a_change_and_usable_ones_are_findings():
    before = snapshot(raw("alice", AccessKeys=[key(400, 1)], MFADevices=[VIRTUAL]))
    after = snapshot(
        raw(
            "alice",
            AccessKeys=[key(400, 1), key(0, None)],
            MFADevices=[VIRTUAL, FIDO],
            SigningCertificates=[CERT],
            SSHPublicKeys=[SSH],
            ServiceSpecificCredentials=[CODECOMMIT],
        )
    )
    found = changes.diff(before, after)
    assert found.changed == {
        "alice": [
            "new active access key",
            "new active signing certificate",
            "new active SSH key",
            "new active service credential for codecommit.amazonaws.com",
            "new MFA device (fido)",
        ]
    }
    assert [str(finding) for finding in found.findings] == [
        "new access key: alice",
        "new signing certificate: alice",
        "new SSH key: alice",
        "new service credential for codecommit.amazonaws.com: alice",
    ]  # a new MFA device adds a factor: a change, not a finding
    assert "new active SSH key" in changes.changes_markdown(found)


def test_inactive_removed_and_reactivated_credentials():
    inactive_ssh = {**SSH, "Status": "Inactive"}
    first = snapshot(raw("bob", AccessKeys=[key(400, 1)], SSHPublicKeys=[inactive_ssh]))
    second = snapshot(
        raw("bob", AccessKeys=[key(400, 1), key(0, None, "Inactive")], SSHPublicKeys=[SSH])
    )
    found = changes.diff(first, second)
    assert found.changed == {"bob": ["new inactive access key", "SSH key activated"]}
    # the inactive key is not usable yet
    assert found.findings == [Finding("usable_credential", "bob", "SSH key reactivated")]
    third = snapshot(raw("bob", AccessKeys=[], SSHPublicKeys=[SSH]))
    found = changes.diff(second, third)
    assert found.changed == {"bob": ["active access key removed", "inactive access key removed"]}
    assert found.findings == []


def test_credentials_of_a_new_user_are_not_findings_and_rotation_is_one_new_key():
    before = snapshot(raw("carol", AccessKeys=[key(400, 1)]))
    rotated = raw("carol", AccessKeys=[key(0, None)])
    newcomer = raw("mallory", AccessKeys=[key(0, None)], SSHPublicKeys=[SSH])
    found = changes.diff(before, snapshot(rotated, newcomer))
    assert found.added == ["mallory"]
    assert found.findings == [Finding("usable_credential", "carol", "new access key")]
    assert found.changed == {"carol": ["new active access key", "active access key removed"]}


def test_the_same_credentials_read_by_either_strategy_are_no_change():
    """The credential report tells no access-key or certificate id; per-user calls do."""
    per_user = raw(
        "dave",
        AccessKeys=[key(400, 1, key_id="AKIAONE"), key(100, None, key_id="AKIATWO")],
        SigningCertificates=[CERT],
    )
    from_report = copy.deepcopy(per_user)
    for item in from_report["AccessKeys"]:
        item["AccessKeyId"] = None
    from_report["SigningCertificates"][0]["CertificateId"] = None
    assert not changes.diff(snapshot(per_user), snapshot(from_report)).any
    assert not changes.diff(snapshot(from_report), snapshot(per_user)).any


def test_unknown_credentials_are_not_compared():
    known = snapshot(raw("erin", SSHPublicKeys=[SSH]))
    denied = snapshot(raw("erin", SSHPublicKeys=None, UnknownFields={"SSHPublicKeys": "denied"}))
    assert not changes.diff(known, denied).any and not changes.diff(denied, known).any


def previous_version(snapshot_now: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without credential fields: the other tracked fields alone."""
    old_fields = (
        "user_name",
        "is_console_user",
        "has_mfa",
        "active_access_keys",
        "is_admin",
        "groups",
    )
    return {uid: {f: user[f] for f in old_fields} for uid, user in snapshot_now.items()}


def test_a_snapshot_of_the_previous_version_loads_quietly(tmp_path):
    users = [
        raw(
            f"user{n}",
            AccessKeys=[key(400, 1)],
            MFADevices=[FIDO],
            SigningCertificates=[CERT],
            SSHPublicKeys=[SSH],
            ServiceSpecificCredentials=[CODECOMMIT],
        )
        for n in range(20)
    ]
    store, report = SnapshotStore(tmp_path), StateReport()
    store.save(previous_version(snapshot(*users)), ACCOUNT, report)
    loaded = store.load(ACCOUNT, report)
    assert report.ok and loaded is not None
    found = changes.diff(loaded, snapshot(*users))
    assert not found.any and found.findings == []  # no flood of "new credential"
    users[3]["AccessKeys"].append(key(0, None))
    found = changes.diff(loaded, snapshot(*users))  # keys still compared, by their count
    assert found.changed == {"user3": ["new active key"]} and found.findings == []


def test_a_new_snapshot_round_trips_through_its_file(tmp_path):
    current = snapshot(*team())
    store, report = SnapshotStore(tmp_path), StateReport()
    store.save(current, ACCOUNT, report)
    loaded = store.load(ACCOUNT, report)
    assert loaded == json.loads(json.dumps(current)) and not changes.diff(loaded, current).any


ssh_ids = st.sets(st.sampled_from([f"APKA{n}" for n in range(8)]), max_size=6)


@pytest.mark.slow
@FUZZ
@given(ssh_ids, ssh_ids)
def test_exactly_the_new_ssh_keys_are_findings(old, new):
    before = snapshot(
        raw("frank", SSHPublicKeys=[{**SSH, "SSHPublicKeyId": i} for i in sorted(old)])
    )
    after = snapshot(
        raw("frank", SSHPublicKeys=[{**SSH, "SSHPublicKeyId": i} for i in sorted(new)])
    )
    found = changes.diff(before, after)
    added, gone = len(new - old), len(old - new)
    expected = [f"new SSH key{'' if added == 1 else f' (x{added})'}: frank"] if added else []
    assert [str(finding) for finding in found.findings] == expected
    assert found.any is bool(added or gone)


# -- strict OCSF events -----------------------------------------------------------------------


def strict(*raws: dict[str, Any]) -> list[dict[str, Any]]:
    return strict_profile.strict_user_inventory_events(records(*raws))


def test_strict_events_carry_the_credential_facts_and_validate():
    alice = raw(
        "alice",
        AccessKeys=[key(400, 5), key(200, None)],
        MFADevices=[FIDO],
        SigningCertificates=[CERT],
        SSHPublicKeys=[SSH],
        ServiceSpecificCredentials=[CODECOMMIT],
        PermissionsBoundary=BOUNDARY,
    )
    (event,) = strict(alice)
    assert event["user"]["has_mfa"] is True
    assert event["unmapped"] == {
        "path": "/",
        "is_console_user": True,
        "access_keys_count": 2,
        "access_keys_unused_90d": 1,
        "access_keys_never_used": 1,
        "signing_certificates_count": 1,
        "ssh_keys_count": 1,
        "service_credentials_count": 1,
        "service_credential_services": ["codecommit.amazonaws.com"],
        "mfa_kinds": ["fido"],
        "has_hardware_mfa": True,
        "last_access_key_use_time": strict_profile.epoch_millis(NOW - timedelta(days=5)),
        "last_access_key_use_service": "s3",
        "last_access_key_use_region": "eu-west-1",
        "permissions_boundary": BOUNDARY,
        "admin_reasons": ["no policy allows iam:CreateUser on *"],
        "can_become_admin": False,
        # a console user's key never used, one unused 200 days, two active, one 400 days old
        "failed_controls": ["cis_1_11", "iam_22", "iam_8", "cis_1_13", "iam_3"],
    }
    assert validate_strict([event], now=NOW.timestamp()) == []


def test_strict_events_omit_what_is_none_and_list_what_is_unknown():
    (nothing,) = strict(raw("bob"))  # no key ever used, no boundary: known, so not listed
    assert "unknown_attributes" not in nothing["unmapped"]
    assert "permissions_boundary" not in nothing["unmapped"]
    assert "last_access_key_use_time" not in nothing["unmapped"]
    denied = raw(
        "carol",
        AccessKeys=[key(10, None)],
        SSHPublicKeys=None,
        PermissionsBoundary=None,
        UnknownFields={"AccessKeys[].LastUsed": "denied", "SSHPublicKeys": "denied"},
    )
    (event,) = strict(denied)
    assert event["unmapped"]["unknown_attributes"] == [
        "unmapped.access_keys_unused_90d",
        "unmapped.access_keys_never_used",
        "unmapped.ssh_keys_count",
        "unmapped.last_access_key_use_time",
        "unmapped.last_access_key_use_service",
        "unmapped.last_access_key_use_region",
        "unmapped.permissions_boundary",
    ]
    assert validate_strict([event], now=NOW.timestamp()) == []


def test_an_enriched_record_of_the_previous_version_still_maps():
    record = records(raw("dave", SSHPublicKeys=[SSH]))[0]
    old = {name: value for name, value in record.items() if name in OLD_COLUMNS}
    event = strict_profile.strict_user_inventory_event(old)  # type: ignore[arg-type]
    assert "unmapped.ssh_keys_count" in event["unmapped"]["unknown_attributes"]
    assert validate_strict([event], now=NOW.timestamp()) == []


OLD_COLUMNS = [
    column
    for column in enrich.ENRICHED_COLUMNS
    if column not in (*FACT_COLUMNS, "credentials") and not column.startswith("last_key_use")
]
STRICT_PATHS = {row.path for row in strict_profile.STRICT_MAPPING}


def leaves(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [leaf for item in value for leaf in leaves(item, f"{path}[]")]
    return [path]


def covered(path: str) -> bool:
    return path in STRICT_PATHS or any(row.startswith(f"{path}[]") for row in STRICT_PATHS)


def nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return any(nulls(item) for item in value.values())
    if isinstance(value, list):
        return any(nulls(item) for item in value)
    return value is None


statuses = st.sampled_from(["Active", "Inactive"])
maybe_days = st.none() | st.integers(0, 5000)


@st.composite
def credential_users(draw: st.DrawFn) -> dict[str, Any]:
    """A raw user whose every credential fact may be unknown, empty, or of any kind."""
    n = draw(st.integers(0, 10**6))

    def listing(make):
        return draw(st.none() | st.lists(make, max_size=3))

    fields: dict[str, Any] = {
        "AccessKeys": listing(st.builds(key, st.integers(0, 5000), maybe_days, statuses)),
        "MFADevices": listing(st.sampled_from([VIRTUAL, FIDO, TOKEN])),
        "SigningCertificates": listing(st.builds(lambda s: {**CERT, "Status": s}, statuses)),
        "SSHPublicKeys": listing(st.builds(lambda s: {**SSH, "Status": s}, statuses)),
        "ServiceSpecificCredentials": listing(
            st.builds(
                lambda s, service: {**CODECOMMIT, "Status": s, "ServiceName": service},
                statuses,
                st.sampled_from(["codecommit.amazonaws.com", "cassandra.amazonaws.com"]),
            )
        ),
        "PermissionsBoundary": draw(st.sampled_from([None, "", BOUNDARY])),
    }
    unknown = {name: "AccessDenied (fuzzed)" for name, value in fields.items() if value is None}
    if draw(st.booleans()):
        unknown["AccessKeys[].LastUsed"] = "AccessDenied (fuzzed)"
    return raw(f"user-{n}", UserId=f"AIDAFUZZ{n}", **fields, UnknownFields=unknown)


@pytest.mark.slow
@FUZZ
@given(st.lists(credential_users(), min_size=1, max_size=3, unique_by=lambda u: u["UserId"]))
def test_fuzzed_credential_facts_give_valid_strict_events_with_a_row_per_path(raws):
    events = strict(*raws)
    assert validate_strict(events, now=NOW.timestamp()) == []
    for event in events:
        assert not nulls(event)
        assert [path for path in leaves(event) if not covered(path)] == []
    by_id = {record["user_id"]: record for record in records(*raws)}
    for raw_user in raws:
        record = by_id[raw_user["UserId"]]
        sources = {field: raw_user[field] is None for field in SOURCES.values()}
        keys = raw_user["AccessKeys"]  # key use is unknown for keys whose use was not read
        sources["AccessKeys"] = keys is None or (
            bool(keys) and "AccessKeys[].LastUsed" in raw_user["UnknownFields"]
        )
        unknown = {column for column in FACT_COLUMNS if record[column] is None}
        assert unknown == {column for column in FACT_COLUMNS if sources[SOURCES[column]]}


# The raw field each fact column comes from: the column is unknown exactly when that is.
SOURCES = {
    "access_keys_unused_90d": "AccessKeys",
    "access_keys_never_used": "AccessKeys",
    "active_signing_certificates": "SigningCertificates",
    "active_ssh_keys": "SSHPublicKeys",
    "active_service_credentials": "ServiceSpecificCredentials",
    "service_credential_services": "ServiceSpecificCredentials",
    "mfa_kinds": "MFADevices",
    "has_hardware_mfa": "MFADevices",
    "permissions_boundary": "PermissionsBoundary",
}


# -- the default (product page) profile does not move ----------------------------------------


def test_the_default_profile_ignores_the_new_facts_byte_for_byte():
    old_shape = [PROGRAMMATIC_USER, CONSOLE_USER]
    new_shape = [
        {
            **copy.deepcopy(user),
            "AccessKeys": [
                {**k, "LastUsedDate": days_ago(3), "LastUsedService": "s3", "LastUsedRegion": "x"}
                for k in user["AccessKeys"]
            ],
            "MFADevices": [{**d, "Kind": "virtual"} for d in user["MFADevices"]],
            "SigningCertificates": [CERT],
            "SSHPublicKeys": [SSH],
            "ServiceSpecificCredentials": [CODECOMMIT],
            "PermissionsBoundary": BOUNDARY,
        }
        for user in old_shape
    ]

    def encoded(users):
        events = sekoia_profile.user_inventory_events(records(*users))
        return [json.dumps(event, separators=(",", ":")) for event in events]

    assert encoded(new_shape) == encoded(old_shape)

"""An inventory as of the run at a few calls a day: the report's age is checked, CloudTrail's event
history names who changed since the report and since per-user facts were read, and those facts
are carried from the last run while nothing touched them.

moto serves IAM behind the IAM proxy, which also keeps a credential report as another scanner
would leave it and serves CloudTrail's history over the writes it forwarded
(``support/trail_simulated.py``). The truth every bulk read is held to is a fresh per-user read.
"""

import json
import stat
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iam_assets.analysis import enrich
from iam_assets.collect.carried_facts import CarriedFacts, Fact, from_state, plan, to_state
from iam_assets.collect.client import build_cloudtrail_client, build_iam_client
from iam_assets.collect.collector import collect_users
from iam_assets.collect.freshness import Incremental
from iam_assets.collect.trail_changes import ROOT, Change, TrailChanges, _collect
from iam_assets.demo.seed import DEMO_USERS, seed_users
from iam_assets.demo.seed_credentials import certificate, mfa_serial, ssh_key
from iam_assets.ocsf.strict_profile import strict_user_inventory_events
from iam_assets_tests.support.credential_reports import ACCOUNT, NAME_CHARS
from iam_assets_tests.support.graph import materialize_graph, metadata
from iam_assets_tests.support.strategies import comparable

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def collect(proxy, *, carried=None, trail=True, strategy="bulk", **kwargs):
    incremental = None
    if trail:
        incremental = Incremental(
            trail_client=build_cloudtrail_client(boto3.session.Session(), endpoint_url=proxy.url),
            carried=carried or CarriedFacts(),
            **kwargs,
        )
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    return collect_users(
        client,
        strategy=strategy,
        report_poll_seconds=0.05,
        report_timeout_seconds=2,
        incremental=incremental,
    )


def truth(proxy):
    """What a fresh per-user read of the whole account says, user by user."""
    return {
        u["UserName"]: comparable(u) for u in collect(proxy, trail=False, strategy="per_user").users
    }


def as_read(result):
    return {u["UserName"]: comparable(u) for u in result.users}


def change_every_kind(iam):
    """A day of IAM administration, each change through the proxy (so CloudTrail records it)."""
    iam.create_access_key(UserName="heidi.idle")
    key = iam.list_access_keys(UserName="carol.rotating")["AccessKeyMetadata"][0]
    iam.delete_access_key(UserName="carol.rotating", AccessKeyId=key["AccessKeyId"])
    iam.create_login_profile(UserName="ci-deployer", Password="A-long-pass-phrase-1")
    iam.delete_login_profile(UserName="bob.no-mfa")
    serial = mfa_serial(iam, "ivan.token", "hardware", ACCOUNT)
    iam.enable_mfa_device(
        UserName="heidi.idle",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="234567",
    )
    frank = iam.list_mfa_devices(UserName="frank.many-tags")["MFADevices"][0]
    iam.deactivate_mfa_device(UserName="frank.many-tags", SerialNumber=frank["SerialNumber"])
    iam.upload_ssh_public_key(UserName="svc-backup", SSHPublicKeyBody=ssh_key("svc-backup", 7))
    iam.upload_signing_certificate(UserName="ivan.contractor", CertificateBody=certificate())
    return {
        "heidi.idle",
        "carol.rotating",
        "ci-deployer",
        "bob.no-mfa",
        "frank.many-tags",
        "svc-backup",
        "ivan.contractor",
    }


@pytest.fixture
def via_proxy(iam_proxy):
    return boto3.client("iam", endpoint_url=iam_proxy.url, region_name="us-east-1")


@pytest.mark.slow
def test_a_report_made_before_the_changes_gives_way_to_what_cloudtrail_says(
    iam_admin, iam_proxy, via_proxy
):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.keep_credential_report(made_seconds_ago=3600)  # another scanner's, an hour ago
    changed = change_every_kind(via_proxy)
    expected = truth(iam_proxy)

    stale = collect(iam_proxy, trail=False)  # what the report alone says: wrong for them
    # (with nothing carried, MFA device lists and SSH keys are read live: frank and svc-backup)
    in_report = changed - {"frank.many-tags", "svc-backup"}
    assert {n for n in changed if as_read(stale)[n] != expected[n]} == in_report

    iam_proxy.actions.clear()
    result = collect(iam_proxy)
    calls = dict(iam_proxy.actions)
    assert as_read(result) == expected
    # Whose report facts changed (SSH keys are no report fact: svc-backup's were read anyway).
    assert result.freshness.changed_users == sorted(changed - {"svc-backup"})
    assert result.freshness.change_history == "read"
    assert 3600 <= result.freshness.report_age_seconds < 3700
    # Each changed user is read for what changed only, not from scratch.
    assert "GetUser" not in calls and calls["ListAccessKeys"] == 2  # heidi's and carol's keys


@pytest.mark.slow
def test_without_cloudtrail_the_run_warns_names_the_report_age_and_carries_nothing(
    iam_admin, iam_proxy, via_proxy
):
    seed_users(iam_admin, DEMO_USERS)
    first = collect(iam_proxy)
    carried = from_state(to_state(first.users, datetime.now(UTC)))
    iam_proxy.keep_credential_report(made_seconds_ago=1800)
    iam_proxy.trail.denied = True
    iam_proxy.actions.clear()
    result = collect(iam_proxy, carried=carried)
    assert result.freshness.history_unavailable.startswith("AccessDeniedException")
    assert result.freshness.carried_facts == 0
    assert iam_proxy.actions["ListSSHPublicKeys"] == len(result.users)  # every fact read anew
    assert 1800 <= result.freshness.report_age_seconds < 1900


@pytest.mark.slow
def test_the_next_run_carries_per_user_facts_and_reads_only_what_changed(
    iam_admin, iam_proxy, via_proxy
):
    seed_users(iam_admin, DEMO_USERS)
    first = collect(iam_proxy)
    read_at = datetime.now(UTC) - timedelta(seconds=1)
    state = json.loads(json.dumps(to_state(first.users, read_at)))  # as stored, as JSON
    via_proxy.upload_ssh_public_key(UserName="grace.readonly", SSHPublicKeyBody=ssh_key("g", 3))
    iam_proxy.actions.clear()

    result = collect(iam_proxy, carried=from_state(state), reverify_days=90)
    calls = dict(iam_proxy.actions)
    assert as_read(result) == truth(iam_proxy)
    # grace's keys (an event since), and the rolling slice's one oldest fact; the rest carried.
    with_devices = [u for u in first.users if u["MFADevices"]]
    assert calls["ListSSHPublicKeys"] + calls.get("ListMFADevices", 0) == 2
    assert calls["ListSSHPublicKeys"] >= 1 and len(with_devices) > 1
    # Every user's SSH keys and every MFA device list, but grace's keys and the slice's one.
    assert result.freshness.carried_facts == len(DEMO_USERS) + len(with_devices) - 2
    grace = next(u for u in result.users if u["UserName"] == "grace.readonly")
    assert "SSHPublicKeys" not in grace.get("FactsReadAt", {})  # read now
    # The strict profile says how old a carried fact is; grace's keys are this run's.
    events = strict_user_inventory_events(enrich.to_records(enrich.enrich_users(result.users)))
    ages = {e["user"]["name"]: e["unmapped"].get("facts_read_at", {}) for e in events}
    stamp = int(read_at.replace(microsecond=0).timestamp() * 1000)
    assert ages["svc-backup"]["ssh_keys"] == stamp and "ssh_keys" not in ages["grace.readonly"]
    carried_users = [u for u in result.users if u.get("FactsReadAt")]
    assert carried_users and all(
        stamp == read_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        for user in carried_users
        for stamp in user["FactsReadAt"].values()
    )


@pytest.mark.slow
def test_a_report_too_old_or_from_the_future_is_not_used(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.keep_credential_report(made_seconds_ago=5 * 3600)  # IAM would make a new one
    fresh = collect(iam_proxy)
    assert fresh.strategy == "bulk" and fresh.freshness.report_age_seconds < 60

    iam_proxy.keep_credential_report(made_seconds_ago=-3600)  # a clock an hour ahead
    ahead = collect(iam_proxy, strategy="auto")
    assert ahead.strategy == "per_user" and "in the future" in ahead.strategy_reason
    assert {u["UserName"]: comparable(u) for u in ahead.users} == truth(iam_proxy)


@pytest.mark.slow
def test_a_report_that_never_completes_falls_back_to_per_user_calls(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.rewrite("GenerateCredentialReport", lambda p: p.replace(b"COMPLETE", b"STARTED"))
    result = collect(iam_proxy, strategy="auto")
    assert result.strategy == "per_user" and "not ready after 2 s" in result.strategy_reason
    assert len(result.users) == len(DEMO_USERS)


def fact(days_ago: float, value=()):
    return Fact(value=list(value), read_at=NOW - timedelta(days=days_ago))


def user(name, user_id=None, mfa=None, listed=()):
    return {
        "UserName": name,
        "UserId": user_id or f"AIDA{name}",
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "MFAActive": mfa,
        "MFADevices": list(listed),
    }


def carried(facts):
    return CarriedFacts(
        {f"arn:aws:iam::{ACCOUNT}:user/{n}": (f"AIDA{n}", f) for n, f in facts.items()}
    )


def test_the_rolling_slice_rereads_the_oldest_and_the_budget_caps_it():
    users = {f"u{i}": (user(f"u{i}"), ("SSHPublicKeys",)) for i in range(10)}
    facts = carried({f"u{i}": {"SSHPublicKeys": fact(i * 0.4)} for i in range(10)})
    trail = TrailChanges(since=NOW - timedelta(days=90))
    chosen = plan(users, facts, trail, NOW, reverify_days=5)
    assert chosen.to_read == {"u9": ["SSHPublicKeys"], "u8": ["SSHPublicKeys"]}  # 10/5, oldest
    assert chosen.reverified == 2 and chosen.oldest == NOW - timedelta(days=7 * 0.4)
    capped = plan(users, facts, trail, NOW, reverify_days=5, budget=1)
    assert capped.to_read == {"u9": ["SSHPublicKeys"]} and capped.over_budget == 1
    # Older than 3 days (u8, u9): read whatever the budget; then 8 kept / 3 days: 3 more.
    overdue = plan(users, facts, trail, NOW, reverify_days=3, budget=0)
    assert set(overdue.to_read) == {"u8", "u9"} and overdue.over_budget == 3
    assert set(plan(users, facts, trail, NOW, reverify_days=3).to_read) == {
        "u5",
        "u6",
        "u7",
        "u8",
        "u9",
    }


def test_a_fact_is_read_again_when_anything_says_it_may_be_wrong():
    wanted = {
        "changed": (user("changed"), ("SSHPublicKeys",)),
        "recreated": (user("recreated", user_id="AIDAnew"), ("SSHPublicKeys",)),
        "new": (user("new"), ("SSHPublicKeys",)),
        "mfa.gone": (user("mfa.gone", mfa=True, listed=[]), ("MFADevices",)),
        "mfa.same": (
            user("mfa.same", mfa=True, listed=[{"SerialNumber": "arn:v"}]),
            ("MFADevices",),
        ),
        "kept": (user("kept"), ("SSHPublicKeys",)),
    }
    virtual = [{"SerialNumber": "arn:v", "Kind": "virtual", "EnableDate": None}]
    facts = carried(
        {
            "changed": {"SSHPublicKeys": fact(2)},
            "recreated": {"SSHPublicKeys": fact(2)},
            "mfa.gone": {"MFADevices": fact(2, virtual)},  # the listing no longer shows it
            "mfa.same": {"MFADevices": fact(2, virtual)},
            "kept": {"SSHPublicKeys": fact(2)},
        }
    )
    trail = TrailChanges(since=NOW - timedelta(days=3))
    trail.changes.append(Change("changed", ("SSHPublicKeys",), NOW - timedelta(days=1), "x"))
    chosen = plan(wanted, facts, trail, NOW, reverify_days=90, budget=0)  # no rolling slice
    assert set(chosen.to_read) == {"changed", "recreated", "new", "mfa.gone"}
    assert set(chosen.carried) == {"mfa.same", "kept"}
    unknown_history = TrailChanges(since=NOW, unavailable="AccessDenied on cloudtrail:LookupEvents")
    assert not plan(wanted, facts, unknown_history, NOW).carried
    assert not plan(wanted, facts, None, NOW).carried


def trail_event(name, parameters=None, identity=None, error=None):
    detail = {"requestParameters": parameters, "userIdentity": identity or {"type": "Root"}}
    if error:
        detail["errorCode"] = error
    return {
        "EventName": name,
        "EventTime": NOW,
        "Resources": [],
        "CloudTrailEvent": json.dumps(detail),
    }


@given(st.text(NAME_CHARS, min_size=1, max_size=64))
def test_an_event_is_attributed_to_the_user_it_acted_on_whatever_the_name(name):
    found = TrailChanges(since=NOW)
    _collect(
        [
            trail_event("UploadSSHPublicKey", {"userName": name}),
            trail_event("CreateAccessKey", None, {"type": "IAMUser", "userName": name}),  # own
            trail_event("DeleteAccessKey", {"userName": "other"}, error="AccessDenied"),
            trail_event("EnableMFADevice", {}, {"type": "AssumedRole"}),  # names no one
            trail_event("GetUser", {"userName": name}),  # not a change
        ],
        found,
    )
    assert [(c.user, c.fields) for c in found.changes] == [
        (name, ("SSHPublicKeys",)),
        (name, ("AccessKeys",)),
    ]
    assert len(found.unattributed) == 1 and found.unattributed[0].startswith("EnableMFADevice")


@pytest.mark.slow
def test_the_graph_keeps_each_account_s_facts_owner_only_and_carries_them(
    iam_admin, iam_proxy, intake, state, tmp_path
):
    seed_users(iam_admin, DEMO_USERS)
    import dagster as dg

    (tmp_path / "home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "home"))
    first = materialize_graph(iam_proxy, intake, state, instance=instance)
    facts = tmp_path / "state" / f"per_user_facts-{ACCOUNT}.json"
    assert facts.exists() and stat.S_IMODE(facts.stat().st_mode) == 0o600
    assert metadata(first, "raw_iam_users")["change_history"] == "not needed"
    second = materialize_graph(iam_proxy, intake, state, instance=instance)
    shown = metadata(second, "raw_iam_users")
    assert shown["change_history"] == "read" and shown["per_user_facts_carried"] > 0
    assert shown["cloudtrail_lookups"] >= 5
    # Dagster's stored outputs (the whole inventory, pickled) and the state: owner-only.
    stored = [p for p in (tmp_path / "home" / "storage").rglob("*") if p.is_file()]
    stored += [p for p in (tmp_path / "state").rglob("*.json")]
    assert stored and [str(p) for p in stored if stat.S_IMODE(p.stat().st_mode) & 0o077] == []


def test_a_state_edited_by_hand_never_stops_the_inventory_and_keeps_what_is_sound():
    sound = {
        "value": [{"SSHPublicKeyId": "APKA1", "Status": "Active"}],
        "read_at": "2026-05-01T00:00:00Z",
    }
    arn = f"arn:aws:iam::{ACCOUNT}:user/kept"
    state = {
        "version": 1,
        "users": {
            arn: {
                "UserId": "AIDAkept",
                "facts": {"SSHPublicKeys": sound, "MFADevices": {"read_at": 1}},
            },
            "bad-1": {
                "UserId": "AIDAx",
                "facts": {"SSHPublicKeys": {"value": [1], "read_at": "x"}},
            },
            "bad-2": {
                "UserId": "AIDAy",
                "facts": {"SSHPublicKeys": {"value": [], "read_at": "yesterday"}},
            },
            "bad-3": {"UserId": "AIDAz", "facts": ["not", "a", "mapping"]},
            "bad-4": "nothing",
        },
    }
    facts = from_state(state)
    assert facts.fact({"Arn": arn, "UserId": "AIDAkept"}, "SSHPublicKeys").value == sound["value"]
    assert facts.fact({"Arn": arn, "UserId": "AIDAkept"}, "MFADevices") is None
    assert all(not facts.by_arn.get(name, ("", {}))[1] for name in ("bad-1", "bad-2", "bad-3"))
    for broken in (None, [], {"version": 1, "users": []}, {"version": 2, "users": {}}, "text"):
        assert len(from_state(broken)) == 0


def test_names_match_regardless_of_case_and_the_root_is_named_as_such():
    found = TrailChanges(since=NOW)
    _collect(
        [
            trail_event("UploadSSHPublicKey", {"userName": "Alice"}),
            trail_event("CreateAccessKey", {}, {"type": "Root", "accountId": ACCOUNT}),
        ],
        found,
    )
    assert found.changed_since("alice", "SSHPublicKeys", NOW - timedelta(hours=1))
    assert not found.changed_since("alice", "SSHPublicKeys", NOW + timedelta(hours=1))
    assert found.changed_since(ROOT, "AccessKeys", NOW - timedelta(hours=1))


@pytest.mark.slow
def test_every_page_of_virtual_mfa_devices_is_read_and_the_next_run_carries_every_list(
    iam_admin, iam_proxy
):
    for index in range(130):  # more than a page of IAM's (100) and of moto's
        name = f"mfa-{index:03d}"
        iam_admin.create_user(UserName=name)
        serial = mfa_serial(iam_admin, name, "virtual", ACCOUNT)
        iam_admin.enable_mfa_device(
            UserName=name,
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="234567",
        )
    iam_proxy.max_page["ListVirtualMFADevices"] = 50
    first = collect(iam_proxy)
    state = to_state(first.users, first.started_at)
    iam_proxy.actions.clear()
    iam_proxy.pages.clear()
    result = collect(iam_proxy, carried=from_state(state), reverify_days=80)
    assert iam_proxy.pages["ListVirtualMFADevices"] == 3  # 130 devices, 50 a page
    # Every device list agrees with the listing: only the rolling slice reads any (260/80).
    assert iam_proxy.actions["ListMFADevices"] + iam_proxy.actions["ListSSHPublicKeys"] == 4
    assert all(user["MFAActive"] for user in result.users)

"""Collection against moto served on loopback (boto3 -> HTTP -> IAM-like proxy -> moto)."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_assets.analysis import enrich
from iam_assets.collect import collector
from iam_assets.collect.account_settings import ACCOUNT_ACTIONS
from iam_assets.collect.client import IAMCollectionError, build_iam_client
from iam_assets.collect.collector import collect_users
from iam_assets.collect.credential_report import FIELD_COLUMNS
from iam_assets.demo.seed import (
    DEMO_USERS,
    MOTO_ACCOUNT_ID,
    SEED_EXAMPLE_USERS,
    VARIED_USERS,
    DemoUser,
    backdate,
    generated_users,
    seed_users,
)
from iam_assets.ocsf import sekoia_profile
from iam_assets_tests.support.credential_reports import (
    HEADER,
    STYLES,
    ReportUser,
    iam_names,
    iam_paths,
    render,
    report_cells,
    reworked_report,
)
from iam_assets_tests.support.iam_proxy import IAMProxy
from iam_assets_tests.support.strategies import IGNORED_BY_COMPARISON, comparable

POLICY_FILE = Path(collector.__file__).with_name("iam_policy.json")
MINIMUM_POLICY_FILE = Path(collector.__file__).with_name("iam_policy_minimum.json")


def collect(proxy, strategy="per_user", **kwargs):
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    return collect_users(client, strategy=strategy, report_poll_seconds=0.05, **kwargs)


def by_name(result):
    return {user["UserName"]: user for user in result.users}


@pytest.mark.slow
def test_every_page_of_users_is_followed_beyond_1000(iam_admin, iam_proxy):
    for index in range(1050):  # bare users: the listing is what is under test here
        iam_admin.create_user(UserName=f"user-{index:05d}")
    reader = collector.IAMUserCollector(build_iam_client(endpoint_url=iam_proxy.url))
    listed = reader.list_users()
    assert len({user["UserName"] for user in listed}) == 1050
    assert iam_proxy.pages["ListUsers"] == 2  # 1,000 then 50, as IAM pages them


@pytest.mark.slow
def test_full_collection_of_a_varied_generated_account(iam_admin, iam_proxy):
    seed_users(iam_admin, generated_users(60))
    iam_proxy.max_page["ListUsers"] = 25  # three pages, each user read once
    result = collect(iam_proxy, max_workers=4)
    assert len(result.users) == 60
    assert len({user["UserId"] for user in result.users}) == 60
    assert iam_proxy.pages["ListUsers"] == 3
    assert result.calls["GetUser"] == 60


def test_fifty_tags_are_read_across_pages(iam_admin, iam_proxy):
    iam_proxy.max_page["ListUserTags"] = 20
    many = next(user for user in VARIED_USERS if user.name == "frank.many-tags")
    seed_users(iam_admin, (many,))
    (user,) = collect(iam_proxy).users
    assert len(user["Tags"]) == 50
    assert {tag["Key"]: tag["Value"] for tag in user["Tags"]} == many.tags
    assert iam_proxy.pages["ListUserTags"] == 3


@pytest.mark.parametrize("strategy", [pytest.param("per_user", marks=pytest.mark.slow), "bulk"])
def test_varied_account_is_read_as_iam_holds_it(iam_admin, iam_proxy, strategy):
    seed_users(iam_admin, DEMO_USERS)
    result = collect(iam_proxy, strategy)
    assert result.strategy == strategy
    users = by_name(result)
    assert set(users) == {user.name for user in DEMO_USERS}

    rotating = users["carol.rotating"]["AccessKeys"]
    assert sorted(key["Status"] for key in rotating) == ["Active", "Inactive"]
    assert [key["Status"] for key in users["svc-backup"]["AccessKeys"]] == ["Inactive"] * 2

    assert users["erin.former-console"]["ConsoleAccessEnabled"] is False  # profile deleted
    assert users["bob.no-mfa"]["ConsoleAccessEnabled"] is True
    assert users["dave.lost-mfa"]["MFAActive"] is False  # deactivated MFA is no MFA
    assert users["grace.readonly"]["MFAActive"] is True

    alice = users["alice.admin"]
    assert alice["Groups"] == [
        {
            "GroupName": "Admins",
            "Arn": f"arn:aws:iam::{MOTO_ACCOUNT_ID}:group/Admins",
            "AttachedPolicies": ["AdministratorAccess"],
            "InlinePolicies": [],
        }
    ]
    deployer = users["ci-deployer"]
    assert deployer["Path"] == "/automation/"
    assert deployer["AttachedPolicies"] == ["PowerUserAccess"]
    assert deployer["InlinePolicies"] == ["assume-deploy-role"]
    assert users["heidi.idle"]["AccessKeys"] == []
    assert users["heidi.idle"]["Tags"] == []
    assert all(user["UnknownFields"] == {} for user in users.values())
    for user in users.values():
        assert user["CreateDate"].endswith("Z")


@pytest.mark.slow
def test_group_policies_are_read_once_per_group(iam_admin, iam_proxy):
    seed_users(iam_admin, generated_users(30))  # every 6th user is in Developers
    collect(iam_proxy)
    assert iam_proxy.actions["ListAttachedGroupPolicies"] == 1
    assert iam_proxy.actions["ListGroupPolicies"] == 1


@pytest.mark.slow
def test_access_denied_leaves_the_field_unknown_and_recorded(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListMFADevices", when=lambda params: params["UserName"] == "alice.admin")
    iam_proxy.fail("GetLoginProfile", when=lambda params: params["UserName"] == "bob.no-mfa")
    users = by_name(collect(iam_proxy))
    assert len(users) == len(DEMO_USERS)  # the run goes on
    assert users["alice.admin"]["MFADevices"] is None
    assert users["alice.admin"]["UnknownFields"] == {
        "MFADevices": "AccessDenied on iam:ListMFADevices"
    }
    assert users["bob.no-mfa"]["ConsoleAccessEnabled"] is None  # unknown, not False
    assert "ConsoleAccessEnabled" in users["bob.no-mfa"]["UnknownFields"]
    assert users["grace.readonly"]["MFADevices"] is not None


@pytest.mark.slow
def test_denied_group_policies_are_unknown_for_every_member(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListGroupPolicies", when=lambda params: params["GroupName"] == "Admins")
    users = by_name(collect(iam_proxy))
    for name in ("alice.admin", "dave.lost-mfa"):
        assert users[name]["Groups"][0]["InlinePolicies"] is None
        assert "Groups[Admins].InlinePolicies" in users[name]["UnknownFields"]


@pytest.mark.slow
def test_user_deleted_mid_run_is_dropped_with_a_note(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)

    def delete_heidi(params):
        if params.get("UserName") == "heidi.idle":
            iam_admin.delete_user(UserName="heidi.idle")

    iam_proxy.before("GetUser", delete_heidi)
    notes: list[str] = []
    result = collect(iam_proxy, note=notes.append)
    assert "heidi.idle" not in by_name(result)
    assert len(result.users) == len(DEMO_USERS) - 1
    assert [entry["UserName"] for entry in result.dropped] == ["heidi.idle"]
    assert any("heidi.idle" in note for note in notes)


def test_denied_listing_fails_with_a_clear_message(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS[:1])
    iam_proxy.fail("ListUsers")
    with pytest.raises(IAMCollectionError, match=r"AccessDenied.*iam_policy\.json"):
        collect(iam_proxy, "per_user")


def test_aws_endpoint_url_environment_variable_is_honoured(iam_admin, iam_proxy, monkeypatch):
    seed_users(iam_admin, DEMO_USERS[:2])
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", iam_proxy.url)
    client = build_iam_client(session=boto3.session.Session())
    result = collect_users(client, report_poll_seconds=0.05)
    assert len(result.users) == 2
    assert iam_proxy.actions["GetAccountAuthorizationDetails"] == 1


@pytest.mark.slow
def test_policy_document_grants_every_call_of_every_strategy(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    called: dict[str, set[str]] = {}
    for strategy in ("per_user", "bulk"):
        iam_proxy.actions.clear()
        collect(iam_proxy, strategy)
        called[strategy] = {f"iam:{action}" for action in iam_proxy.actions}
    policy = json.loads(POLICY_FILE.read_text())
    granted = {action for statement in policy["Statement"] for action in statement["Action"]}
    # Bulk: its account-wide APIs, plus the per-user lists none holds (SSH keys, MFA devices
    # of the users with MFA: with no earlier read to carry) and every user's service
    # credentials in one listing; the report's root row and certificate times spare
    # GetAccountSummary and ListSigningCertificates here. Both: the account-wide reads of the
    # controls (password policy, virtual MFA devices). CloudTrail's history is the one call
    # beside IAM.
    assert called["bulk"] == set(collector.BULK_ACTIONS) | set(ACCOUNT_ACTIONS) | {
        "iam:ListSSHPublicKeys",
        "iam:ListMFADevices",
        "iam:ListServiceSpecificCredentials",
    }
    with_mfa = [u for u in DEMO_USERS if u.mfa and not u.deactivate_mfa]
    assert iam_proxy.actions["ListMFADevices"] == len(with_mfa)  # no earlier read to carry
    assert set(collector.ALSO_CALLED_BY_BULK) <= set(collector.PER_USER_ACTIONS)
    assert called["per_user"] == set(collector.PER_USER_ACTIONS) | set(ACCOUNT_ACTIONS)
    assert called["bulk"] | called["per_user"] | set(collector.CHANGE_HISTORY_ACTIONS) == granted
    assert granted == set(collector.IAM_ACTIONS) | set(collector.CHANGE_HISTORY_ACTIONS)
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])


def test_minimum_policy_is_the_seed_list_and_covers_the_per_user_strategy():
    minimum = json.loads(MINIMUM_POLICY_FILE.read_text())
    granted = {action for statement in minimum["Statement"] for action in statement["Action"]}
    # All but the keys' last use and the managed policies' documents, which the page's list
    # lacks: then unknown (see test_credential_facts_collection, test_privilege_collection).
    assert set(collector.PER_USER_ACTIONS) - granted == {
        "iam:GetAccessKeyLastUsed",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    }
    assert not set(collector.BULK_ACTIONS) & granted
    assert not set(ACCOUNT_ACTIONS) & granted  # the controls' reads: then not evaluated
    assert len(granted) == 20  # the Sekoia.io connector page's list, unchanged


def test_collector_rejects_a_nonsense_worker_count():
    with pytest.raises(ValueError, match="max_workers"):
        collector.IAMUserCollector(object(), max_workers=0)


def test_generated_users_are_varied():
    users = generated_users(60)
    assert isinstance(users[0], DemoUser)
    assert {u.console for u in users} == {True, False}
    assert {u.mfa for u in users} == {True, False}
    assert {u.active_keys for u in users} == {0, 1, 2}


@pytest.mark.slow
# -- the bulk strategy ---------------------------------------------------------------------
# What only one side can know: key and certificate ids (per-user), inline documents (bulk).
def test_both_strategies_produce_the_same_raw_users(iam_admin, iam_proxy):
    users = DEMO_USERS + generated_users(40)
    seed_users(iam_admin, users)
    backdate(SEED_EXAMPLE_USERS + VARIED_USERS)  # password-last-used dates, as IAM would have
    per_user = collect(iam_proxy, "per_user")
    bulk = collect(iam_proxy, "bulk")
    assert set(bulk.not_read) | set(per_user.not_read) == set(IGNORED_BY_COMPARISON)
    assert bulk.not_read == collector.NOT_READ_BY_BULK
    assert per_user.not_read == collector.NOT_READ_PER_USER == ()
    assert len(bulk.users) == len(per_user.users) == len(users)
    for left, right in zip(per_user.users, bulk.users, strict=True):
        assert comparable(left) == comparable(right), left["UserName"]
    developer = by_name(bulk)["aws-developer-team"]
    assert developer["PasswordLastUsed"] == "2025-08-26T09:30:00Z"
    assert any(user["Policies"] for user in bulk.users)  # documents compared too


@pytest.mark.slow
def test_bulk_costs_a_few_calls_per_thousand_users_plus_what_only_users_tell(iam_admin, iam_proxy):
    users = generated_users(120)
    seed_users(iam_admin, users)
    iam_proxy.max_page["GetAccountAuthorizationDetails"] = 50  # 120 users + 1 group: 3 pages
    result = collect(iam_proxy, "bulk")
    assert len(result.users) == 120
    assert result.calls == {
        "GetAccountAuthorizationDetails": 3,
        "GenerateCredentialReport": 2,  # STARTED, then COMPLETE
        "GetCredentialReport": 1,
        "ListPolicies": 1,  # the attached AWS managed policies' default versions (none here)
        "ListServiceSpecificCredentials": 1,  # every user's, at once (AllUsers)
        "ListSSHPublicKeys": 120,  # IAM lists SSH keys user by user only
        "ListVirtualMFADevices": 1,  # every assigned virtual device at once
        "ListMFADevices": sum(user.mfa for user in users),  # no earlier read to carry
        "GetAccountPasswordPolicy": 1,  # the account's, for the controls
    }
    made = datetime.fromisoformat(result.report_generated_at)
    assert timedelta(0) <= datetime.now(UTC) - made < timedelta(minutes=1)  # made for this run


@pytest.mark.slow
def test_users_missing_from_the_report_are_read_per_user(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.replace_credential_report(drop_report_rows({"heidi.idle", "bob.no-mfa"}))
    result = collect(iam_proxy, "bulk")
    assert result.completed_per_user == ["bob.no-mfa", "heidi.idle"]
    assert iam_proxy.actions["GetUser"] == 2
    bob = by_name(result)["bob.no-mfa"]
    assert bob["ConsoleAccessEnabled"] is True and bob["MFAActive"] is False
    assert len(result.users) == len(DEMO_USERS)


@pytest.mark.slow
def test_denied_bulk_apis_fall_back_to_per_user_and_say_why(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("GenerateCredentialReport")
    notes: list[str] = []
    result = collect(iam_proxy, "auto", note=notes.append)
    assert result.strategy == "per_user"
    assert "AccessDenied on iam:GenerateCredentialReport" in result.strategy_reason
    assert len(result.users) == len(DEMO_USERS)
    assert any("per-user" in note for note in notes)
    with pytest.raises(IAMCollectionError, match="bulk strategy was requested"):
        collect(iam_proxy, "bulk")


def test_report_in_progress_and_limit_exceeded_are_waited_out(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS[:2])
    fetches = {"n": 0}

    def first_fetch(_params):
        fetches["n"] += 1
        return fetches["n"] == 1

    generations = {"n": 0}

    def first_generation(_params):
        generations["n"] += 1
        return generations["n"] == 1

    iam_proxy.fail("GenerateCredentialReport", "LimitExceeded", 409, when=first_generation)
    iam_proxy.fail("GetCredentialReport", "ReportInProgress", 404, when=first_fetch)
    result = collect(iam_proxy, "bulk")
    assert result.strategy == "bulk"
    assert len(result.users) == 2
    assert result.calls["GetCredentialReport"] == 2


def drop_report_rows(names: set[str]) -> Callable[[str], str]:
    """A credential report change that removes users from it, as if created later."""

    def rework(text: str) -> str:
        lines = text.splitlines(keepends=True)
        return "".join(line for line in lines if line.split(",", 1)[0] not in names)

    return rework


@pytest.mark.slow
def test_throttling_never_reaches_the_user(iam_admin, moto_endpoint):
    from iam_assets_tests.support.iam_proxy import IAMProxy, TokenBucket

    seed_users(iam_admin, DEMO_USERS)
    proxy = IAMProxy(moto_endpoint, throttle=TokenBucket(rate=40, burst=4)).start()
    try:
        result = collect(proxy, "per_user", max_workers=8)
    finally:
        proxy.stop()
    assert proxy.throttled > 0  # IAM said no, often
    assert len(result.users) == len(DEMO_USERS)
    assert all(user["UnknownFields"] == {} for user in result.users)


# -- a credential report that does not fit: never fails the run, never lies -----------------
# User -> (report values that do not fit, what the rejection reason names)
DOES_NOT_FIT = {
    "bob.no-mfa": ({"mfa_active": "maybe"}, "mfa_active"),
    "alice.admin": ({"password_enabled": "maybe"}, "password_enabled"),
    "grace.readonly": ({"password_last_used": "last Tuesday"}, "password_last_used"),
    "carol.rotating": ({"user_creation_time": "2019-01-01T00:00:00+00:00"}, "stale row"),
    "ci-deployer": ({"arn": "arn:aws:iam::123456789012:user/old/ci-deployer"}, "/old/"),
}


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["bulk", "per_user"])
def test_a_report_that_does_not_fit_never_fails_the_run_nor_lies(iam_admin, iam_proxy, strategy):
    seed_users(iam_admin, DEMO_USERS)
    truth = collect(iam_proxy, "per_user")  # per-user calls never read the report
    iam_proxy.replace_credential_report(
        reworked_report(
            values={name: change for name, (change, _why) in DOES_NOT_FIT.items()},
            wider={"erin.former-console"},
        )
    )
    result = collect(iam_proxy, strategy)
    assert [comparable(user) for user in result.users] == [comparable(u) for u in truth.users]
    if strategy == "per_user":
        assert result.report_rows_rejected == {}
        assert "GetCredentialReport" not in result.calls
        return
    expected = {name: why for name, (_change, why) in DOES_NOT_FIT.items()}
    expected["erin.former-console"] = "23 fields, the header 22"
    assert list(result.report_rows_rejected) == sorted(expected)
    for name, why in expected.items():
        assert why in result.report_rows_rejected[name], name
    assert result.completed_per_user == sorted(expected)
    assert result.calls["GetUser"] == len(expected)  # the others came from the report


@pytest.mark.slow
def test_a_row_that_moto_splits_on_a_comma_is_read_per_user(iam_admin, iam_proxy):
    """moto joins report values with commas, unquoted: a name or path with a comma (IAM allows
    both) gives a row wider than the header."""
    odd = DemoUser("ops,admin", path="/a,b/", console=True, mfa=True, active_keys=1)
    seed_users(iam_admin, (*DEMO_USERS[:2], odd))
    bulk = collect(iam_proxy, "bulk")
    per_user = collect(iam_proxy, "per_user")
    assert list(bulk.report_rows_rejected) == ["ops,admin"]
    assert "25 fields, the header 22" in bulk.report_rows_rejected["ops,admin"]
    assert [comparable(user) for user in bulk.users] == [comparable(u) for u in per_user.users]


# Raw field -> the event attribute (seed profile) that must then be null.
EVENT_ATTRIBUTE = {
    "AccessKeys": "access_keys_count",
    "ConsoleAccessEnabled": "is_console_user",
    "MFAActive": "has_mfa",
    "PasswordLastUsed": "password_last_used_time",
}


@pytest.mark.slow
@pytest.mark.parametrize("raw_field", sorted(EVENT_ATTRIBUTE))  # the credential facts' own
def test_a_report_without_a_column_leaves_its_field_unknown_never_zero(  # test is elsewhere
    iam_admin, iam_proxy, raw_field
):
    seed_users(iam_admin, DEMO_USERS)
    columns = FIELD_COLUMNS[raw_field]
    iam_proxy.replace_credential_report(reworked_report(drop=columns))
    result = collect(iam_proxy, "bulk")
    # Without mfa_active, the report no longer says whose MFA devices to list; a user holding a
    # virtual device is still known to have MFA (the account-wide listing says so).
    virtual = set()
    if raw_field == "MFAActive":
        virtual = {u.name for u in DEMO_USERS if u.mfa and not u.deactivate_mfa}
        virtual -= {u.name for u in DEMO_USERS if u.mfa_kind != "virtual"}
        assert virtual
    unknown = len(DEMO_USERS) - len(virtual)
    also = {"MFADevices": unknown} if raw_field == "MFAActive" else {}
    assert result.unknown_fields == {raw_field: unknown} | also
    assert result.report_rows_rejected == {} and result.completed_per_user == []
    for user in result.users:
        if user["UserName"] in virtual:
            assert user[raw_field] is True and raw_field not in user["UnknownFields"]
            continue
        assert user[raw_field] is None, user["UserName"]
        assert columns[0] in user["UnknownFields"][raw_field]
    events = sekoia_profile.user_inventory_events(
        enrich.to_records(enrich.enrich_users(result.users))
    )
    expected = {None} | ({True} if virtual else set())
    assert {event["user"][EVENT_ATTRIBUTE[raw_field]] for event in events} == expected


def report_user_of(client, name: str) -> ReportUser:
    """What IAM (here moto) knows of a user, as the credential report would tell it."""
    user = client.get_user(UserName=name)["User"]
    try:
        client.get_login_profile(UserName=name)
        password = True
    except client.exceptions.NoSuchEntityException:
        password = False
    keys = client.list_access_keys(UserName=name)["AccessKeyMetadata"]
    return ReportUser(
        name=name,
        path=user["Path"],
        created=user["CreateDate"],
        password_enabled=password,
        mfa_active=bool(client.list_mfa_devices(UserName=name)["MFADevices"]),
        keys=tuple((key["Status"] == "Active", key["CreateDate"]) for key in keys),
    )


FIELD_OF = {
    column: name
    for name, columns in FIELD_COLUMNS.items()
    if name in EVENT_ATTRIBUTE  # the credential facts' columns: test_credential_facts_collection
    for column in columns
}
BREAKS = (
    ("mfa_active", "maybe"),
    ("password_enabled", "N/A"),
    ("user_creation_time", "2011-01-01T00:00:00+00:00"),  # stale
    ("access_key_1_last_rotated", "soon"),
)


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(
    users=st.lists(
        st.builds(
            DemoUser,
            name=iam_names(),
            path=iam_paths(),
            console=st.booleans(),
            mfa=st.booleans(),
            active_keys=st.integers(0, 1),
            inactive_keys=st.integers(0, 1),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda user: user.name.lower(),
    ),
    style=st.sampled_from(STYLES),
    dropped=st.sets(st.sampled_from(sorted(FIELD_OF)), max_size=1),
    data=st.data(),
)
def test_odd_names_paths_and_reports_read_right_in_both_strategies(
    moto_endpoint, users, style, dropped, data
):
    """Any IAM name and path, a report in any quoting with a column missing and rows that do
    not fit: the bulk run never fails, and each field is what per-user calls read, or unknown."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    admin = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    seed_users(admin, tuple(users))
    truths = [report_user_of(admin, user.name) for user in users]
    broken = {user.name: data.draw(st.sampled_from(BREAKS)) for user in users}
    broken = {name: b for name, b in broken.items() if data.draw(st.booleans())}
    rows = []
    for truth in truths:
        cells = report_cells(truth) | dict([broken[truth.name]] if truth.name in broken else [])
        rows.append([cells[column] for column in HEADER if column not in dropped])
    report = render([c for c in HEADER if c not in dropped], rows, style)
    unknown = {FIELD_OF[column] for column in dropped}
    proxy = IAMProxy(moto_endpoint).start()
    try:
        proxy.replace_credential_report(report)
        per_user = collect(proxy, "per_user")
        bulk = collect(proxy, "bulk")
    finally:
        proxy.stop()
    effective = {
        name
        for name, (column, _value) in broken.items()
        if column not in dropped and FIELD_OF.get(column) not in unknown
    }
    assert effective <= set(bulk.report_rows_rejected)
    assert set(bulk.report_rows_rejected) <= set(bulk.completed_per_user)
    for right, read in zip(per_user.users, bulk.users, strict=True):
        right, read = comparable(right), comparable(read)
        if read["UserName"] not in bulk.completed_per_user:
            # Unknown, and said so: never a default (without mfa_active, nor the MFA devices),
            # but where IAM's account-wide listing shows a virtual device: MFA is known then.
            mfa = {"MFAActive", "MFADevices"}
            listed = bool(right["MFADevices"]) and any(
                d["Kind"] == "virtual" for d in right["MFADevices"]
            )
            missing = unknown | ({"MFADevices"} if "MFAActive" in unknown else set())
            for raw_field in missing - (mfa if listed else set()):
                assert read[raw_field] is None
                assert read["UnknownFields"].pop(raw_field)
                right[raw_field] = None
        assert read == right

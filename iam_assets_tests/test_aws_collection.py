"""Collection against moto served on loopback (boto3 -> HTTP -> IAM-like proxy -> moto)."""

import json
from pathlib import Path

import boto3
import pytest

from iam_assets import aws_iam
from iam_assets.aws_iam import IAMCollectionError, build_iam_client, collect_users
from iam_assets.demo.seed import DEMO_USERS, VARIED_USERS, DemoUser, generated_users, seed_users

POLICY_FILE = Path(aws_iam.__file__).with_name("iam_policy.json")


def collect(proxy, **kwargs):
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    return collect_users(client, **kwargs)


def by_name(result):
    return {user["UserName"]: user for user in result.users}


def test_every_page_of_users_is_followed_beyond_1000(iam_admin, iam_proxy):
    for index in range(1050):  # bare users: the listing is what is under test here
        iam_admin.create_user(UserName=f"user-{index:05d}")
    collector = aws_iam.IAMUserCollector(build_iam_client(endpoint_url=iam_proxy.url))
    listed = collector.list_users()
    assert len({user["UserName"] for user in listed}) == 1050
    assert iam_proxy.pages["ListUsers"] == 2  # 1,000 then 50, as IAM pages them


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


def test_varied_account_is_read_as_iam_holds_it(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    users = by_name(collect(iam_proxy))
    assert set(users) == {user.name for user in DEMO_USERS}

    rotating = users["carol.rotating"]["AccessKeys"]
    assert sorted(key["Status"] for key in rotating) == ["Active", "Inactive"]
    assert [key["Status"] for key in users["svc-backup"]["AccessKeys"]] == ["Inactive"] * 2

    assert users["erin.former-console"]["ConsoleAccessEnabled"] is False  # profile deleted
    assert users["bob.no-mfa"]["ConsoleAccessEnabled"] is True
    assert users["dave.lost-mfa"]["MFADevices"] == []  # deactivated MFA is no MFA
    assert len(users["grace.readonly"]["MFADevices"]) == 1

    alice = users["alice.admin"]
    assert alice["Groups"] == [
        {"GroupName": "Admins", "AttachedPolicies": ["AdministratorAccess"], "InlinePolicies": []}
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


def test_group_policies_are_read_once_per_group(iam_admin, iam_proxy):
    seed_users(iam_admin, generated_users(30))  # every 6th user is in Developers
    collect(iam_proxy)
    assert iam_proxy.actions["ListAttachedGroupPolicies"] == 1
    assert iam_proxy.actions["ListGroupPolicies"] == 1


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


def test_denied_group_policies_are_unknown_for_every_member(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.fail("ListGroupPolicies", when=lambda params: params["GroupName"] == "Admins")
    users = by_name(collect(iam_proxy))
    for name in ("alice.admin", "dave.lost-mfa"):
        assert users[name]["Groups"][0]["InlinePolicies"] is None
        assert "Groups[Admins].InlinePolicies" in users[name]["UnknownFields"]


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
        collect(iam_proxy)


def test_aws_endpoint_url_environment_variable_is_honoured(iam_admin, iam_proxy, monkeypatch):
    seed_users(iam_admin, DEMO_USERS[:2])
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", iam_proxy.url)
    result = collect_users(build_iam_client(session=boto3.session.Session()))
    assert len(result.users) == 2
    assert iam_proxy.actions["ListUsers"] == 1


def test_policy_document_grants_exactly_the_calls_the_collector_makes(iam_admin, iam_proxy):
    seed_users(iam_admin, DEMO_USERS)
    collect(iam_proxy)
    called = {f"iam:{action}" for action in iam_proxy.actions}
    policy = json.loads(POLICY_FILE.read_text())
    granted = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert called == granted == set(aws_iam.IAM_ACTIONS)
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])


def test_collector_rejects_a_nonsense_worker_count():
    with pytest.raises(ValueError, match="max_workers"):
        aws_iam.IAMUserCollector(object(), max_workers=0)


def test_generated_users_are_varied():
    users = generated_users(60)
    assert isinstance(users[0], DemoUser)
    assert {u.console for u in users} == {True, False}
    assert {u.mfa for u in users} == {True, False}
    assert {u.active_keys for u in users} == {0, 1, 2}

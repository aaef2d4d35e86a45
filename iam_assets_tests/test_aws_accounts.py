"""Accounts of an Organization, and sessions in member accounts, against moto on loopback."""

import boto3
import pytest

from iam_assets.collect.accounts import (
    AccountAccessError,
    account_session,
    assumed_role_session,
    caller_account,
    is_active,
    organization_accounts,
    parse_account_ids,
    role_arn,
)
from iam_assets.collect.client import build_iam_client
from iam_assets.collect.collector import collect_users


def test_caller_account_names_the_one_account_of_the_credentials(moto_endpoint, iam_admin):
    assert caller_account(boto3.session.Session(), moto_endpoint).id == "123456789012"


@pytest.mark.slow
def test_active_organization_accounts_and_a_session_in_each(moto_endpoint, iam_admin):
    orgs = boto3.client("organizations", endpoint_url=moto_endpoint, region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    created = []
    for name in ("prod", "dev", "closed"):
        status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)
        created.append(status["CreateAccountStatus"]["AccountId"])
    orgs.close_account(AccountId=created[2])
    accounts = organization_accounts(boto3.session.Session(), moto_endpoint)
    ids = {account.id for account in accounts}
    assert {created[0], created[1]} <= ids and created[2] not in ids
    assert "123456789012" in ids  # the management account is a member too

    prod = assumed_role_session(
        boto3.session.Session(), role_arn(created[0]), endpoint_url=moto_endpoint
    )
    iam = build_iam_client(session=prod, endpoint_url=moto_endpoint)
    iam.create_user(UserName="only-in-prod")
    users = collect_users(iam, strategy="per_user").users
    assert [user["UserName"] for user in users] == ["only-in-prod"]
    assert users[0]["Arn"].startswith(f"arn:aws:iam::{created[0]}:user/")
    assert "only-in-prod" not in {u["UserName"] for u in iam_admin.list_users()["Users"]}


def test_account_state_wins_over_the_retired_status_and_nothing_is_assumed_active():
    """ListAccounts' ``Status`` is retired in favour of ``State`` (September 2026): an answer
    with ``State`` only, or with both disagreeing, is read by ``State``; one with neither is
    not taken for active."""
    assert is_active({"Id": "111111111111", "State": "ACTIVE"})
    assert not is_active({"Id": "111111111111", "State": "PENDING_ACTIVATION"})
    assert not is_active({"Id": "111111111111", "State": "CLOSED", "Status": "ACTIVE"})
    assert is_active({"Id": "111111111111", "Status": "ACTIVE"})
    assert not is_active({"Id": "111111111111"})


def test_explicit_account_lists_are_validated():
    assert parse_account_ids("111111111111, 222222222222 111111111111") == [
        "111111111111",
        "222222222222",
    ]
    with pytest.raises(ValueError, match="12345"):
        parse_account_ids("111111111111,12345")


def test_assumed_credentials_are_renewed_before_they_expire(moto_endpoint, iam_admin, iam_proxy):
    """A session that is already in its last 15 minutes assumes the role again on next use,
    so a collection longer than the session never meets an expired token."""
    arn = role_arn("210987654321")
    session = assumed_role_session(
        boto3.session.Session(), arn, endpoint_url=iam_proxy.url, duration_seconds=900
    )
    iam = build_iam_client(session=session, endpoint_url=iam_proxy.url)
    iam.list_users()
    iam.list_users()
    assert iam_proxy.actions["AssumeRole"] >= 2  # renewed, not reused until it expired
    assert session.get_credentials().get_frozen_credentials().access_key


def test_a_denied_organization_listing_says_what_to_grant_or_configure(iam_admin, iam_proxy):
    iam_proxy.fail("ListAccounts", code="AccessDeniedException", status=400)
    with pytest.raises(AccountAccessError) as raised:
        organization_accounts(boto3.session.Session(), iam_proxy.url)
    message = str(raised.value)
    assert "AccessDeniedException" in message
    assert "iam_policy_organization.json" in message and "IAM_ASSETS_ACCOUNTS" in message


def test_a_role_that_cannot_be_assumed_is_reported_with_its_arn(iam_admin, iam_proxy):
    arn = role_arn("210987654321", "InventoryReader")
    iam_proxy.fail("AssumeRole")
    with pytest.raises(AccountAccessError, match=f"Cannot assume role {arn}.*AccessDenied"):
        account_session(
            boto3.session.Session(),
            "210987654321",
            role_name="InventoryReader",
            endpoint_url=iam_proxy.url,
        )


@pytest.mark.slow
def test_the_resource_reads_the_account_of_the_role_it_is_given(iam_admin, iam_proxy):
    from iam_assets.defs.aws_resource import IAMResource

    hub = role_arn("210987654321", "InventoryHub")
    session = assumed_role_session(boto3.session.Session(), hub, endpoint_url=iam_proxy.url)
    build_iam_client(session=session, endpoint_url=iam_proxy.url).create_user(UserName="hub-user")
    iam_proxy.actions.clear()
    result = IAMResource(endpoint_url=iam_proxy.url, role_arn=hub, max_attempts=2).collect()
    assert result.account_id == "210987654321"
    assert [user["UserName"] for user in result.users] == ["hub-user"]
    assert iam_proxy.actions["GetCallerIdentity"] == 1  # names the account, no permission needed

    iam_proxy.fail("AssumeRole")
    with pytest.raises(AccountAccessError, match=f"{hub} given in IAM_ASSETS_ROLE_ARN"):
        IAMResource(endpoint_url=iam_proxy.url, role_arn=hub, max_attempts=1).collect()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # as configured
def test_the_resource_tls_setting_reaches_sts_as_well_as_iam(moto_endpoint, iam_admin, tmp_path):
    """An endpoint behind a private certificate, with ``verify`` off as configured: naming the
    account (STS), assuming the member role (STS) and reading IAM all honour it, or none would
    get past the handshake."""
    from botocore.exceptions import SSLError

    from iam_assets.defs.aws_resource import IAMResource
    from iam_assets_tests.support.iam_proxy import IAMProxy
    from iam_assets_tests.support.tls import self_signed_context

    proxy = IAMProxy(moto_endpoint, tls=self_signed_context(tmp_path)).start()
    try:
        assert proxy.url.startswith("https://127.0.0.1:")
        member = "210987654321"
        result = IAMResource(endpoint_url=proxy.url, verify=False, max_attempts=1).collect(member)
        assert result.account_id == member
        assert {"GetCallerIdentity", "AssumeRole", "GetAccountAuthorizationDetails"} <= set(
            proxy.actions
        )
        with pytest.raises(SSLError):
            IAMResource(endpoint_url=proxy.url, max_attempts=1).collect(member)
    finally:
        proxy.stop()

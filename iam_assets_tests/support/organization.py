"""A simulated AWS Organization on moto: member accounts with their own IAM users."""

import boto3

from iam_assets.collect.accounts import assumed_role_session, role_arn

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account: the credentials' own


def create_organization(endpoint: str, members: dict[str, list[str]]) -> dict[str, str]:
    """An Organization whose management account is the credentials' own, plus one member
    account per name, each holding the given IAM users; account name -> id."""
    orgs = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    return {name: add_member(endpoint, name, users) for name, users in members.items()}


def add_member(endpoint: str, name: str, users: list[str]) -> str:
    """A new member account (it joins the Organization) holding ``users``; its id."""
    orgs = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    status = orgs.create_account(Email=f"{name}@example.com", AccountName=name)
    account = status["CreateAccountStatus"]["AccountId"]
    session = assumed_role_session(
        boto3.session.Session(region_name="us-east-1"), role_arn(account), endpoint_url=endpoint
    )
    iam = session.client("iam", endpoint_url=endpoint)
    for user in users:
        iam.create_user(UserName=user, Path=f"/{name}/")
    return account


def close_member(endpoint: str, account: str) -> None:
    """The account leaves: closed accounts are no longer ACTIVE in ListAccounts."""
    orgs = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    orgs.close_account(AccountId=account)

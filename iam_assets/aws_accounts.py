"""Which AWS accounts to inventory, and a session in each (no Dagster here).

Groundwork for the Organization-wide inventory: the accounts of an AWS Organization
(``organizations:ListAccounts``, active ones only), the account of the current credentials
(``sts:GetCallerIdentity``), and a boto3 session in a member account through an assumed role whose
credentials refresh themselves before they expire, so that a long run never fails on an expired
token.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.session import Session as BotocoreSession

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
SESSION_NAME = "iam-assets"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Account:
    id: str
    name: str


def caller_account(session: boto3.session.Session, endpoint_url: str | None = None) -> Account:
    """The account the credentials belong to: the single-account inventory's one account."""
    sts = session.client("sts", **({"endpoint_url": endpoint_url} if endpoint_url else {}))
    identity = sts.get_caller_identity()
    return Account(identity["Account"], identity["Account"])


def organization_accounts(
    session: boto3.session.Session, endpoint_url: str | None = None
) -> list[Account]:
    """Active accounts of the Organization (call from the management or a delegated admin)."""
    client = session.client(
        "organizations",
        region_name=session.region_name or "us-east-1",
        **({"endpoint_url": endpoint_url} if endpoint_url else {}),
    )
    accounts: list[Account] = []
    for page in client.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            if account.get("Status", "ACTIVE") == "ACTIVE":
                accounts.append(Account(account["Id"], account.get("Name", account["Id"])))
    return sorted(accounts, key=lambda account: account.id)


def parse_account_ids(text: str) -> list[str]:
    """An explicit list (comma or space separated) of 12-digit account ids, validated."""
    ids = [part for part in re.split(r"[\s,]+", text.strip()) if part]
    wrong = [part for part in ids if not _ACCOUNT_ID.match(part)]
    if wrong:
        raise ValueError(f"not 12-digit AWS account ids: {', '.join(wrong)}")
    return sorted(set(ids))


def role_arn(account_id: str, role_name: str = DEFAULT_ROLE_NAME, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def assumed_role_session(
    source: boto3.session.Session,
    arn: str,
    *,
    external_id: str | None = None,
    endpoint_url: str | None = None,
    session_name: str = SESSION_NAME,
) -> boto3.session.Session:
    """A session in another account whose credentials refresh before they expire."""
    source_credentials = source.get_credentials()
    if source_credentials is None:
        raise RuntimeError("no source credentials to assume a role with")
    extra: dict[str, Any] = {"RoleSessionName": session_name}
    if external_id:
        extra["ExternalId"] = external_id

    def client_creator(service: str, **kwargs: Any) -> Any:
        if endpoint_url:
            kwargs.setdefault("endpoint_url", endpoint_url)
        kwargs.setdefault("region_name", source.region_name or "us-east-1")
        return source.client(service, **kwargs)

    fetcher = AssumeRoleCredentialFetcher(
        client_creator=client_creator,
        source_credentials=source_credentials,
        role_arn=arn,
        extra_args=extra,
    )
    credentials = DeferredRefreshableCredentials(
        refresh_using=fetcher.fetch_credentials, method="assume-role"
    )
    botocore_session = BotocoreSession()
    botocore_session._credentials = credentials  # botocore's documented way has no public setter
    return boto3.session.Session(botocore_session=botocore_session, region_name=source.region_name)


def sessions_by_account(
    source: boto3.session.Session,
    accounts: list[str],
    *,
    role_name: str = DEFAULT_ROLE_NAME,
    external_id: str | None = None,
    endpoint_url: str | None = None,
) -> dict[str, Callable[[], boto3.session.Session]]:
    """Lazily built sessions, one per account id (the role is assumed on first use)."""
    return {
        account: (
            lambda account=account: assumed_role_session(
                source,
                role_arn(account, role_name),
                external_id=external_id,
                endpoint_url=endpoint_url,
            )
        )
        for account in accounts
    }

"""Which AWS accounts to inventory, and a session in each (no Dagster here).

The Organization-wide inventory needs: the accounts of an AWS Organization
(``organizations:ListAccounts``, active ones only) or an explicit list, the account of the current
credentials (``sts:GetCallerIdentity``), and a boto3 session in a member account through an
assumed role whose credentials refresh themselves before they expire, so that a long run never
fails on an expired token.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import Session as BotocoreSession

from iam_assets.collect.client import client_kwargs, error_code

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
# What the collecting principal needs beyond IAM reads to cover an Organization (the checked-in
# iam_policy_organization.json); sts:GetCallerIdentity needs no permission.
ORGANIZATION_ACTIONS = ("organizations:ListAccounts", "sts:AssumeRole")
SESSION_NAME = "iam-assets"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class AccountAccessError(RuntimeError):
    """The collector cannot act in an account: its role cannot be assumed, or STS refused."""


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    partition: str = "aws"  # aws, aws-cn, aws-us-gov: the ARN prefix of the account's roles


def caller_account(
    session: boto3.session.Session,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> Account:
    """The account the credentials belong to: the single-account inventory's one account.

    ``sts:GetCallerIdentity`` needs no permission; it fails only on bad or expired credentials,
    which it reports first and clearly.
    """
    sts = session.client("sts", **client_kwargs(session, endpoint_url, verify))
    try:
        identity = sts.get_caller_identity()
    except ClientError as error:
        raise AccountAccessError(_sts_message(error, "identify the AWS account")) from None
    partition = identity["Arn"].split(":")[1] if identity.get("Arn", "").count(":") > 1 else "aws"
    return Account(identity["Account"], identity["Account"], partition)


def _sts_message(error: ClientError, doing: str) -> str:
    code = error_code(error, "Unknown")
    message = error.response.get("Error", {}).get("Message", "")
    hint = ""
    if code in {"InvalidClientTokenId", "SignatureDoesNotMatch"}:
        hint = " Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE)."
    elif code in {"ExpiredToken", "RequestExpired"}:
        hint = " The session token expired: refresh AWS_SESSION_TOKEN or the SSO login."
    return f"Could not {doing}: {code}: {message}.{hint}"


def organization_accounts(
    session: boto3.session.Session,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> list[Account]:
    """Active accounts of the Organization (call from the management or a delegated admin)."""
    client = session.client("organizations", **client_kwargs(session, endpoint_url, verify))
    accounts: list[Account] = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            accounts.extend(
                Account(account["Id"], account.get("Name") or account["Id"])
                for account in page["Accounts"]
                if is_active(account)
            )
    except ClientError as error:
        message = _sts_message(error, "list the Organization's accounts")
        raise AccountAccessError(
            f"{message} Run from the management account or a delegated administrator with"
            " iam_assets/collect/iam_policy_organization.json, or list the accounts in"
            " IAM_ASSETS_ACCOUNTS instead of 'organization'."
        ) from None
    return sorted(accounts, key=lambda account: account.id)


def is_active(account: Mapping[str, Any]) -> bool:
    """Whether ListAccounts reports the account active. AWS retires ``Status`` in favour of
    ``State`` (September 2026), so ``State`` is read first; an account reporting neither is not
    assumed active (it would fail its partition on a role it may not have)."""
    return (account.get("State") or account.get("Status")) == "ACTIVE"


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
    verify: bool | str | None = None,
    session_name: str = SESSION_NAME,
    duration_seconds: int = 3600,
) -> boto3.session.Session:
    """A session in another account whose credentials refresh before they expire (botocore
    assumes the role again in the last 15 minutes of each session)."""
    source_credentials = source.get_credentials()
    if source_credentials is None:
        raise RuntimeError("no source credentials to assume a role with")
    extra: dict[str, Any] = {"RoleSessionName": session_name, "DurationSeconds": duration_seconds}
    if external_id:
        extra["ExternalId"] = external_id

    def client_creator(service: str, **kwargs: Any) -> Any:
        # botocore's own arguments win; ours fill in endpoint, TLS and region.
        arguments = {**client_kwargs(source, endpoint_url, verify), **kwargs}
        # boto3-stubs type the service as one of its literal names; botocore passes a str
        return source.client(service, **arguments)  # type: ignore[call-overload]

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
    # botocore's documented way; the private attribute has no public setter (nor a stub)
    botocore_session._credentials = credentials  # type: ignore[attr-defined]
    return boto3.session.Session(botocore_session=botocore_session, region_name=source.region_name)


def checked_role_session(
    source: boto3.session.Session,
    arn: str,
    *,
    purpose: str,
    hint: str,
    external_id: str | None = None,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> boto3.session.Session:
    """``assumed_role_session``, with the role assumed once now: a role that cannot be assumed
    fails here, naming its ARN, ``purpose`` and ``hint``, not somewhere inside a collection."""
    session = assumed_role_session(
        source, arn, external_id=external_id, endpoint_url=endpoint_url, verify=verify
    )
    credentials = session.get_credentials()  # the refreshable ones set above: never None
    if credentials is None:
        raise RuntimeError(f"no credentials for the session of {arn}")
    try:
        credentials.get_frozen_credentials()
    except ClientError as error:
        code = error_code(error, "Unknown")
        message = error.response.get("Error", {}).get("Message", "")
        raise AccountAccessError(
            f"Cannot assume role {arn} {purpose}: {code}: {message}. {hint}"
        ) from None
    except BotoCoreError as error:
        raise AccountAccessError(
            f"Cannot assume role {arn} {purpose}: {type(error).__name__}"
        ) from None
    return session


def account_session(
    source: boto3.session.Session,
    account_id: str,
    *,
    role_name: str = DEFAULT_ROLE_NAME,
    partition: str = "aws",
    external_id: str | None = None,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> boto3.session.Session:
    """A session in ``account_id`` through its member role, checked now."""
    return checked_role_session(
        source,
        role_arn(account_id, role_name, partition),
        purpose=f"to inventory AWS account {account_id}",
        hint="Create the role in that account (IAM_ASSETS_MEMBER_ROLE_NAME names it), trust the"
        " collecting principal in it, allow that principal sts:AssumeRole on it"
        " (iam_policy_organization.json), and check IAM_ASSETS_EXTERNAL_ID; or leave the account"
        " out with IAM_ASSETS_EXCLUDE_ACCOUNTS.",
        external_id=external_id,
        endpoint_url=endpoint_url,
        verify=verify,
    )

"""The IAM resource: boto3's credential chain (or explicit keys), optional roles, and the
collection of one account's users."""

from collections.abc import Callable
from typing import Any

import boto3
import dagster as dg
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field

from iam_assets.collect import accounts, carried_facts
from iam_assets.collect.carried_facts import CarriedFacts
from iam_assets.collect.client import build_cloudtrail_client, build_iam_client
from iam_assets.collect.collector import STRATEGIES, CollectionResult, collect_users
from iam_assets.collect.freshness import Incremental

ROLE_VARIABLE = "IAM_ASSETS_ROLE_ARN"
MEMBER_ROLE_VARIABLE = "IAM_ASSETS_MEMBER_ROLE_NAME"
EXTERNAL_ID_VARIABLE = "IAM_ASSETS_EXTERNAL_ID"
STRATEGY_VARIABLE = "IAM_ASSETS_STRATEGY"
WORKERS_VARIABLE = "IAM_ASSETS_MAX_WORKERS"
SSH_KEYS_VARIABLE = "IAM_ASSETS_READ_SSH_KEYS"
CHANGES_VARIABLE = "IAM_ASSETS_READ_CHANGES"
REVERIFY_VARIABLE = "IAM_ASSETS_REVERIFY_DAYS"
BUDGET_VARIABLE = "IAM_ASSETS_IAM_CALL_BUDGET"


class AWSCredentialsMissing(RuntimeError):
    """boto3's chain found no credentials at all."""


class IAMResource(ResourceWithBoto3Configuration):
    """IAM access on dagster-aws's boto3 configuration.

    Everything left unset falls back to boto3's standard chain: environment variables,
    ``AWS_PROFILE``, SSO, instance or task role; ``AWS_ENDPOINT_URL(_IAM)`` points it at a
    simulator. Secrets given explicitly must come through ``dg.EnvVar``.
    """

    max_attempts: int = Field(
        default=10, description="botocore attempts per call (adaptive mode backs off on throttling)"
    )
    retry_mode: str = Field(default="adaptive", description="botocore retry mode")
    role_arn: str | None = Field(
        default=None, description=f"Role to assume before reading IAM (env {ROLE_VARIABLE})"
    )
    external_id: str | None = Field(
        default=None, description=f"External id for the roles (env {EXTERNAL_ID_VARIABLE})"
    )
    member_role_name: str = Field(
        default=accounts.DEFAULT_ROLE_NAME,
        description=f"Role assumed in the Organization's other accounts ({MEMBER_ROLE_VARIABLE})",
    )
    max_workers: int = Field(
        default=4,
        description=f"Users read in parallel by per-user calls ({WORKERS_VARIABLE}); size it to"
        " the account's IAM throttle",
    )
    read_ssh_keys: bool = Field(
        default=True,
        description=f"Read each user's SSH public keys ({SSH_KEYS_VARIABLE}): one IAM call per"
        " user in both strategies; false leaves them unread",
    )
    read_changes: bool = Field(
        default=True,
        description=f"Read CloudTrail's event history ({CHANGES_VARIABLE}) for what changed since"
        " the credential report and since per-user facts were read, so that those facts can be"
        " carried from the last run; false reads every per-user fact every run",
    )
    reverify_days: int = Field(
        default=carried_facts.DEFAULT_REVERIFY_DAYS,
        description=f"Re-read every carried per-user fact within this many days"
        f" ({REVERIFY_VARIABLE}), whatever CloudTrail says",
    )
    iam_call_budget: int | None = Field(
        default=None,
        description=f"At most this many IAM calls a run for re-verifying carried facts"
        f" ({BUDGET_VARIABLE}); unset: no cap",
    )
    strategy: str = Field(
        default="auto",
        description=f"{', '.join(STRATEGIES)} ({STRATEGY_VARIABLE}): auto uses the bulk APIs"
        " and falls back to per-user calls when they are denied",
    )

    def __repr_args__(self):  # never show AWS secrets, even resolved
        for name, value in super().__repr_args__():
            secret = name in {"aws_secret_access_key", "aws_session_token", "external_id"}
            yield name, ("***" if secret and value else value)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"{STRATEGY_VARIABLE} / strategy must be one of {', '.join(STRATEGIES)},"
                f" got {self.strategy!r}"
            )
        if self.max_workers < 1:
            raise ValueError(f"{WORKERS_VARIABLE} / max_workers must be at least 1")
        if not 1 <= self.reverify_days <= 90:
            raise ValueError(f"{REVERIFY_VARIABLE} / reverify_days must be between 1 and 90")

    @property
    def _verify(self) -> bool | None:
        """TLS verification as configured; ``None`` lets botocore decide (``AWS_CA_BUNDLE``)."""
        return None if self.verify is True else self.verify

    def _session(self) -> boto3.session.Session:
        """boto3's chain (or the explicit keys), then the optional role of ``role_arn``."""
        session = boto3.session.Session(
            profile_name=self.profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            region_name=self.region_name,
        )
        if session.get_credentials() is None:
            raise AWSCredentialsMissing(
                "No AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
                " AWS_PROFILE (SSO profiles too), or run where an instance/task role is available."
            )
        if not self.role_arn:
            return session
        return accounts.checked_role_session(
            session,
            self.role_arn,
            purpose=f"given in {ROLE_VARIABLE}",
            hint=f"Check {ROLE_VARIABLE}, the role's trust policy and {EXTERNAL_ID_VARIABLE}.",
            external_id=self.external_id,
            endpoint_url=self.endpoint_url,
            verify=self._verify,
        )

    def account_session(self, account_id: str | None) -> tuple[boto3.session.Session, str]:
        """A session in ``account_id`` and that account's id.

        ``None`` (single-account use) or the credentials' own account: the credentials as they
        are. Any other account: its ``member_role_name`` role, assumed and checked now.
        """
        source = self._session()
        caller = accounts.caller_account(source, self.endpoint_url, self._verify)
        if account_id is None or account_id == caller.id:
            return source, caller.id
        session = accounts.account_session(
            source,
            account_id,
            role_name=self.member_role_name,
            partition=caller.partition,
            external_id=self.external_id,
            endpoint_url=self.endpoint_url,
            verify=self._verify,
        )
        return session, account_id

    def organization_accounts(self) -> list[str]:
        """Ids of the Organization's active accounts (run from the management account or a
        delegated administrator)."""
        found = accounts.organization_accounts(self._session(), self.endpoint_url, self._verify)
        return [account.id for account in found]

    def get_client(self, session: boto3.session.Session | None = None) -> Any:
        """One IAM client, reused for the whole collection."""
        return build_iam_client(
            session=session or self._session(),
            endpoint_url=self.endpoint_url,
            max_attempts=self.max_attempts,
            retry_mode=self.retry_mode,
            max_pool_connections=max(10, self.max_workers * 2),
            verify=self._verify,
        )

    def collect(
        self,
        account_id: str | None = None,
        note: Callable[[str], None] | None = None,
        carried: Callable[[str], CarriedFacts] | None = None,
    ) -> CollectionResult:
        """The full user inventory of ``account_id`` (default: the credentials' own account).

        ``carried`` is called once with the account the credentials reach, before IAM is read:
        it gives the per-user facts the last collection of that account read (and may refuse,
        e.g. while another run holds the account)."""
        session, account = self.account_session(account_id)
        facts = carried(account) if carried else CarriedFacts()
        incremental = None
        if self.read_changes and self.strategy != "per_user":
            incremental = Incremental(
                trail_client=build_cloudtrail_client(
                    session, endpoint_url=self.endpoint_url, verify=self._verify
                ),
                carried=facts,
                reverify_days=self.reverify_days,
                call_budget=self.iam_call_budget,
            )
        result = collect_users(
            self.get_client(session),
            strategy=self.strategy,
            max_workers=self.max_workers,
            note=note,
            read_ssh_keys=self.read_ssh_keys,
            incremental=incremental,
        )
        result.account_id = account
        return result

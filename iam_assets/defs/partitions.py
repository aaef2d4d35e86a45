"""Every account of an AWS Organization as one partition of the graph.

``IAM_ASSETS_ACCOUNTS`` chooses the scope. Unset: the one account of the credentials and an
unpartitioned graph, so ``dagster asset materialize --select '*'`` works as it always did. Set to
``organization``: a dynamic partition per active account of the Organization, kept in step by the
``aws_account_discovery`` sensor. Set to account ids: a partition per listed account, for users
without access to Organizations. ``IAM_ASSETS_EXCLUDE_ACCOUNTS`` leaves accounts out of either:
typically the management account when collecting from a delegated administrator that has no
role there.
"""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from iam_assets.collect.accounts import parse_account_ids
from iam_assets.defs.aws_resource import IAMResource

ACCOUNTS_VARIABLE = "IAM_ASSETS_ACCOUNTS"
EXCLUDED_VARIABLE = "IAM_ASSETS_EXCLUDE_ACCOUNTS"
ORGANIZATION = "organization"
DISCOVERY_INTERVAL_SECONDS = 3600

ACCOUNT_PARTITIONS = "aws_accounts"
aws_accounts = dg.DynamicPartitionsDefinition(name=ACCOUNT_PARTITIONS)


@dataclass(frozen=True)
class AccountScope:
    """Which accounts the graph covers: the Organization's, or an explicit list."""

    organization: bool = False
    account_ids: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def describe(self) -> str:
        scope = (
            "the active accounts of the AWS Organization"
            if self.organization
            else f"{len(self.account_ids)} listed account(s)"
        )
        return f"{scope}, except {', '.join(self.excluded)}" if self.excluded else scope

    def accounts(self, organization_accounts: Callable[[], list[str]]) -> set[str]:
        """The account ids to inventory; ``organization_accounts`` is called only when needed."""
        listed = organization_accounts() if self.organization else self.account_ids
        return set(listed) - set(self.excluded)


def account_scope(accounts: str, excluded: str) -> AccountScope | None:
    """The scope that ``IAM_ASSETS_ACCOUNTS`` (``accounts``) and ``IAM_ASSETS_EXCLUDE_ACCOUNTS``
    (``excluded``) say (settings.py reads them): ``None`` for single-account use; a clear error,
    naming the variable, for a bad value."""
    value = accounts.strip()
    if not value:
        if excluded.strip():
            raise ValueError(f"{EXCLUDED_VARIABLE} is set but {ACCOUNTS_VARIABLE} is not")
        return None
    try:
        excluded_ids = tuple(parse_account_ids(excluded))
    except ValueError as error:
        raise ValueError(f"{EXCLUDED_VARIABLE} must list account ids: {error}") from None
    if value.lower() == ORGANIZATION:
        return AccountScope(organization=True, excluded=excluded_ids)
    try:
        return AccountScope(account_ids=tuple(parse_account_ids(value)), excluded=excluded_ids)
    except ValueError as error:
        raise ValueError(
            f"{ACCOUNTS_VARIABLE} must be '{ORGANIZATION}' or a list of account ids: {error}"
        ) from None


def build_discovery_sensor(scope: AccountScope, job: UnresolvedAssetJobDefinition):
    """Adds a partition for each account that joined and removes those that left; a new
    account is inventoried at once (one run), without waiting for the daily schedule."""

    @dg.sensor(
        name="aws_account_discovery",
        job=job,
        minimum_interval_seconds=DISCOVERY_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Keeps one partition per AWS account in step with {scope.describe()}"
        " (organizations:ListAccounts) and inventories new accounts at once.",
    )
    def aws_account_discovery(context: dg.SensorEvaluationContext, iam: IAMResource):
        wanted = scope.accounts(iam.organization_accounts)
        current = set(context.instance.get_dynamic_partitions(ACCOUNT_PARTITIONS))
        joined, left = sorted(wanted - current), sorted(current - wanted)
        if not joined and not left:
            return dg.SkipReason(f"{len(current)} account(s), none joined or left")
        context.log.info(f"accounts joined: {joined or 'none'}; left: {left or 'none'}")
        requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
        if joined:
            requests.append(aws_accounts.build_add_request(joined))
        if left:
            requests.append(aws_accounts.build_delete_request(left))
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=account) for account in joined],
            dynamic_partitions_requests=requests,
        )

    return aws_account_discovery

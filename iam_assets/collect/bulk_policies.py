"""The bulk strategy's policy documents: the authorization details hold the customer-managed
policies' versions and every inline document; the AWS managed policies in use are listed once
(``ListPolicies``) for their default versions, each then read once (``policies.PolicyReader``).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect import policies
from iam_assets.collect.client import IAMCalls, denial
from iam_assets.collect.per_user import boundary
from iam_assets.collect.policies import PolicyReader
from iam_assets.collect.records import PolicyGrant


def learn_aws_managed_versions(calls: IAMCalls, reader: PolicyReader) -> None:
    """The default versions of the AWS managed policies in use, in one paged listing, so that
    each needs one ``GetPolicyVersion``; denied, ``GetPolicy`` is asked per policy instead."""
    try:
        listed = calls.items("ListPolicies", "Policies", Scope="AWS", OnlyAttached=True)
    except ClientError as error:
        if denial(error) is None:
            raise
        return
    reader.known_versions({policy["Arn"]: policy["DefaultVersionId"] for policy in listed})


def grants(
    detail: dict[str, Any],
    groups: dict[str, dict[str, Any]],
    reader: PolicyReader,
    unknown: dict[str, str],
) -> list[PolicyGrant]:
    """Every policy of the user, of their groups and their boundary, with its document."""
    found = [
        reader.managed(p["PolicyName"], p["PolicyArn"], policies.USER_VIA)
        for p in detail.get("AttachedManagedPolicies", [])
    ] + [
        policies.grant(p["PolicyName"], policies.USER_VIA, p.get("PolicyDocument"))
        for p in detail.get("UserPolicyList", [])
    ]
    for name in detail.get("GroupList", []):
        group = groups.get(name, {})
        via = policies.group_via(name)
        found += [
            reader.managed(p["PolicyName"], p["PolicyArn"], via)
            for p in group.get("AttachedManagedPolicies", [])
        ] + [
            policies.grant(p["PolicyName"], via, p.get("PolicyDocument"))
            for p in group.get("GroupPolicyList", [])
        ]
    arn = boundary(detail)
    if arn:
        found.append(reader.managed(arn.rsplit("/", 1)[-1], arn, policies.BOUNDARY_VIA))
    policies.unknown_documents(found, unknown)
    return found

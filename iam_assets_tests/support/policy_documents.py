"""Policy documents and grants for the privilege tests: administrators by each route IAM offers
and look-alikes that are not (shapes as the IAM User Guide's example policies write them)."""

from __future__ import annotations

import json
from typing import Any

from iam_assets.collect.policies import BOUNDARY_VIA, USER_VIA, grant


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any = "*", resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


EVERYTHING = document(allow())
S3_ONLY = document(allow("s3:*"))
READ_ONLY = document(allow(["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"]))
IAM_FULL = document(allow(["iam:*", "organizations:DescribeAccount", "organizations:List*"]))
DENY_EVERYTHING = document(deny())
MFA_ONLY = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
# AWS's "manage your own credentials" example: keys and password of oneself only.
SELF_SERVICE = document(
    allow(
        ["iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:GetUser"],
        "arn:aws:iam::*:user/${aws:username}",
    )
)


def managed(name: str, doc: Any, via: str = USER_VIA, account: str = "aws") -> Any:
    arn = f"arn:aws:iam::{account}:policy/{name}"
    return grant(name, via, doc, arn=arn, version="v1")


def inline(name: str, doc: Any, via: str = USER_VIA) -> Any:
    return grant(name, via, json.dumps(doc) if not isinstance(doc, str) else doc)


def boundary(name: str, doc: Any) -> Any:
    return managed(name, doc, BOUNDARY_VIA, account="123456789012")


def raw_user(*grants: Any, **fields: Any) -> dict[str, Any]:
    """The fields of a raw user the privilege analysis reads, every listing readable."""
    groups = sorted(
        {g["Via"].removeprefix("group ") for g in grants if g["Via"].startswith("group ")}
    )
    bounded = [g["PolicyArn"] for g in grants if g["Via"] == BOUNDARY_VIA]
    return {
        "AttachedPolicies": [],
        "InlinePolicies": [],
        "Groups": [{"GroupName": n, "AttachedPolicies": [], "InlinePolicies": []} for n in groups],
        "PermissionsBoundary": bounded[0] if bounded else "",
        "UnknownFields": {},
        "Policies": list(grants),
        **fields,
    }

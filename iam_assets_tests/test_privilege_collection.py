"""Administrators on a simulated account (moto behind the IAM proxy, with AWS's managed policies
loaded), made by every route IAM offers, and look-alikes that are not: both strategies read the
documents and reach the same verdicts, each naming its policy; a denied read is unknown."""

import json

import boto3
import pytest
import requests

from iam_assets.analysis import enrich
from iam_assets.collect.client import build_iam_client
from iam_assets.collect.collector import collect_users

pytestmark = pytest.mark.slow  # a second's reset of moto with AWS's managed policies, per test

AWS = "arn:aws:iam::aws:policy/"
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
S3_ONLY = json.dumps(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
)
DENY_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
)

# user -> (is_admin, can_become_admin, a policy name the admin reason must hold)
EXPECTED = {
    "aws-admin": (True, True, "AdministratorAccess (AWS managed, attached to the user)"),
    "cm-admin": (True, True, "ops-everything (customer managed, attached to the user)"),
    "cm-admin-2": (True, True, "ops-everything (customer managed, attached to the user)"),
    "group-admin": (True, True, "ops-everything (customer managed, through group Operators)"),
    "version-admin": (True, True, "grown (customer managed, attached to the user)"),
    "inline-admin": (True, True, "god-mode (inline, attached to the user)"),
    "group-inline-admin": (True, True, "god-mode (inline, through group Breakglass)"),
    "iam-full": (False, True, None),
    "s3-full": (False, False, None),
    "old-version": (False, False, None),
    "read-only": (False, False, None),
    "denied-admin": (False, False, "lock (inline, attached to the user)"),
    "bounded-admin": (False, False, "capped by the permissions boundary"),
}


@pytest.fixture
def account(moto_endpoint, iam_proxy, monkeypatch):
    """moto with AWS's managed policies (off by default: they cost a second at each reset)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    yield iam
    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()


def seed(iam, proxy):
    for name in EXPECTED:
        iam.create_user(UserName=name)
    ops = iam.create_policy(PolicyName="ops-everything", PolicyDocument=EVERYTHING)["Policy"]["Arn"]
    s3 = iam.create_policy(PolicyName="s3-everything", PolicyDocument=S3_ONLY)["Policy"]["Arn"]
    grown = iam.create_policy(PolicyName="grown", PolicyDocument=S3_ONLY)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=grown, PolicyDocument=EVERYTHING, SetAsDefault=True)
    shrunk = iam.create_policy(PolicyName="shrunk", PolicyDocument=EVERYTHING)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=shrunk, PolicyDocument=S3_ONLY, SetAsDefault=True)
    attach = {
        "aws-admin": AWS + "AdministratorAccess",
        "cm-admin": ops,
        "cm-admin-2": ops,
        "version-admin": grown,
        "iam-full": AWS + "IAMFullAccess",
        "s3-full": s3,
        "old-version": shrunk,
        "read-only": AWS + "ReadOnlyAccess",
        "denied-admin": AWS + "AdministratorAccess",
        "bounded-admin": AWS + "AdministratorAccess",
    }
    for user, arn in attach.items():
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.create_group(GroupName="Operators")
    iam.attach_group_policy(GroupName="Operators", PolicyArn=ops)
    iam.add_user_to_group(GroupName="Operators", UserName="group-admin")
    iam.create_group(GroupName="Breakglass")
    iam.put_group_policy(GroupName="Breakglass", PolicyName="god-mode", PolicyDocument=EVERYTHING)
    iam.add_user_to_group(GroupName="Breakglass", UserName="group-inline-admin")
    iam.put_user_policy(UserName="inline-admin", PolicyName="god-mode", PolicyDocument=EVERYTHING)
    iam.put_user_policy(UserName="denied-admin", PolicyName="lock", PolicyDocument=DENY_ALL)
    # moto keeps no user boundaries: the proxy does, as IAM would (support/iam_simulated.py)
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    client.put_user_permissions_boundary(
        UserName="bounded-admin", PermissionsBoundary=AWS + "ReadOnlyAccess"
    )


def verdicts(proxy, strategy):
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    result = collect_users(client, strategy=strategy, report_poll_seconds=0.05)
    frame = enrich.enrich_users(result.users)
    return result, {row["user_name"]: row for row in enrich.to_records(frame)}


def test_every_route_to_administrator_in_both_strategies_alike(account, iam_proxy):
    seed(account, iam_proxy)
    judged = {}
    for strategy in ("per_user", "bulk"):
        iam_proxy.actions.clear()
        result, users = verdicts(iam_proxy, strategy)
        assert result.strategy == strategy
        for name, (admin, escalates, because) in EXPECTED.items():
            user = users[name]
            assert (user["is_admin"], user["can_become_admin"]) == (admin, escalates), (
                strategy,
                name,
                user["admin_reasons"],
                user["escalation_paths"][:2],
            )
            if because is not None:
                assert because in user["admin_reasons"][0], (strategy, name, user["admin_reasons"])
        judged[strategy] = {
            name: (u["is_admin"], u["admin_reasons"], u["can_become_admin"], u["escalation_paths"])
            for name, u in users.items()
        }
        # Each managed policy's document is read once a run, however many users hold it.
        managed = {"AdministratorAccess", "IAMFullAccess", "ReadOnlyAccess"}
        if strategy == "per_user":
            managed |= {"ops-everything", "s3-everything", "grown", "shrunk"}
        assert iam_proxy.actions["GetPolicyVersion"] == len(managed), strategy
    assert judged["per_user"] == judged["bulk"]
    iam_full = judged["bulk"]["iam-full"][3]
    assert any(p.startswith("AttachUserPolicy ") and "IAMFullAccess" in p for p in iam_full)


@pytest.mark.parametrize("strategy", ["per_user", "bulk"])
def test_a_denied_document_read_is_unknown_and_named_never_false(account, iam_proxy, strategy):
    seed(account, iam_proxy)
    iam_proxy.fail("GetPolicyVersion")
    iam_proxy.fail("GetUserPolicy")
    _result, users = verdicts(iam_proxy, strategy)
    assert users["aws-admin"]["is_admin"] is None  # AdministratorAccess could not be read
    assert (
        "AdministratorAccess (AWS managed, attached to the user) could not be read (AccessDenied"
        in (users["aws-admin"]["admin_reasons"][0])
    )
    assert "Policies[user:AdministratorAccess]" in users["aws-admin"]["unknown_fields"]
    assert users["read-only"]["is_admin"] is None and users["read-only"]["can_become_admin"] is None
    inline = users["inline-admin"]
    if strategy == "per_user":  # GetUserPolicy denied; the bulk read has the document in hand
        assert inline["is_admin"] is None and "Policies[user:god-mode]" in inline["unknown_fields"]
    else:
        assert inline["is_admin"] is True
    assert not any(
        user["is_admin"] is False
        and user["unknown_fields"]
        and user["user_name"] not in ("denied-admin", "bounded-admin")
        for user in users.values()
    )

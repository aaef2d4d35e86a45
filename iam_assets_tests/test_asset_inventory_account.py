"""A 300-user simulated account (moto behind the IAM proxy) on the strict Asset API double: every
item valid in the SDK's model, each filled field equal to what IAM itself says (read here
straight from IAM, not through the code under test), and a refused user isolated and named."""

from __future__ import annotations

import dataclasses

import pytest

from iam_assets.demo.seed import MOTO_ACCOUNT_ID, backdate, generated_users, seed_users
from iam_assets.ocsf.asset_items import RISK_LEVELS
from iam_assets_tests.support.asset_api_double import model_problem
from iam_assets_tests.support.graph import materialize_graph, metadata

pytestmark = pytest.mark.slow

ADMIN_NO_MFA = "user-00007"  # an administrator through the group Admins, console, no MFA
ADMIN_WITH_MFA = "user-00150"  # the same, with MFA
SIGNED_IN = "2025-08-26T09:30:00Z"


def account() -> tuple:
    """300 users: consoles (passwords), MFA, keys, tags, the group Developers (a managed and an
    inline policy) and two administrators through the group Admins."""
    users = []
    for user in generated_users(300):
        if user.name in (ADMIN_NO_MFA, ADMIN_WITH_MFA):
            mfa = user.name == ADMIN_WITH_MFA
            user = dataclasses.replace(user, console=True, mfa=mfa, groups=("Admins", "Developers"))
        if user.console and int(user.name[-5:]) % 2 == 0:
            user = dataclasses.replace(user, password_last_used=SIGNED_IN)
        users.append(user)
    return tuple(users)


def what_iam_says(iam) -> dict[str, dict]:
    """Each user's fields as IAM's own API tells them, by user name."""
    users = {
        user["UserName"]: user
        for page in iam.get_paginator("list_users").paginate()
        for user in page["Users"]
    }
    groups = {}
    for group in iam.list_groups()["Groups"]:
        name = group["GroupName"]
        policies = [
            p["PolicyName"]
            for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]
        ] + iam.list_group_policies(GroupName=name)["PolicyNames"]
        groups[name] = {"name": name, "uid": group["Arn"], "privileges": sorted(policies)}
    holders = {
        device["User"]["UserName"]
        for device in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    }
    said = {}
    for name, user in users.items():
        try:
            iam.get_login_profile(UserName=name)
            console = True
        except iam.exceptions.NoSuchEntityException:
            console = False
        keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        member_of = iam.list_groups_for_user(UserName=name)["Groups"]
        last_used = iam.get_user(UserName=name)["User"].get("PasswordLastUsed")
        said[name] = {
            "uid": user["UserId"],
            "uid_alt": user["Arn"],
            "groups": sorted((groups[g["GroupName"]] for g in member_of), key=lambda g: g["name"]),
            "has_mfa": name in holders,
            "console": console,
            "is_enabled": console or any(key["Status"] == "Active" for key in keys),
            "last_logon": last_used.strftime("%Y-%m-%dT%H:%M:%SZ") if last_used else None,
        }
    return said


def test_300_users_reach_the_asset_api_as_iam_holds_them_and_a_refused_one_is_named(
    iam_admin, iam_proxy, intake, asset_api, state
):
    users = account()
    seed_users(iam_admin, users, workers=4)
    backdate(users)
    truth = what_iam_says(iam_admin)
    assert len(truth) == 300
    in_group = {
        g: [n for n, s in truth.items() if g in {x["name"] for x in s["groups"]}]
        for g in ("Admins", "Developers")
    }
    assert sorted(in_group["Admins"]) == [ADMIN_NO_MFA, ADMIN_WITH_MFA]
    assert len(in_group["Developers"]) > 40
    assert 20 < sum(said["has_mfa"] for said in truth.values()) < 300

    result = materialize_graph(iam_proxy, intake, state, asset_api=asset_api)
    assert result.success
    items = {item["user"]["name"]: item for item in asset_api.items}
    assert sorted(items) == sorted(truth) and len(asset_api.items) == 300
    assert [model_problem(item) for item in asset_api.items] == [None] * 300
    for name, said in truth.items():
        person = items[name]["user"]
        assert person["uid"] == said["uid"] and person["uid_alt"] == said["uid_alt"], name
        assert sorted(person["groups"], key=lambda g: g["name"]) == said["groups"], name
        assert person["has_mfa"] is said["has_mfa"], name
        assert person["org"] == {"uid": MOTO_ACCOUNT_ID, "name": MOTO_ACCOUNT_ID}
        admin = any(group["name"] == "Admins" for group in said["groups"])
        assert (person["type_id"], person["type"]) == ((2, "Admin") if admin else (1, "User"))
        _, level_id, level = next(row for row in RISK_LEVELS if person["risk_score"] >= row[0])
        assert (person["risk_level_id"], person["risk_level"]) == (level_id, level), name
        data = items[name]["enrichments"][0]["data"]
        assert data["is_enabled"] is said["is_enabled"], name
        assert data.get("last_logon") == said["last_logon"], name
    assert items[ADMIN_NO_MFA]["user"]["risk_level"] == "Critical"  # admin, console, no MFA
    assert items[ADMIN_WITH_MFA]["user"]["risk_level"] in ("High", "Critical")
    assert sum(1 for said in truth.values() if said["last_logon"]) > 10

    # The API refuses one user's item: the 299 others still arrive, and the run names the user.
    asset_api.items.clear()
    asset_api.refuse_user("user-00123")
    rerun = materialize_graph(iam_proxy, intake, state, asset_api=asset_api)
    assert rerun.success
    assert sorted(item["user"]["name"] for item in asset_api.items) == sorted(
        set(truth) - {"user-00123"}
    )
    figures = metadata(rerun, "sekoia_asset_inventory")
    assert figures["delivered_items"] == 299 and figures["refused_items"] == 1
    assert figures["unconfirmed_items"] == 0  # every accepted batch's task followed to FINISHED
    (refused,) = figures["refused"]
    assert refused["user"] == "user-00123" and "HTTP 422" in refused["reason"]
    (complete,) = [
        c for c in rerun.get_asset_check_evaluations() if c.check_name == "asset_items_complete"
    ]
    assert not complete.passed
    assert complete.metadata["failing_users"].value == ["user-00123"]
    assert "user-00123: refused: HTTP 422" in complete.description

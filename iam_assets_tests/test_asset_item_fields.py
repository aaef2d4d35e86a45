"""Each field of an Asset inventory item that IAM can fill, equal to what IAM says, and absent
(never false) when IAM could not tell; every item still the SDK model's own."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from iam_assets.analysis import enrich, kpis
from iam_assets.ocsf import asset_item_rules, asset_items
from iam_assets_tests.support.asset_api_double import model_problem
from iam_assets_tests.support.policy_documents import EVERYTHING, IAM_FULL, managed
from iam_assets_tests.support.product_page import CONSOLE_USER, PROGRAMMATIC_USER

ACCOUNT = "123456789012"
OPS_ARN = f"arn:aws:iam::{ACCOUNT}:group/teams/ops"


def item_of(raw: dict[str, Any]) -> dict[str, Any]:
    (record,) = enrich.to_records(enrich.enrich_users([raw]))
    (item,), held_back = asset_items.asset_items([record])
    assert not held_back
    assert model_problem(item) is None, model_problem(item)
    return item


def user(**fields: Any) -> dict[str, Any]:
    raw = copy.deepcopy(CONSOLE_USER)
    raw.update(fields)
    return raw


def in_ops(*policies: str, grants: tuple = ()) -> dict[str, Any]:
    """The console user, member of the group ``ops`` holding ``policies``."""
    return user(
        Groups=[
            {
                "GroupName": "ops",
                "Arn": OPS_ARN,
                "AttachedPolicies": list(policies),
                "InlinePolicies": ["ops-inline"],
            }
        ],
        Policies=list(grants),
    )


def test_groups_carry_their_arn_and_their_policy_names():
    item = item_of(in_ops("ReadOnlyAccess"))
    assert item["user"]["groups"] == [
        {"name": "ops", "uid": OPS_ARN, "privileges": ["ReadOnlyAccess", "ops-inline"]}
    ]


def test_a_group_whose_arn_or_policies_are_unknown_keeps_only_what_is_known():
    raw = in_ops("ReadOnlyAccess")
    raw["Groups"][0].update(Arn=None, InlinePolicies=None)
    raw["UnknownFields"] = {"Groups[ops].InlinePolicies": "AccessDenied"}
    assert item_of(raw)["user"]["groups"] == [{"name": "ops"}]


def test_org_is_the_account_of_the_users_arn():
    assert item_of(user())["user"]["org"] == {"uid": ACCOUNT, "name": ACCOUNT}


def test_an_admin_through_a_group_is_typed_admin_and_scored_by_the_riskiest_users_formula():
    raw = in_ops(
        "AdministratorAccess", grants=(managed("AdministratorAccess", EVERYTHING, "group ops"),)
    )
    raw.update(MFADevices=[], MFAActive=False)  # console without MFA: + 30, old key: + 15
    item = item_of(raw)
    assert (item["user"]["type_id"], item["user"]["type"]) == (2, "Admin")
    (record,) = enrich.to_records(enrich.enrich_users([raw]))
    assert item["user"]["risk_score"] == kpis.risk_score(record) == 95
    assert (item["user"]["risk_level_id"], item["user"]["risk_level"]) == (4, "Critical")


@pytest.mark.parametrize(
    ("grants", "mfa", "score", "level"),
    [
        ((), True, 15, (1, "Low")),  # the page's console user: an active key over 90 days old
        ((managed("IAMFullAccess", IAM_FULL, "group ops"),), True, 55, (3, "High")),  # can become
        ((), False, 45, (2, "Medium")),  # console without MFA
    ],
)
def test_risk_level_follows_the_score(grants, mfa, score, level):
    raw = in_ops(grants=grants)
    raw.update(MFAActive=mfa, MFADevices=CONSOLE_USER["MFADevices"] if mfa else [])
    item = item_of(raw)
    assert item["user"]["risk_score"] == score
    assert (item["user"]["risk_level_id"], item["user"]["risk_level"]) == level


def test_risk_and_type_are_absent_when_the_privilege_verdict_is_unknown():
    raw = user(AttachedPolicies=None)
    raw["UnknownFields"] = {"AttachedPolicies": "AccessDenied"}
    person = item_of(raw)["user"]
    assert not {"risk_score", "risk_level_id", "risk_level", "type_id", "type"} & set(person)


def test_risk_is_absent_when_console_or_mfa_is_unknown():
    raw = user(MFAActive=None, MFADevices=None)
    raw["UnknownFields"] = {"MFADevices": "AccessDenied"}
    assert "risk_score" not in item_of(raw)["user"]


def test_enrichment_tells_sign_in_and_last_logon_as_iam_does():
    (enrichment,) = item_of(user())["enrichments"]
    assert enrichment == {
        "name": "AWS IAM",
        "data": {"is_enabled": True, "last_logon": CONSOLE_USER["PasswordLastUsed"]},
    }
    assert "last_time_password_change" not in enrichment["data"]  # not collected: left out


def test_a_user_with_nothing_active_is_not_enabled():
    raw = copy.deepcopy(PROGRAMMATIC_USER)
    raw["AccessKeys"] = [{**key, "Status": "Inactive"} for key in raw["AccessKeys"]]
    raw.update(SigningCertificates=[], SSHPublicKeys=[], ServiceSpecificCredentials=[])
    (enrichment,) = item_of(raw)["enrichments"]
    assert enrichment["data"] == {"is_enabled": False}  # never signed in: no last_logon


def test_enabled_is_absent_when_nothing_is_known_active_and_a_credential_is_unknown():
    raw = copy.deepcopy(PROGRAMMATIC_USER)
    raw.update(SigningCertificates=[], SSHPublicKeys=None, ServiceSpecificCredentials=[])
    raw["AccessKeys"] = [{**key, "Status": "Inactive"} for key in raw["AccessKeys"]]
    raw["UnknownFields"] = {"SSHPublicKeys": "not read (IAM_ASSETS_READ_SSH_KEYS=false)"}
    assert "enrichments" not in item_of(raw)


# -- the rules of the blocking check (asset_items_valid) --------------------------------------


def test_the_item_rules_name_the_user_of_each_problem():
    good = item_of(user())
    programmatic = item_of(copy.deepcopy(PROGRAMMATIC_USER))
    with_null = copy.deepcopy(programmatic)
    with_null["user"]["has_mfa"] = None
    collected = {
        CONSOLE_USER["UserId"]: CONSOLE_USER["UserName"],
        PROGRAMMATIC_USER["UserId"]: PROGRAMMATIC_USER["UserName"],
        "AIDAHELDBACK": "no-creation-time",
        "AIDAMISSING": "forgotten",
    }
    held_back = [{"user": "no-creation-time", "reason": "no creation time"}]
    found = asset_item_rules.item_problems([good, with_null, good], held_back, collected, 4096)
    shown = sorted(str(problem) for problem in found)
    assert shown == [
        f"{CONSOLE_USER['UserId']}: user.uid: appears in 2 items",
        "forgotten: user.uid: collected from IAM (AIDAMISSING) but has no item",
        f"{PROGRAMMATIC_USER['UserName']}: user.has_mfa: not an attribute of the model, or null",
    ]
    assert (
        asset_item_rules.item_problems([good, programmatic], held_back, collected, 4096)[0].user
        == "forgotten"
    )


def test_an_item_over_the_limit_is_named():
    item = item_of(user())
    (problem,) = asset_item_rules.item_problems([item], [], {CONSOLE_USER["UserId"]: "x"}, 100)
    assert problem.user == CONSOLE_USER["UserName"] and "over 100" in problem.message

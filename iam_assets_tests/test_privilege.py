"""The privilege verdicts a security team acts on: administrator by a policy's document, not its
name, by every route; who can make themselves one; and why, or why it is unknown."""

from urllib.parse import quote

import pytest

from iam_assets.analysis.user_privilege import PrivilegeAnalysis
from iam_assets.collect.policies import BOUNDARY_VIA, grant, group_via
from iam_assets_tests.support.policy_documents import (
    DENY_EVERYTHING,
    EVERYTHING,
    IAM_FULL,
    MFA_ONLY,
    READ_ONLY,
    S3_ONLY,
    SELF_SERVICE,
    allow,
    boundary,
    deny,
    document,
    inline,
    managed,
    raw_user,
)

ADMINS = {
    "AWS managed AdministratorAccess on the user": raw_user(
        managed("AdministratorAccess", EVERYTHING)
    ),
    "customer-managed *:* on the user": raw_user(
        managed("ops-all", EVERYTHING, account="123456789012")
    ),
    "customer-managed *:* through a group": raw_user(
        managed("ops-all", EVERYTHING, group_via("Ops"), account="123456789012")
    ),
    "inline *:* on the user": raw_user(inline("god-mode", EVERYTHING)),
    "inline *:* on a group, URL-encoded": raw_user(
        inline(
            "god-mode",
            quote('{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}'),
            group_via("Ops"),
        )
    ),
    "*:* as a single statement and lists": raw_user(
        inline("p", {"Statement": {"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}})
    ),
    "NotAction iam:* plus iam:* in two policies": raw_user(
        inline("a", document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
        managed("IAMFullAccess", document(allow("iam:*"))),
    ),
    "NotResource of a bucket plus that bucket": raw_user(
        inline("a", document({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"})),
        inline("b", document(allow("*", "arn:aws:s3:::b"))),
    ),
}

NOT_ADMINS = {
    "s3:* on everything": raw_user(managed("AmazonS3FullAccess", S3_ONLY)),
    "ReadOnlyAccess": raw_user(managed("ReadOnlyAccess", READ_ONLY)),
    "a policy named AdministratorAccess allowing s3 only": raw_user(
        managed("AdministratorAccess", S3_ONLY, account="123456789012")
    ),
    "*:* on one bucket": raw_user(inline("p", document(allow("*", "arn:aws:s3:::b")))),
    "AdministratorAccess and a Deny-everything inline": raw_user(
        managed("AdministratorAccess", EVERYTHING), inline("lock", DENY_EVERYTHING)
    ),
    "AdministratorAccess and a Deny of one bucket": raw_user(
        managed("AdministratorAccess", EVERYTHING),
        inline("lock", document(deny("s3:*", "arn:aws:s3:::b"))),
    ),
    "AdministratorAccess under a read-only boundary": raw_user(
        managed("AdministratorAccess", EVERYTHING), boundary("read-only", READ_ONLY)
    ),
    "every action listed but one service": raw_user(
        inline("p", document({"Effect": "Allow", "NotAction": "ec2:*", "Resource": "*"}))
    ),
}


@pytest.fixture(scope="module")
def judge():
    def verdicts(user):
        return PrivilegeAnalysis([user]).of(user)

    return verdicts


@pytest.mark.parametrize("route", ADMINS)
def test_an_administrator_by_every_route_is_one_and_the_reason_names_the_policy(judge, route):
    user = ADMINS[route]
    verdict = judge(user)
    assert verdict.is_admin is True, verdict.admin_reasons
    named = {grant["PolicyName"] for grant in user["Policies"]}
    assert verdict.admin_reasons and all(
        any(name in reason for name in named) for reason in verdict.admin_reasons
    )
    assert verdict.can_become_admin is True  # an administrator can do anything, this too


@pytest.mark.parametrize("look_alike", NOT_ADMINS)
def test_look_alikes_are_not_administrators_and_say_what_is_missing(judge, look_alike):
    verdict = judge(NOT_ADMINS[look_alike])
    assert verdict.is_admin is False, verdict.admin_reasons
    (reason,) = verdict.admin_reasons
    assert " on " in reason  # an example request: the action and the resource


def test_a_deny_or_a_boundary_names_itself(judge):
    denied = judge(NOT_ADMINS["AdministratorAccess and a Deny-everything inline"])
    assert denied.admin_reasons[0].startswith("denied by lock (inline, attached to the user)")
    capped = judge(NOT_ADMINS["AdministratorAccess under a read-only boundary"])
    assert capped.admin_reasons[0].startswith("capped by the permissions boundary")
    assert capped.can_become_admin is False  # the boundary allows no escalation either


def test_a_conditional_grant_is_said_to_be_conditional_not_guessed(judge):
    only_with_mfa = judge(raw_user(inline("mfa-admin", document(allow(Condition=MFA_ONLY)))))
    assert only_with_mfa.is_admin is None
    assert "only when Conditions hold" in only_with_mfa.admin_reasons[0]
    assert "mfa-admin" in only_with_mfa.admin_reasons[0]
    # A Deny that applies only under conditions keeps an administrator unproven, not denied.
    forced_mfa = judge(
        raw_user(
            managed("AdministratorAccess", EVERYTHING),
            inline(
                "force-mfa",
                document(deny(Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})),
            ),
        )
    )
    assert forced_mfa.is_admin is None
    # A conditional Allow that could not make anyone an administrator leaves the verdict false.
    assert (
        judge(raw_user(inline("p", document(allow("s3:*", Condition=MFA_ONLY))))).is_admin is False
    )


def test_unreadable_documents_make_the_verdict_unknown_never_false(judge):
    hidden = grant("secret", "user", None, unreadable="AccessDenied on iam:GetUserPolicy")
    user = raw_user(managed("AmazonS3FullAccess", S3_ONLY), hidden)
    verdict = judge(user)
    assert verdict.is_admin is None and verdict.can_become_admin is None
    assert (
        "secret (inline, attached to the user) could not be read (AccessDenied"
        in verdict.admin_reasons[0]
    )
    unlisted = raw_user(
        managed("AmazonS3FullAccess", S3_ONLY),
        Groups=None,
        UnknownFields={"Groups": "AccessDenied on iam:ListGroupsForUser"},
    )
    assert judge(unlisted).is_admin is None
    assert "groups could not be listed (AccessDenied" in judge(unlisted).admin_reasons[0]
    # What the readable documents prove stands; the unreadable one is named.
    proven = judge(raw_user(managed("AdministratorAccess", EVERYTHING), hidden))
    assert proven.is_admin is True and any("could only restrict" in r for r in proven.admin_reasons)
    # A readable Deny of everything stands too: nothing unreadable can undo it.
    assert judge(raw_user(inline("lock", DENY_EVERYTHING), hidden)).is_admin is False


def test_escalation_paths_come_from_the_catalogue_with_their_source(judge):
    iam_full = judge(raw_user(managed("IAMFullAccess", IAM_FULL, group_via("Ops"))))
    assert iam_full.is_admin is False and iam_full.can_become_admin is True
    attach = next(p for p in iam_full.escalation_paths if p.startswith("AttachUserPolicy "))
    assert "https://pathfinding.cloud/paths/iam-008" in attach
    assert (
        "iam:AttachUserPolicy by IAMFullAccess (AWS managed, through group Ops) statement 1"
        in attach
    )
    one_action = judge(raw_user(inline("p", document(allow("iam:PutUserPolicy")))))
    assert [p.split(" ")[0] for p in one_action.escalation_paths] == ["PutUserPolicy"]
    pass_role = judge(raw_user(inline("p", document(allow(["iam:PassRole", "ec2:RunInstances"])))))
    assert "CreateEC2WithExistingIP" in {p.split(" ")[0] for p in pass_role.escalation_paths}
    assert judge(raw_user(inline("p", document(allow("iam:PassRole"))))).can_become_admin is False
    assert judge(raw_user(managed("ReadOnlyAccess", READ_ONLY))).can_become_admin is False


def test_own_credentials_are_no_escalation_but_other_users_are(judge):
    assert judge(raw_user(inline("self", SELF_SERVICE))).can_become_admin is False
    others = document(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*"))
    verdict = judge(raw_user(inline("keys", others)))
    assert verdict.can_become_admin is True
    assert verdict.escalation_paths[0].startswith("CreateAccessKey ")


def test_an_unconditional_deny_closes_a_path_and_a_conditional_grant_is_said_so(judge):
    closed = raw_user(managed("IAMFullAccess", IAM_FULL), inline("no-iam", document(deny("iam:*"))))
    assert judge(closed).can_become_admin is False
    conditional = judge(
        raw_user(inline("p", document(allow("iam:AttachUserPolicy", Condition=MFA_ONLY))))
    )
    assert conditional.can_become_admin is None
    assert conditional.escalation_paths[0].startswith("only when Conditions hold: AttachUserPolicy")


def test_users_with_the_same_policies_share_one_judgement():
    shared = managed("ops-all", EVERYTHING, group_via("Ops"), account="123456789012")
    users = [raw_user(shared) for _ in range(50)]
    analysis = PrivilegeAnalysis(users)
    assert len({id(analysis.of(user)) for user in users}) == 1


def test_an_unreadable_boundary_can_only_restrict(judge):
    hidden = grant(
        "cap", BOUNDARY_VIA, None, arn="arn:aws:iam::1:policy/cap", unreadable="AccessDenied"
    )
    admin = judge(raw_user(managed("AdministratorAccess", EVERYTHING), hidden))
    assert admin.is_admin is True
    assert admin.admin_reasons[-1].endswith(
        "could not be read (AccessDenied) (could only restrict)"
    )
    assert judge(raw_user(managed("AmazonS3FullAccess", S3_ONLY), hidden)).is_admin is False

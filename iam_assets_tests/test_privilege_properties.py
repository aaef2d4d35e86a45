"""The privilege verdicts against an independent evaluator (``support/policy_evaluator``, from
AWS's documented evaluation logic), over generated policy documents: what the analysis calls an
administrator is allowed every request tried, and its example of a request not allowed is one
the evaluator refuses."""

import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_assets.analysis.escalation import ON_OTHER_USERS, PATHS, open_paths
from iam_assets.analysis.privilege import administrator  # its example is the verdict's
from iam_assets.analysis.user_privilege import PrivilegeAnalysis
from iam_assets.collect.policies import BOUNDARY_VIA, grant
from iam_assets_tests.support.policy_documents import raw_user
from iam_assets_tests.support.policy_evaluator import ALLOW, REQUESTER, evaluate

# A small catalogue keeps each example fast; the analysis adds the escalation table's actions.
KNOWN = (
    "s3:GetObject",
    "s3:PutObject",
    "iam:CreateUser",
    "iam:ListUsers",
    "ec2:RunInstances",
    "sts:AssumeRole",
)
ACTIONS = (
    "*",
    "*:*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:NewThing",
    "iam:*",
    "iam:Create*",
    "iam:?reateUser",
    "iam:AttachUserPolicy",
    "iam:PassRole",
    "ec2:*",
    "*:Run*",
    "i*:*",
    "sts:AssumeRole",
    "lambda:*",
)
RESOURCES = (
    "*",
    "arn:*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::*",
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::123456789012:user/${aws:username}",
)
PROBE_RESOURCES = (
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::other",
    "arn:aws:iam::123456789012:user/x",
    "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
    "arn:aws:zz:::zz",
)


def one_or_many(values):
    return st.one_of(
        st.sampled_from(values), st.lists(st.sampled_from(values), min_size=1, max_size=3)
    )


@st.composite
def statements(draw):
    statement = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    statement[draw(st.sampled_from(["Action", "Action", "NotAction"]))] = draw(one_or_many(ACTIONS))
    statement[draw(st.sampled_from(["Resource", "Resource", "NotResource"]))] = draw(
        one_or_many(RESOURCES)
    )
    if draw(st.integers(0, 4)) == 0:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return statement


@st.composite
def documents(draw):
    items = draw(st.lists(statements(), min_size=1, max_size=3))
    document = {"Version": "2012-10-17", "Statement": items[0] if len(items) == 1 else items}
    return quote(json.dumps(document)) if draw(st.booleans()) else document


@st.composite
def users(draw):
    identity = draw(st.lists(documents(), min_size=1, max_size=3))
    bound = draw(st.one_of(st.none(), documents()))
    grants = [grant(f"p{n}", "user", doc) for n, doc in enumerate(identity)]
    if bound is not None:
        grants.append(grant("b", BOUNDARY_VIA, bound, arn="arn:aws:iam::1:policy/b", version="v1"))
    return raw_user(*grants), identity, bound


def probes(analysis, example):
    actions = [*analysis.universe.names, "s3:zzFresh", "zzfresh:Action"]
    resources = [*PROBE_RESOURCES, *([example[1]] if example else [])]
    return [(a, r) for a in actions for r in resources]


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(users())
def test_the_admin_verdict_agrees_with_the_evaluator(case):
    user, identity, bound = case
    analysis = PrivilegeAnalysis([user], known_actions=KNOWN)
    judged = analysis.of(user)
    statements_of = analysis._statements
    identity_statements = [
        s for g in user["Policies"] if g["Via"] != "boundary" for s in statements_of(g)
    ]
    bounds = [g for g in user["Policies"] if g["Via"] == "boundary"]
    verdict = administrator(
        analysis.universe, identity_statements, statements_of(bounds[0]) if bounds else None, []
    )
    assert verdict.value == judged.is_admin

    def decide(action, resource, *, at_best):
        return evaluate(
            action, resource, identity, bound, allow_conditions=at_best, deny_conditions=not at_best
        )

    def own(resource):
        """An example on ``…/${aws:username}`` is the requester's own resource."""
        return resource.replace("${aws:username}", REQUESTER)

    if verdict.example is not None:
        verdict = type(verdict)(
            verdict.value, verdict.reasons, (verdict.example[0], own(verdict.example[1]))
        )
    if verdict.value is True:
        for action, resource in probes(analysis, None):
            assert decide(action, resource, at_best=False) == ALLOW, (action, resource)
    elif verdict.value is False:
        assert decide(*verdict.example, at_best=True) != ALLOW, verdict
    else:
        assert decide(*verdict.example, at_best=False) != ALLOW, verdict
        for action, resource in probes(analysis, verdict.example):
            assert decide(action, resource, at_best=True) == ALLOW, (action, resource)


SINGLE_ACTION_PATHS = [p for p in PATHS if len(p.actions) == 1 and p.name not in ON_OTHER_USERS]


def analysed(user):
    analysis = PrivilegeAnalysis([user], known_actions=KNOWN)
    statements_of = analysis._statements
    identity = [s for g in user["Policies"] if g["Via"] != "boundary" for s in statements_of(g)]
    bounds = [g for g in user["Policies"] if g["Via"] == "boundary"]
    return analysis, identity, statements_of(bounds[0]) if bounds else None


@FAST
@given(users())
def test_escalation_paths_agree_with_the_evaluator(case):
    user, identity, bound = case
    analysis, statements, boundary = analysed(user)
    opened = {p.path.name: p for p in open_paths(analysis.universe, statements, boundary)}
    for path in SINGLE_ACTION_PATHS:
        (action,) = path.actions
        at_worst = evaluate(
            action, "*", identity, bound, allow_conditions=False, deny_conditions=True
        )
        if at_worst == ALLOW:  # allowed on everything, whatever the Conditions
            assert path.name in opened and not opened[path.name].conditional, path.name
    for found in opened.values():  # each step is allowed where the path says, at best
        for action, _statement, resource in found.steps:
            own = resource.replace("${aws:username}", REQUESTER)
            decision = evaluate(action, own, identity, bound, deny_conditions=False)
            assert decision == ALLOW, (found.path.name, action, resource)

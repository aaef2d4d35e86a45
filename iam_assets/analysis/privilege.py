"""Who is an administrator, by what their policies' documents allow (pure).

A user is an administrator when, for every action (``action_catalogue``) on every resource, an
Allow of one of their policies applies and no Deny does — AWS's evaluation logic for identity
policies and a permissions boundary
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
The policies are every route IAM offers: managed (default version) and inline, on the user and
on each of their groups, and the boundary, which caps them. Service control policies, resource
policies and session policies are outside an IAM inventory and not considered.

Three answers, each with its reasons:

* ``True``: proven by unconditional Allows, with no Deny (conditional or not) that could apply;
  unreadable documents are named, but they could only take away, never add, an Allow;
* ``False``: even granting every Condition, some action on some resource is not allowed
  (the example is in the reason), a Deny applies, or the boundary caps the user;
* ``None``: it depends on Conditions, or on documents (or listings) that could not be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iam_assets.analysis.action_catalogue import ActionUniverse, lowest
from iam_assets.analysis.policy_statements import (
    Statement,
    instances,
    resource_matches,
    universal,
)

# A resource no policy names: stands for "any other resource" (an ARN of no service).
UNLISTED_RESOURCE = "arn:aws:zzunlisted:zz-unlisted-1:000000000000:zzunlisted/zzunlisted"
# The actions a reason names first when they are not allowed: the ones a reader knows.
TELLING_ACTIONS = ("iam:CreateUser", "iam:AttachUserPolicy", "ec2:RunInstances", "s3:GetObject")


@dataclass(frozen=True)
class Verdict:
    value: bool | None
    reasons: tuple[str, ...]
    # A request (action, resource) the policies do not allow, when the verdict is not True.
    example: tuple[str, str] | None = None


@dataclass(frozen=True)
class _Gap:
    action: str
    resource: str
    deny: Statement | None  # the Deny that applies, or None: no Allow applies


def resource_witnesses(statements: Sequence[Statement]) -> tuple[str, ...]:
    """The resources to try: any resource (``*``, the request of actions without resource-level
    permissions), any other ARN, and an instance of every resource pattern the policies name."""
    found = {"*": None, UNLISTED_RESOURCE: None}
    for statement in statements:
        for text in statement.resources:
            found.update(dict.fromkeys(instances(text)))
    return tuple(found)


def _gap(
    universe: ActionUniverse,
    statements: Sequence[Statement],
    resources: tuple[str, ...],
    *,
    conditional_allows: bool,
    conditional_denies: bool,
) -> _Gap | None:
    """The first request not allowed: a Deny that applies somewhere, else an action on a
    resource no Allow covers; ``None`` when everything is allowed."""
    for statement in statements:
        if statement.allow or (statement.conditional and not conditional_denies):
            continue
        actions = universe.mask(statement.actions, statement.not_action)
        where = _denied_resource(statement, resources)
        if actions and where is not None:
            return _Gap(_example(universe, actions), where, statement)
    allows = [s for s in statements if s.allow and (conditional_allows or not s.conditional)]
    for resource in resources:
        covered = 0
        for statement in allows:
            if resource_matches(statement, resource):
                covered |= universe.mask(statement.actions, statement.not_action)
        if covered != universe.full:
            return _Gap(_example(universe, universe.full & ~covered), resource, None)
    return None


def _example(universe: ActionUniverse, actions: int) -> str:
    """One action of the (non-empty) set, a well-known one if it holds one."""
    for name in TELLING_ACTIONS:
        number = universe.index(name)
        if number is not None and (actions >> number) & 1:
            return universe.name(number)
    return universe.name(lowest(actions))


def _denied_resource(statement: Statement, resources: tuple[str, ...]) -> str | None:
    """A resource the Deny's resource element covers, if any can be."""
    if not statement.not_resource:
        if not statement.resources:
            return None
        first = statement.resources[0]
        return "*" if universal((first,)) else instances(first)[0] or instances(first)[1]
    if universal(statement.resources):
        return None
    return next((r for r in resources if resource_matches(statement, r)), "arn:aws:zz:::zz")


def _why_not(gap: _Gap, where: str) -> str:
    if gap.deny is not None:
        return f"{where}denied by {gap.deny.describe()} (e.g. {gap.action} on {gap.resource})"
    return f"{where}no policy allows {gap.action} on {gap.resource}"


def _proof(
    universe: ActionUniverse, statements: Sequence[Statement], resources: tuple[str, ...]
) -> list[str]:
    """The unconditional Allows that together cover every action, as reasons."""
    used = [
        s
        for s in statements
        if s.allow
        and not s.conditional
        and resource_matches(s, "*")
        and universe.mask(s.actions, s.not_action)
    ]
    whole = [s for s in used if universe.mask(s.actions, s.not_action) == universe.full]
    return [f"allows everything: {s.describe()}" for s in (whole[:1] or used)]


def administrator(
    universe: ActionUniverse,
    identity: Sequence[Statement],
    boundary: Sequence[Statement] | None,
    unknown: Sequence[str],
    restricting: Sequence[str] = (),
) -> Verdict:
    """The administrator verdict of one user.

    ``identity``: the statements of every readable policy of the user and their groups;
    ``boundary``: the readable boundary's statements (``None``: no boundary, or unreadable);
    ``unknown``: what could not be read (a listing, a document) and could grant more, as
    reasons; ``restricting``: what could not be read and could only take away (the boundary).
    """
    resources = resource_witnesses([*identity, *(boundary or ())])
    if boundary is not None:
        capped = _gap(
            universe, boundary, resources, conditional_allows=True, conditional_denies=False
        )
        if capped is not None:
            reason = _why_not(capped, "capped by the permissions boundary: ")
            return Verdict(False, (reason,), (capped.action, capped.resource))
    at_best = _gap(universe, identity, resources, conditional_allows=True, conditional_denies=False)
    if at_best is not None:
        example = (at_best.action, at_best.resource)
        if at_best.deny is not None or not unknown:
            return Verdict(False, (_why_not(at_best, ""),), example)
        reasons = (*unknown, _why_not(at_best, "among the readable policies, "))
        return Verdict(None, reasons, example)
    at_worst = _gap(
        universe, identity, resources, conditional_allows=False, conditional_denies=True
    )
    if at_worst is None and boundary is not None:
        at_worst = _gap(
            universe, boundary, resources, conditional_allows=False, conditional_denies=True
        )
    if at_worst is not None:
        conditions = [s.describe() for s in [*identity, *(boundary or ())] if s.conditional]
        reason = "only when Conditions hold: " + "; ".join(conditions)
        return Verdict(None, (reason,), (at_worst.action, at_worst.resource))
    could_restrict = [f"{item} (could only restrict)" for item in (*unknown, *restricting)]
    return Verdict(True, (*_proof(universe, identity, resources), *could_restrict))

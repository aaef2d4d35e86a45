"""An independent IAM policy evaluator, for judging the privilege analysis: one request at a
time, written from AWS's documentation and nothing of the package.

Sources:
* "Policy evaluation logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  (an explicit Deny in any applicable policy wins; a permissions boundary must allow the
  request too; otherwise an identity policy's Allow is needed, else the implicit deny);
* "IAM JSON policy elements": Action/NotAction (case-insensitive, ``*`` and ``?`` wildcards),
  Resource/NotResource (case-sensitive, same wildcards), Statement as one object or a list,
  values as one string or a list
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
  ..._notaction.html, ..._resource.html, ..._notresource.html);
* policy variables: ``${aws:username}`` in a resource is the requester's user name
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html);
* Condition: the caller says whether the conditions of the request hold (``conditions``), as a
  request's context would decide.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"
REQUESTER = "x"  # the requesting user's name, for ${aws:username}


def wildcard_match(pattern: str, text: str) -> bool:
    """IAM's wildcards, by dynamic programming: ``*`` any run (empty too), ``?`` one char."""
    row = [True] + [False] * len(text)
    for char in pattern:
        if char == "*":
            for column in range(1, len(text) + 1):
                row[column] = row[column] or row[column - 1]
        else:
            new = [False] * (len(text) + 1)
            for column in range(1, len(text) + 1):
                new[column] = row[column - 1] and (char == "?" or char == text[column - 1])
            row = new
    return row[len(text)]


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _resources(value) -> list[str]:
    return [p.replace("${aws:username}", REQUESTER) for p in _listed(value)]


def _statements(document) -> list[dict]:
    if isinstance(document, str):
        document = json.loads(unquote(document))
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _applies(statement: dict, action: str, resource: str, conditions: bool) -> bool:
    if "Condition" in statement and statement["Condition"] and not conditions:
        return False
    if "Action" in statement:
        action_hit = any(
            wildcard_match(p.lower(), action.lower()) for p in _listed(statement["Action"])
        )
    else:
        action_hit = not any(
            wildcard_match(p.lower(), action.lower()) for p in _listed(statement["NotAction"])
        )
    if "Resource" in statement:
        resource_hit = any(wildcard_match(p, resource) for p in _resources(statement["Resource"]))
    else:
        resource_hit = not any(
            wildcard_match(p, resource) for p in _resources(statement["NotResource"])
        )
    return action_hit and resource_hit


def _decide(documents, action, resource, allow_conditions, deny_conditions) -> str:
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if statement["Effect"] == "Deny" and _applies(
                statement, action, resource, deny_conditions
            ):
                return EXPLICIT_DENY
            if statement["Effect"] == "Allow" and _applies(
                statement, action, resource, allow_conditions
            ):
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def evaluate(
    action: str,
    resource: str,
    identity: list,
    boundary=None,
    *,
    allow_conditions: bool = True,
    deny_conditions: bool = True,
) -> str:
    """The decision on one request. ``allow_conditions`` / ``deny_conditions``: whether the
    Conditions of Allow / Deny statements hold for it (the two are set apart to ask "at best"
    and "at worst")."""
    documents = list(identity) + ([boundary] if boundary is not None else [])
    for document in documents:
        for statement in _statements(document):
            if statement["Effect"] == "Deny" and _applies(
                statement, action, resource, deny_conditions
            ):
                return EXPLICIT_DENY
    if (
        boundary is not None
        and _decide([boundary], action, resource, allow_conditions, deny_conditions) != ALLOW
    ):
        return IMPLICIT_DENY
    return _decide(identity, action, resource, allow_conditions, deny_conditions)

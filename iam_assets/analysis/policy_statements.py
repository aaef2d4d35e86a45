"""Policy documents as statements the privilege analysis can reason about (pure).

The grammar is IAM's (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
``Statement`` is one object or a list; ``Action``/``NotAction`` and ``Resource``/``NotResource``
are a string or a list; action names match case-insensitively, resources case-sensitively, ``*``
and ``?`` are wildcards. A statement with a ``Condition`` is kept but marked conditional: the
analysis says "when its conditions hold" instead of guessing the request's context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iam_assets.collect.records import PolicyGrant


@dataclass(frozen=True)
class Statement:
    """One statement of one policy, with where it comes from."""

    allow: bool
    actions: tuple[str, ...]  # lower-case patterns
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditional: bool
    source: str  # e.g. "AdministratorAccess (managed, group Admins) statement 1"

    def describe(self) -> str:
        """The statement in one line, as a reason shows it."""
        effect = "Allow" if self.allow else "Deny"
        actions = ("NotAction " if self.not_action else "") + ", ".join(self.actions)
        resources = ("NotResource " if self.not_resource else "") + ", ".join(self.resources)
        condition = " when its Condition holds" if self.conditional else ""
        return f"{self.source}: {effect} {actions} on {resources}{condition}"


def label(grant: PolicyGrant) -> str:
    """A grant as a person reads it: its name, kind and how it reaches the user."""
    kind = "inline" if grant["PolicyArn"] is None else _managed_kind(grant["PolicyArn"])
    if grant["Via"] == "boundary":
        return f"{grant['PolicyName']} ({kind}, permissions boundary)"
    via = "attached to the user" if grant["Via"] == "user" else f"through {grant['Via']}"
    return f"{grant['PolicyName']} ({kind}, {via})"


def _managed_kind(arn: str) -> str:
    return "AWS managed" if arn.split(":")[4:5] == ["aws"] else "customer managed"


def statements(grant: PolicyGrant) -> list[Statement]:
    """The statements of a grant's (readable) document; a statement IAM would not accept (no
    effect, no action or no resource element) grants and denies nothing."""
    document = grant["Document"] or {}
    found = document.get("Statement", [])
    items = [found] if isinstance(found, Mapping) else found if isinstance(found, list) else []
    name = label(grant)
    out = []
    for number, item in enumerate(items, start=1):
        parsed = _statement(item, f"{name} statement {number}")
        if parsed is not None:
            out.append(parsed)
    return out


def _statement(item: Any, source: str) -> Statement | None:
    if not isinstance(item, Mapping) or item.get("Effect") not in ("Allow", "Deny"):
        return None
    if "Sid" in item and isinstance(item["Sid"], str) and item["Sid"]:
        source = f"{source} ({item['Sid']})"
    not_action, actions = _element(item, "Action")
    not_resource, resources = _element(item, "Resource")
    if actions is None or resources is None:
        return None
    return Statement(
        allow=item["Effect"] == "Allow",
        actions=tuple(action.lower() for action in actions),
        not_action=not_action,
        resources=tuple(resources),
        not_resource=not_resource,
        conditional=bool(item.get("Condition")),
        source=source,
    )


def _element(item: Mapping[str, Any], name: str) -> tuple[bool, tuple[str, ...] | None]:
    """``(negated, values)`` of ``Action``/``NotAction`` (or the resource pair)."""
    for key, negated in ((name, False), (f"Not{name}", True)):
        if key in item:
            value = item[key]
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return negated, None
            return negated, tuple(values)
    return False, None


@lru_cache(maxsize=65536)
def pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    """An IAM wildcard pattern (``*`` any run, ``?`` one character) as a regular expression."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(patterns: tuple[str, ...], value: str, *, ignore_case: bool) -> bool:
    return any(pattern(p, ignore_case).fullmatch(value) for p in patterns)


def instances(text: str) -> tuple[str, ...]:
    """Concrete strings a wildcard pattern matches (its wildcards empty, and filled)."""
    return (
        text.replace("*", "").replace("?", "z"),
        text.replace("*", "zzunlisted").replace("?", "z"),
    )


def resource_matches(statement: Statement, resource: str) -> bool:
    """Whether the statement's resource element covers ``resource``."""
    found = matches(statement.resources, resource, ignore_case=False)
    return found != statement.not_resource


def universal(patterns: tuple[str, ...]) -> bool:
    """A pattern list that matches every (non-empty) string."""
    return any(set(p) <= {"*", "?"} and p.count("?") <= 1 and "*" in p for p in patterns) or (
        "*" in patterns
    )

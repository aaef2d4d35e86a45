"""Each user's privilege verdicts from the raw users' policy documents (pure).

One ``PrivilegeAnalysis`` per inventory: it parses each distinct document once, builds the
action universe from the catalogue and every pattern the account's policies name, and computes
the verdicts once per distinct set of policies (users of the same groups share them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iam_assets.analysis.action_catalogue import ActionUniverse
from iam_assets.analysis.escalation import PATH_ACTIONS, escalation
from iam_assets.analysis.policy_statements import Statement, label, statements
from iam_assets.analysis.privilege import administrator
from iam_assets.collect.records import PolicyGrant


@dataclass(frozen=True)
class UserPrivilege:
    """A user's two verdicts (``None``: unknown) and the reasons for each."""

    is_admin: bool | None
    admin_reasons: list[str]
    can_become_admin: bool | None
    escalation_paths: list[str]


_LISTINGS = (
    ("AttachedPolicies", "the user's managed policies could not be listed"),
    ("InlinePolicies", "the user's inline policies could not be listed"),
    ("Groups", "the user's groups could not be listed"),
)
_BOUNDARY = "the user's permissions boundary could not be read"


def unknown_reasons(raw: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """What keeps the user's policies from being known in full, as reasons: what could grant
    more (identity policies), and what could only restrict (the permissions boundary)."""
    why = raw.get("UnknownFields") or {}
    restricting = []
    if raw.get("PermissionsBoundary", "") is None:  # absent: the product page's record shape
        restricting.append(f"{_BOUNDARY} ({why.get('PermissionsBoundary', 'unknown')})")
    elif "Policies" not in raw and raw.get("PermissionsBoundary"):
        restricting.append(f"{raw['PermissionsBoundary']}: its document was not collected")
    found = [
        f"{text} ({why.get(key, 'unknown')})"
        for key, text in _LISTINGS
        if raw.get(key, "") is None  # absent: a record of the product page's shape
    ]
    for group in raw["Groups"] or []:
        for key in ("AttachedPolicies", "InlinePolicies"):
            if group[key] is None:
                reason = why.get(f"Groups[{group['GroupName']}].{key}", "unknown")
                found.append(f"group {group['GroupName']}'s {key} could not be listed ({reason})")
    if "Policies" not in raw:  # policy names without their documents
        named = [*(raw["AttachedPolicies"] or []), *(raw["InlinePolicies"] or [])]
        named += [p for g in raw["Groups"] or [] for p in (g["AttachedPolicies"] or [])]
        named += [p for g in raw["Groups"] or [] for p in (g["InlinePolicies"] or [])]
        found += [f"{name}: its document was not collected" for name in named]
    for grant in raw.get("Policies") or []:
        if grant["Document"] is None:
            unread = f"{label(grant)} could not be read ({grant['Unreadable']})"
            (restricting if grant["Via"] == "boundary" else found).append(unread)
    return found, restricting


class PrivilegeAnalysis:
    """The verdicts of the users of one inventory."""

    def __init__(
        self, raw_users: Iterable[Mapping[str, Any]], known_actions: Iterable[str] | None = None
    ) -> None:
        self._parsed: dict[tuple[str, str], list[Statement]] = {}
        self._identities: dict[int, tuple[Any, str]] = {}  # id(document) -> (document, key)
        patterns: set[str] = set(PATH_ACTIONS)
        for raw in raw_users:
            for grant in raw.get("Policies") or []:
                for statement in self._statements(grant):
                    patterns.update(statement.actions)
        self.universe = ActionUniverse(patterns, known_actions)
        self._verdicts: dict[tuple[Any, ...], UserPrivilege] = {}

    @property
    def judgements(self) -> int:
        """How many distinct sets of policies were judged (users share the others)."""
        return len(self._verdicts)

    def _identity(self, grant: PolicyGrant) -> tuple[str, str]:
        """What makes two grants the same: how they reach the user, and the document (a managed
        policy's ARN and version; an inline document's canonical JSON)."""
        document = grant["Document"]
        known = self._identities.get(id(document))
        if known is None:  # the document is kept with its key, so its id stays its own
            if grant["PolicyArn"] is not None:
                content = f"{grant['PolicyArn']}@{grant['VersionId']}"
            else:
                content = json.dumps(document, sort_keys=True)
            known = self._identities[id(document)] = (document, content)
        return label(grant), known[1]

    def _statements(self, grant: PolicyGrant) -> list[Statement]:
        if grant["Document"] is None:
            return []
        key = self._identity(grant)
        if key not in self._parsed:
            self._parsed[key] = statements(grant)
        return self._parsed[key]

    def of(self, raw: Mapping[str, Any]) -> UserPrivilege:
        """The verdicts of one raw user."""
        grants = sorted(
            raw.get("Policies") or [], key=label
        )  # the order of attachment is no matter
        unknown, restricting = unknown_reasons(raw)
        key = (
            tuple(self._identity(g) if g["Document"] is not None else label(g) for g in grants),
            tuple(unknown),
            tuple(restricting),
        )
        if key not in self._verdicts:
            self._verdicts[key] = self._judge(grants, unknown, restricting)
        return self._verdicts[key]

    def _judge(
        self, grants: list[PolicyGrant], unknown: list[str], restricting: list[str]
    ) -> UserPrivilege:
        identity = [s for g in grants if g["Via"] != "boundary" for s in self._statements(g)]
        bounds = [g for g in grants if g["Via"] == "boundary" and g["Document"] is not None]
        boundary = self._statements(bounds[0]) if bounds else None
        admin = administrator(self.universe, identity, boundary, unknown, restricting)
        paths = escalation(self.universe, identity, boundary, unknown, restricting)
        return UserPrivilege(
            is_admin=admin.value,
            admin_reasons=list(admin.reasons),
            can_become_admin=paths.value,
            escalation_paths=list(paths.reasons),
        )

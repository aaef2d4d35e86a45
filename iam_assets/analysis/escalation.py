"""Who can make themselves an administrator: known privilege-escalation paths (pure).

The paths are cloudsplaining's pinned table (``PRIVILEGE_ESCALATION_METHODS``: Rhino Security
Labs' IAM privilege-escalation methods and the paths of DataDog's pathfinding.cloud), each with
its write-up. A path is open when each of its actions is allowed on some resource (tried as in
``privilege.resource_witnesses``) by a policy of the user and by the permissions boundary if
any, with no Deny applying there; open only under Conditions, it is said so.

One refinement of ours: creating access keys or a console password (``iam:CreateAccessKey``,
``iam:CreateLoginProfile``, ``iam:UpdateLoginProfile``) escalates only on *other* users; a
grant limited to ``${aws:username}`` (AWS's documented self-service policy) opens no path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloudsplaining.shared.constants import (
    PRIVILEGE_ESCALATION_GLOSSARY_URL,
    PRIVILEGE_ESCALATION_METHODS,
    PRIVILEGE_ESCALATION_PATHFINDING_PATHS,
)

from iam_assets.analysis.action_catalogue import ActionUniverse
from iam_assets.analysis.policy_statements import Statement, resource_matches
from iam_assets.analysis.privilege import Verdict, resource_witnesses

# Methods that act on another user's credentials: on oneself they grant nothing new.
ON_OTHER_USERS = frozenset(
    {"CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "CreateAndRotateAccessKey"}
)


@dataclass(frozen=True)
class Path:
    """One escalation method: the actions it needs (lower case) and where it is written up."""

    name: str
    actions: tuple[str, ...]
    source: str


PATHS: tuple[Path, ...] = tuple(
    Path(
        name,
        tuple(action.lower() for action in actions),
        PRIVILEGE_ESCALATION_PATHFINDING_PATHS.get(name) or PRIVILEGE_ESCALATION_GLOSSARY_URL,
    )
    for name, actions in PRIVILEGE_ESCALATION_METHODS.items()
)
PATH_ACTIONS: tuple[str, ...] = tuple(sorted({a for path in PATHS for a in path.actions}))


@dataclass(frozen=True)
class OpenPath:
    """An escalation path the user's policies open: for each action, the statement allowing it
    and a resource it is allowed on."""

    path: Path
    steps: tuple[tuple[str, Statement, str], ...]  # (action, allowing statement, resource)
    conditional: bool  # some step is allowed only under Conditions

    def describe(self) -> str:
        by = "; ".join(f"{action} by {s.source}" for action, s, _r in self.steps)
        return f"{self.path.name} ({self.path.source}): {by}"


def _step(
    universe: ActionUniverse,
    identity: Sequence[Statement],
    boundary: Sequence[Statement] | None,
    action: str,
    resources: tuple[str, ...],
    others: bool,
) -> tuple[Statement, str, bool] | None:
    """Where ``action`` is allowed: (statement, resource, only under Conditions), preferring an
    unconditional grant; ``None`` when no resource is allowed (by identity and boundary, with no
    Deny applying)."""
    number = universe.index(action)
    if number is None:
        return None
    identity = [s for s in identity if (universe.mask(s.actions, s.not_action) >> number) & 1]
    bounds = [s for s in boundary or () if (universe.mask(s.actions, s.not_action) >> number) & 1]
    if not any(s.allow for s in identity):
        return None
    found = None
    for resource in resources:
        if others and "${" in resource:
            continue  # oneself, through a policy variable: no other user's credentials
        applying = [s for s in identity if resource_matches(s, resource)]
        capping = [s for s in bounds if resource_matches(s, resource)]
        if any(not s.allow and not s.conditional for s in applying + capping):
            continue
        allows = [s for s in applying if s.allow]
        bounded = [s for s in capping if s.allow]
        if not allows or (boundary is not None and not bounded):
            continue
        conditional = any(not s.allow for s in applying + capping)
        conditional |= all(s.conditional for s in allows)
        conditional |= boundary is not None and all(s.conditional for s in bounded)
        unconditional = [s for s in allows if not s.conditional] or allows
        if not conditional:
            return unconditional[0], resource, False
        found = found or (unconditional[0], resource, True)
    return found


def open_paths(
    universe: ActionUniverse,
    identity: Sequence[Statement],
    boundary: Sequence[Statement] | None,
) -> list[OpenPath]:
    """Every path of the table the statements open."""
    resources = resource_witnesses([*identity, *(boundary or ())])
    opened = []
    steps_of: dict[tuple[str, bool], tuple[Statement, str, bool] | None] = {}
    for path in PATHS:
        steps = []
        for action in path.actions:
            others = path.name in ON_OTHER_USERS
            if (action, others) not in steps_of:  # iam:PassRole is in half the paths
                steps_of[action, others] = _step(
                    universe, identity, boundary, action, resources, others
                )
            step = steps_of[action, others]
            if step is None:
                break
            steps.append((universe.name(universe.index(action) or 0), *step))
        else:
            conditional = any(only for *_rest, only in steps)
            opened.append(OpenPath(path, tuple((a, s, r) for a, s, r, _c in steps), conditional))
    return opened


def escalation(
    universe: ActionUniverse,
    identity: Sequence[Statement],
    boundary: Sequence[Statement] | None,
    unknown: Sequence[str],
    restricting: Sequence[str] = (),
) -> Verdict:
    """Whether the user can become an administrator, with each open path as a reason (an
    unreadable boundary, ``restricting``, is named: it could close them)."""
    opened = open_paths(universe, identity, boundary)
    sure = [p.describe() for p in opened if not p.conditional]
    conditional = [CONDITIONAL + p.describe() for p in opened if p.conditional]
    if sure:
        could_restrict = [f"{item} (could only restrict)" for item in restricting]
        return Verdict(True, tuple(sure + conditional + could_restrict))
    if conditional:
        return Verdict(None, tuple(conditional))
    if unknown:
        return Verdict(None, tuple(unknown))
    return Verdict(False, ())


CONDITIONAL = "only when Conditions hold: "


def path_names(reasons: list[str]) -> list[str]:
    """The names of the paths in ``escalation`` reasons (``CreateAccessKey``, …), in order."""
    names = [r.removeprefix(CONDITIONAL).split(" ", 1)[0] for r in reasons]
    return [n for n in dict.fromkeys(names) if n in _NAMES]


_NAMES = frozenset(path.name for path in PATHS)

"""New, removed, activated and deactivated credentials between two snapshots of one user (pure).

A snapshot keeps, per credential kind, each credential's identity and status
(``credentials.identities``). A kind unknown on either side (denied, or absent from a snapshot
that lacks the field) is not compared: missing is unknown, not "none", so comparing with such a
snapshot reports no new credential.

Which changes are security findings (``security_relevant_changes`` warns on them): a credential
that lets someone act as the user without signing in, and that the previous snapshot did not
have in use — a new *active* access key, SSH public key, service-specific credential or signing
certificate, or one of these turned from Inactive to Active. Adding such a credential to an
existing user is how a stolen identity is kept (MITRE ATT&CK T1098.001, "Additional Cloud
Credentials"), and a key the user's owner did not create is found nowhere else in the inventory.
A new *inactive* credential cannot be used yet (activating it is then a finding); a removed or
deactivated one takes access away. A new MFA device adds a factor: a change, not a finding (its
loss is already a finding for console users). Credentials of a user added since the last snapshot
are not findings: the user's creation is listed, and onboarding would otherwise warn every day.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_assets.analysis.credentials import KINDS
from iam_assets.analysis.records import Finding

ACTIVE = "Active"
NOUNS = {
    "access_keys": "access key",
    "signing_certificates": "signing certificate",
    "ssh_keys": "SSH key",
    "service_credentials": "service credential",
    "mfa_devices": "MFA device",
}
FINDING_KINDS = frozenset(
    {"access_keys", "signing_certificates", "ssh_keys", "service_credentials"}
)


def _label(kind: str, identity: str) -> str:
    if kind == "service_credentials":  # identity: "<service>/<id>"
        return f"{NOUNS[kind]} for {identity.split('/', 1)[0]}"
    return NOUNS[kind]


def _counted(items: list[str]) -> list[str]:
    """Each distinct text once, ``(xn)`` when it happened n times, in first-seen order."""
    seen: dict[str, int] = {}
    for item in items:
        seen[item] = seen.get(item, 0) + 1
    return [item if n == 1 else f"{item} (x{n})" for item, n in seen.items()]


def credential_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[Finding], set[str]]:
    """(what changed, the security findings, the kinds compared) between two tracked users."""
    what: list[str] = []
    findings: list[Finding] = []
    compared: set[str] = set()
    for kind in KINDS:
        old, new = before.get(kind), after.get(kind)
        if old is None or new is None:
            continue
        compared.add(kind)
        kind_what, usable = _kind_changes(kind, old, new)
        what += _counted(kind_what)
        if kind in FINDING_KINDS:
            user = after["user_name"]
            findings += [Finding("usable_credential", user, text) for text in _counted(usable)]
    return what, findings, compared


def _kind_changes(
    kind: str, old: Mapping[str, str], new: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(changes, the credentials newly usable) of one kind; an MFA device's state is its kind."""
    what: list[str] = []
    usable: list[str] = []
    for identity, state in new.items():
        label = _label(kind, identity)
        if kind == "mfa_devices":
            if identity not in old:
                what.append(f"new {label} ({state})")
        elif identity not in old:
            what.append(f"new {state.lower()} {label}")
            if state == ACTIVE:
                usable.append(f"new {label}")
        elif old[identity] != state:
            what.append(f"{label} {'activated' if state == ACTIVE else 'deactivated'}")
            if state == ACTIVE:
                usable.append(f"{label} reactivated")
    for identity, state in old.items():
        if identity not in new:
            label = _label(kind, identity)
            if kind == "mfa_devices":
                what.append(f"{label} removed ({state})")
            else:
                what.append(f"{state.lower()} {label} removed")
    return what, usable

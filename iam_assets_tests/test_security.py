"""Admin analysis, KPIs and change detection on plain data."""

import types
import typing

import pytest

from iam_assets.analysis import changes, enrich, kpis
from iam_assets.analysis.records import EnrichedUser, Finding, TrackedUser
from iam_assets.collect.policies import grant
from iam_assets_tests.support.policy_documents import EVERYTHING, IAM_FULL, managed
from iam_assets_tests.support.product_page import CONSOLE_USER, PROGRAMMATIC_USER


def frame_of(*raw_users):
    return enrich.enrich_users(raw_users)


def admin(raw, name, uid, **changes):
    everything = managed("AdministratorAccess", EVERYTHING)
    user = {**raw, "UserName": name, "UserId": uid, "AttachedPolicies": ["AdministratorAccess"]}
    return {**user, "Policies": [everything], **changes}


def test_kpis_are_plain_numbers_and_count_what_a_team_watches():
    no_mfa_admin = admin(CONSOLE_USER, "root-like", "AIDAADMIN", MFADevices=[])
    figures = kpis.kpis(frame_of(PROGRAMMATIC_USER, CONSOLE_USER, no_mfa_admin))
    assert figures["users"] == 3
    assert figures["console_users"] == 2
    assert figures["admins"] == 1 and figures["admins_without_mfa"] == 1
    assert figures["mfa_coverage_pct"] == pytest.approx(33.3)
    assert figures["console_mfa_coverage_pct"] == 50.0
    assert figures["users_with_active_keys"] == 3
    assert figures["users_with_active_keys_older_than_90_days"] == 3  # keys from 2020-2025
    assert all(isinstance(value, int | float) for value in figures.values())
    table = kpis.riskiest_users(frame_of(PROGRAMMATIC_USER, no_mfa_admin))
    assert table.index("root-like") < table.index("lambda-execution-role")


def test_diff_names_added_removed_changed_and_security_findings():
    before = changes.snapshot(frame_of(PROGRAMMATIC_USER, CONSOLE_USER))
    lost_mfa = {**CONSOLE_USER, "MFADevices": []}
    newcomer = admin(CONSOLE_USER, "new-admin", "AIDANEW", MFADevices=[])
    after = changes.snapshot(frame_of(lost_mfa, newcomer))
    found = changes.diff(before, after)
    assert found.added == ["new-admin"]
    assert found.removed == ["lambda-execution-role"]
    assert found.changed == {"aws-developer-team": ["MFA lost"]}
    assert found.findings == [
        Finding("admin_without_mfa", "new-admin", "new admin without MFA"),
        Finding("console_user_lost_mfa", "aws-developer-team", "console user lost MFA"),
    ]
    assert str(found.findings[0]) == "new admin without MFA: new-admin"  # as it is reported
    assert changes.diff(None, after).any is False  # the first snapshot has nothing to compare
    assert "MFA lost" in changes.changes_markdown(found)


def _wrong_types(record: dict, shape: type) -> dict:
    """The keys of ``record`` whose value is not of the type ``shape`` (a TypedDict) declares
    (outer types only: ``list[str]`` is checked as ``list``), plus its missing and extra keys."""
    hints = typing.get_type_hints(shape)
    wrong = {key: "missing" for key in hints.keys() - record.keys()}
    wrong |= {key: "extra" for key in record.keys() - hints.keys()}
    for key in hints.keys() & record.keys():
        hint = hints[key]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        options = typing.get_args(hint) if union else (hint,)
        allowed = tuple(typing.get_origin(option) or option for option in options)
        if not isinstance(record[key], allowed):
            wrong[key] = f"{record[key]!r} is not {hint}"
    return wrong


UNREADABLE = {
    **CONSOLE_USER,
    "UserId": "AIDAUNREADABLE",
    "MFADevices": None,
    "ConsoleAccessEnabled": None,
    "AccessKeys": None,
    "Tags": None,
    "Groups": None,
    "AttachedPolicies": None,
    "PasswordLastUsed": None,
    "UnknownFields": {"MFADevices": "AccessDenied", "Groups": "AccessDenied"},
}


def test_enriched_records_and_snapshots_are_what_their_types_declare():
    assert list(typing.get_type_hints(EnrichedUser)) == list(enrich.ENRICHED_COLUMNS)
    raws = (PROGRAMMATIC_USER, CONSOLE_USER, UNREADABLE)
    for record in [*map(enrich.enrich_user, raws), *enrich.to_records(frame_of(*raws))]:
        assert _wrong_types(record, EnrichedUser) == {}, record["user_name"]
    for tracked in changes.snapshot(frame_of(*raws)).values():
        assert _wrong_types(tracked, TrackedUser) == {}, tracked["user_name"]


def test_privilege_kpis_count_who_can_become_admin_and_whose_verdict_is_unknown():
    iam_full = {
        **PROGRAMMATIC_USER,
        "UserName": "iam-full",
        "UserId": "AIDAIAM",
        "Policies": [managed("IAMFullAccess", IAM_FULL)],
    }
    hidden = grant("secret", "user", None, unreadable="AccessDenied on iam:GetUserPolicy")
    unreadable = {
        **PROGRAMMATIC_USER,
        "UserName": "hidden",
        "UserId": "AIDAHID",
        "Policies": [hidden],
    }
    boss = admin(CONSOLE_USER, "boss", "AIDABOSS")
    frame = frame_of(iam_full, unreadable, boss)
    figures = kpis.kpis(frame)
    assert figures["admins"] == 1
    assert figures["users_who_can_become_admin"] == 1  # the admin is not counted twice
    assert figures["users_admin_unknown"] == 1
    table = kpis.riskiest_users(frame)
    assert table.index("boss") < table.index("iam-full") < table.index("hidden")
    assert "IAMFullAccess" in table.split("iam-full")[1].splitlines()[0]  # why, on its row


def test_becoming_admin_or_gaining_an_escalation_path_is_a_finding():
    before = changes.snapshot(frame_of(PROGRAMMATIC_USER, CONSOLE_USER))
    promoted = admin(CONSOLE_USER, CONSOLE_USER["UserName"], CONSOLE_USER["UserId"])
    escalates = {**PROGRAMMATIC_USER, "Policies": [managed("IAMFullAccess", IAM_FULL)]}
    found = changes.diff(before, changes.snapshot(frame_of(escalates, promoted)))
    assert Finding("became_admin", "aws-developer-team", "became admin") in found.findings
    assert (
        Finding("gained_escalation_path", "lambda-execution-role", "gained an escalation path")
        in found.findings
    )
    assert "can become admin" in found.changed["lambda-execution-role"]
    # A snapshot of an earlier version knows no escalation verdict: no finding from it.
    old = {
        uid: {k: v for k, v in user.items() if k != "can_become_admin"}
        for uid, user in before.items()
    }
    assert not any(
        "escalation" in f for f in changes.diff(old, changes.snapshot(frame_of(escalates))).findings
    )

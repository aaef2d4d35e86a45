"""How the raw users' two checks are evaluated, by the asset that collects them (declared, with
every other check, in checks.py)."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from iam_assets.analysis import credentials
from iam_assets.collect.freshness import Freshness
from iam_assets.defs.checks import result, summarise
from iam_assets.ocsf.rules import Problem

# The root account's facts the check must know to pass (a password's last use is not one).
ROOT_FACTS = {
    "MFAActive": "MFA state",
    "ActiveAccessKeys": "active access keys",
    "ActiveSigningCertificates": "active signing certificates",
}


def collection_result(
    raw_users: Sequence[Mapping[str, Any]],
    rejected_rows: Mapping[str, str],
    freshness: Freshness | None = None,
) -> dg.AssetCheckResult:
    """``iam_fields_known``, with what the collection knows: fails, naming the users, when a
    field is unknown or a credential report row was rejected.

    A rejected row (malformed or stale) leaves no field wrong: the user was read per user. It
    still fails the check, as an unknown field does, because the collection was not clean: the
    report lied or changed shape (or a user was re-created under the same name), and someone
    should know. So does a bulk read whose changes since the credential report could not be
    read from CloudTrail: its facts are then as old as the report.
    """
    incomplete = [user for user in raw_users if user.get("UnknownFields")]
    problems = [
        Problem(
            user["UserName"],
            ", ".join(sorted(user["UnknownFields"])),
            "unknown (read denied, or not in the credential report)",
        )
        for user in incomplete
    ]
    problems += [
        Problem(user, "credential report row", f"not used, read per user instead: {reason}")
        for user, reason in sorted(rejected_rows.items())
    ]
    if freshness is not None and freshness.history_unavailable is not None:
        age = freshness.report_age_seconds or 0.0
        problems.append(
            Problem(
                "the account",
                "changes since the credential report",
                f"unknown ({freshness.history_unavailable}): the report's facts are"
                f" {age / 60:.0f} min old",
            )
        )
    summary = summarise("iam_fields_known", problems, "collection", len(raw_users))
    counts = {
        "users_with_unknown_fields": len(incomplete),
        "report_rows_rejected": len(rejected_rows),
    }
    return result(
        "iam_fields_known",
        passed=summary.passed,
        description=summary.description,
        metadata={**summary.metadata, **counts},
    )


def freshness_metadata(freshness: Freshness | None) -> dict[str, Any]:
    """How current a bulk read is, for the raw users' metadata (nothing for a per-user read,
    which is current by construction)."""
    if freshness is None:
        return {}
    age = freshness.report_age_seconds
    return {
        "credential_report_age_minutes": "n/a" if age is None else round(age / 60, 1),
        "change_history": freshness.change_history,
        "cloudtrail_lookups": freshness.change_lookups,
        "users_changed_since_report": dg.MetadataValue.json(freshness.changed_users),
        "per_user_facts_carried": freshness.carried_facts,
        "per_user_facts_oldest_read_at": freshness.oldest_carried_read_at or "n/a",
        "per_user_facts_reverified": freshness.reverified_facts,
        "per_user_facts_reverify_over_budget": freshness.reverify_over_budget,
    }


def root_account_result(root: Mapping[str, Any] | None) -> dg.AssetCheckResult:
    """``root_account_secure``: fails when the AWS account's root user has no MFA, or active
    access keys or signing certificates (AWS and CIS: it should have MFA and no keys), or when
    one of those could not be read (a pass needs them known)."""
    root = root or {}
    problems = credentials.root_account_problems(root)
    unknown = root.get("UnknownFields") or {}
    problems += [
        f"the root account's {words} could not be read ({unknown.get(fact, 'not collected')})"
        for fact, words in ROOT_FACTS.items()
        if root.get(fact) is None
    ]
    return result(
        "root_account_secure",
        passed=not problems,
        description="; ".join(problems)
        or "The root user has MFA and no active access keys or signing certificates.",
        metadata={
            "root_account": dg.MetadataValue.json(dict(root)),
            "source": root.get("Source") or "unknown",
        },
    )

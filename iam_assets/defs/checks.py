"""Asset checks. The OCSF checks are blocking: an invalid event is never delivered."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from iam_assets.analysis import credentials
from iam_assets.defs import keys
from iam_assets.defs.destinations import INTAKE_COPY, Destination
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.ocsf import profiles, rules
from iam_assets.ocsf.rules import Problem

SHOWN_PROBLEMS = 25


def _result(problems: Sequence[Problem], what: str, checked: int) -> dg.AssetCheckResult:
    """Pass/fail with the failing users and fields, first few in the description."""
    if not problems:
        return dg.AssetCheckResult(passed=True, metadata={"events_checked": checked, "problems": 0})
    users = sorted({problem.user for problem in problems})
    shown = problems[:SHOWN_PROBLEMS]
    table = "| user | field | problem |\n|---|---|---|\n" + "\n".join(
        f"| `{p.user}` | `{p.field}` | {p.message} |" for p in shown
    )
    more = f"\n\n…and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{len(problems)} {what} problem(s) in {len(users)} user(s): "
        + "; ".join(str(p) for p in problems[:3]),
        metadata={
            "events_checked": checked,
            "problems": len(problems),
            keys.FAILING_USERS: dg.MetadataValue.json(users[:100]),
            "details": dg.MetadataValue.md(table + more),
        },
    )


def ocsf_required_fields(ocsf_user_inventory: list[dict]) -> dg.AssetCheckResult:
    """OCSF 1.6.0 required attributes of class 5003 present; at-least-one rules hold."""
    return _result(
        rules.required_fields(ocsf_user_inventory),
        "required-field",
        len(ocsf_user_inventory),
    )


def ocsf_constants_consistent(
    ocsf_user_inventory: list[dict], ocsf: OCSFProfileResource
) -> dg.AssetCheckResult:
    """Class, category, activity, type and severity are consistent: type_uid = class_uid*100 +
    activity_id, every name matches its id."""
    return _result(
        profiles.constant_problems(ocsf_user_inventory, ocsf.profile),
        "constant",
        len(ocsf_user_inventory),
    )


def ocsf_types_valid(
    ocsf_user_inventory: list[dict], ocsf: OCSFProfileResource
) -> dg.AssetCheckResult:
    """The events follow their profile's schema. `sekoia`: the product page's table — integers,
    booleans (or null when unknown), tags as a string map, epoch seconds in a plausible range.
    `ocsf`: the official 1.6.0 model (pydantic-ocsf) plus what it skips — no attribute outside
    1.6.0, required and at-least-one rules, no nulls, milliseconds."""
    return _result(
        profiles.schema_problems(ocsf_user_inventory, ocsf.profile),
        "schema",
        len(ocsf_user_inventory),
    )


def ocsf_one_event_per_user(
    ocsf_user_inventory: list[dict], raw_iam_users: list[dict]
) -> dg.AssetCheckResult:
    """Exactly one event per collected IAM user, and user.uid is unique."""
    return _result(
        rules.one_event_per_user(ocsf_user_inventory, (user["UserId"] for user in raw_iam_users)),
        "coverage",
        len(ocsf_user_inventory),
    )


def ocsf_event_size(
    ocsf_user_inventory: list[dict], intake: EventSinkResource
) -> dg.AssetCheckResult:
    """Every event fits the destination's per-event limit (250 KiB for the intake). Oversized
    events are skipped by the delivery (the rest still goes) and named here; not blocking, but
    an ERROR."""
    return _result(
        rules.event_sizes(ocsf_user_inventory, intake.max_event_bytes),
        "size",
        len(ocsf_user_inventory),
    )


def collection_result(
    raw_users: Sequence[Mapping[str, Any]], rejected_rows: Mapping[str, str]
) -> dg.AssetCheckResult:
    """``iam_fields_known``, evaluated by the raw asset with what the collection knows: WARN,
    naming the users, when a field is unknown or a credential report row was rejected.

    A rejected row (malformed or stale) leaves no field wrong: the user was read per user. It
    still fails the check, as an unknown field does, because the collection was not clean: the
    report lied or changed shape (or a user was re-created under the same name), and someone
    should know.
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
    result = _result(problems, "collection", len(raw_users))
    counts = {
        "users_with_unknown_fields": len(incomplete),
        "report_rows_rejected": len(rejected_rows),
    }
    return dg.AssetCheckResult(
        check_name="iam_fields_known",
        passed=result.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=result.description,
        metadata={**result.metadata, **counts},
    )


# The root account's facts the check must know to pass (a password's last use is not one).
ROOT_FACTS = {
    "MFAActive": "MFA state",
    "ActiveAccessKeys": "active access keys",
    "ActiveSigningCertificates": "active signing certificates",
}


def root_account_result(root: Mapping[str, Any] | None) -> dg.AssetCheckResult:
    """``root_account_secure``, evaluated by the raw asset: WARN when the AWS account's root user
    has no MFA, or active access keys or signing certificates (AWS and CIS: it should have MFA
    and no keys), or when one of those could not be read (a pass needs them known)."""
    root = root or {}
    problems = credentials.root_account_problems(root)
    unknown = root.get("UnknownFields") or {}
    problems += [
        f"the root account's {words} could not be read ({unknown.get(fact, 'not collected')})"
        for fact, words in ROOT_FACTS.items()
        if root.get(fact) is None
    ]
    return dg.AssetCheckResult(
        check_name="root_account_secure",
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(problems)
        or "The root user has MFA and no active access keys or signing certificates.",
        metadata={
            "root_account": dg.MetadataValue.json(dict(root)),
            "source": root.get("Source") or "unknown",
        },
    )


@dataclass(frozen=True)
class CheckDeclaration:
    """A check on an asset; its description is the function's docstring."""

    function: Any
    asset: dg.AssetKey
    blocking: bool
    extra: dict[str, Any] = field(default_factory=dict)
    needs: Destination | None = None  # the destination whose resource the check reads, if any


CHECK_DECLARATIONS = (
    CheckDeclaration(ocsf_required_fields, keys.OCSF_EVENTS, blocking=True),
    CheckDeclaration(ocsf_constants_consistent, keys.OCSF_EVENTS, blocking=True),
    CheckDeclaration(ocsf_types_valid, keys.OCSF_EVENTS, blocking=True),
    CheckDeclaration(
        ocsf_one_event_per_user,
        keys.OCSF_EVENTS,
        blocking=True,
        extra={"additional_ins": {"raw_iam_users": dg.AssetIn(keys.RAW_USERS)}},
    ),
    CheckDeclaration(ocsf_event_size, keys.OCSF_EVENTS, blocking=False, needs=INTAKE_COPY),
)


def build_checks(
    partitions_def: dg.PartitionsDefinition | None = None,
    destinations: Sequence[Destination] = (INTAKE_COPY,),
) -> list[dg.AssetChecksDefinition]:
    """The checks, partitioned as the assets they check (by AWS account, or not); a check that
    holds the events to a destination's limit exists when that destination does."""
    return [
        dg.asset_check(
            asset=declared.asset,
            blocking=declared.blocking,
            partitions_def=partitions_def,
            **declared.extra,
        )(declared.function)
        for declared in CHECK_DECLARATIONS
        if declared.needs is None or declared.needs in destinations
    ]

"""Asset checks. The OCSF checks are blocking: an invalid event is never delivered."""

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from iam_assets import ocsf_checks, profiles
from iam_assets.assets import enriched_iam_users, ocsf_user_inventory
from iam_assets.ocsf_checks import Problem

SHOWN_PROBLEMS = 25


def _profile(context: dg.AssetCheckExecutionContext) -> str:
    """The OCSF profile of the events under check, as their materialisation recorded it."""
    event = context.instance.get_latest_materialization_event(ocsf_user_inventory.key)
    recorded = event.asset_materialization.metadata.get("ocsf_profile") if event else None
    return recorded.value if recorded is not None else profiles.DEFAULT_PROFILE


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
            "failing_users": dg.MetadataValue.json(users[:100]),
            "details": dg.MetadataValue.md(table + more),
        },
    )


@dg.asset_check(
    asset=ocsf_user_inventory,
    blocking=True,
    description="OCSF 1.6.0 required attributes of class 5003 present; at-least-one rules hold.",
)
def ocsf_required_fields(ocsf_user_inventory: list[dict]) -> dg.AssetCheckResult:
    return _result(
        ocsf_checks.required_fields(ocsf_user_inventory),
        "required-field",
        len(ocsf_user_inventory),
    )


@dg.asset_check(
    asset=ocsf_user_inventory,
    blocking=True,
    description=(
        "Class, category, activity, type and severity are consistent: type_uid ="
        " class_uid*100 + activity_id, every name matches its id."
    ),
)
def ocsf_constants_consistent(
    context: dg.AssetCheckExecutionContext, ocsf_user_inventory: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        profiles.constant_problems(ocsf_user_inventory, _profile(context)),
        "constant",
        len(ocsf_user_inventory),
    )


@dg.asset_check(
    asset=ocsf_user_inventory,
    blocking=True,
    description=(
        "The events follow their profile's schema. `sekoia`: the seed's table — integers,"
        " booleans (or null when unknown), tags as a string map, epoch seconds in a plausible"
        " range. `ocsf`: the official 1.6.0 model (pydantic-ocsf) plus what it skips — no"
        " attribute outside 1.6.0, required and at-least-one rules, no nulls, milliseconds."
    ),
)
def ocsf_types_valid(
    context: dg.AssetCheckExecutionContext, ocsf_user_inventory: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        profiles.schema_problems(ocsf_user_inventory, _profile(context)),
        "schema",
        len(ocsf_user_inventory),
    )


@dg.asset_check(
    asset=ocsf_user_inventory,
    blocking=True,
    additional_ins={"raw_iam_users": dg.AssetIn("raw_iam_users")},
    description="Exactly one event per collected IAM user, and user.uid is unique.",
)
def ocsf_one_event_per_user(
    ocsf_user_inventory: list[dict], raw_iam_users: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        ocsf_checks.one_event_per_user(
            ocsf_user_inventory, (user["UserId"] for user in raw_iam_users)
        ),
        "coverage",
        len(ocsf_user_inventory),
    )


@dg.asset_check(
    asset=ocsf_user_inventory,
    blocking=False,
    description=(
        "Every event fits the intake's 250 KiB limit. Oversized events are skipped by the"
        " delivery (the rest still goes) and named here; not blocking, but an ERROR."
    ),
)
def ocsf_event_size(ocsf_user_inventory: list[dict]) -> dg.AssetCheckResult:
    return _result(ocsf_checks.event_sizes(ocsf_user_inventory), "size", len(ocsf_user_inventory))


@dg.asset_check(
    asset=enriched_iam_users,
    blocking=False,
    description=(
        "Every field of every user could be read. A WARN lists the users whose fields are"
        " unknown because an IAM read was denied (those fields are null in the events)."
    ),
)
def iam_fields_known(enriched_iam_users: pd.DataFrame) -> dg.AssetCheckResult:
    incomplete = enriched_iam_users[enriched_iam_users["unknown_fields"].map(len) > 0]
    problems = [
        Problem(row.user_name, ", ".join(row.unknown_fields), "unknown (read denied)")
        for row in incomplete.itertuples()
    ]
    result = _result(problems, "unknown-field", len(enriched_iam_users))
    if result.passed:
        return result
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=result.description,
        metadata=result.metadata,
    )


CHECKS = [
    ocsf_required_fields,
    ocsf_constants_consistent,
    ocsf_types_valid,
    ocsf_one_event_per_user,
    ocsf_event_size,
    iam_fields_known,
]

"""Asset checks. The OCSF checks are blocking: an invalid event is never delivered."""

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

from iam_assets.ocsf import profiles, rules
from iam_assets.ocsf.rules import Problem

SHOWN_PROBLEMS = 25
# By key, so that the same checks serve the graph partitioned by account or not.
OCSF_EVENTS = dg.AssetKey("ocsf_user_inventory")
ENRICHED_USERS = dg.AssetKey("enriched_iam_users")
RAW_USERS = dg.AssetKey("raw_iam_users")
# The raw asset's metadata entry naming the users whose credential report row was not used.
REJECTED_ROWS_KEY = "credential_report_rows_rejected_users"


def _latest_metadata(
    context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey
) -> dict[str, Any]:
    """The metadata of the asset's latest materialisation (of this run's account when the graph
    is partitioned by account): what the checked data was computed from."""
    partition = context.run.tags.get("dagster/partition")
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=asset_key,
            asset_partitions=[partition] if partition else None,
        ),
        limit=1,
    ).records
    event = records[0].asset_materialization if records else None
    return {key: entry.value for key, entry in event.metadata.items()} if event else {}


def _profile(context: dg.AssetCheckExecutionContext) -> str:
    """The OCSF profile of the events under check, as their materialisation recorded it."""
    return _latest_metadata(context, OCSF_EVENTS).get("ocsf_profile", profiles.DEFAULT_PROFILE)


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


def ocsf_required_fields(ocsf_user_inventory: list[dict]) -> dg.AssetCheckResult:
    return _result(
        rules.required_fields(ocsf_user_inventory),
        "required-field",
        len(ocsf_user_inventory),
    )


def ocsf_constants_consistent(
    context: dg.AssetCheckExecutionContext, ocsf_user_inventory: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        profiles.constant_problems(ocsf_user_inventory, _profile(context)),
        "constant",
        len(ocsf_user_inventory),
    )


def ocsf_types_valid(
    context: dg.AssetCheckExecutionContext, ocsf_user_inventory: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        profiles.schema_problems(ocsf_user_inventory, _profile(context)),
        "schema",
        len(ocsf_user_inventory),
    )


def ocsf_one_event_per_user(
    ocsf_user_inventory: list[dict], raw_iam_users: list[dict]
) -> dg.AssetCheckResult:
    return _result(
        rules.one_event_per_user(
            ocsf_user_inventory, (user["UserId"] for user in raw_iam_users)
        ),
        "coverage",
        len(ocsf_user_inventory),
    )


def ocsf_event_size(ocsf_user_inventory: list[dict]) -> dg.AssetCheckResult:
    return _result(rules.event_sizes(ocsf_user_inventory), "size", len(ocsf_user_inventory))


def iam_fields_known(
    context: dg.AssetCheckExecutionContext, enriched_iam_users: pd.DataFrame
) -> dg.AssetCheckResult:
    """WARN, naming the users, when a field is unknown or a credential report row was rejected.

    A rejected row (malformed or stale) leaves no field wrong: the user was read per user. It
    still fails the check, as an unknown field does, because the collection was not clean: the
    report lied or changed shape (or a user was re-created under the same name), and someone
    should know.
    """
    incomplete = enriched_iam_users[enriched_iam_users["unknown_fields"].map(len) > 0]
    problems = [
        Problem(
            row.user_name,
            ", ".join(row.unknown_fields),
            "unknown (read denied, or not in the credential report)",
        )
        for row in incomplete.itertuples()
    ]
    rejected = _latest_metadata(context, RAW_USERS).get(REJECTED_ROWS_KEY) or {}
    problems += [
        Problem(user, "credential report row", f"not used, read per user instead: {reason}")
        for user, reason in sorted(rejected.items())
    ]
    result = _result(problems, "collection", len(enriched_iam_users))
    counts = {"users_with_unknown_fields": len(incomplete), "report_rows_rejected": len(rejected)}
    if result.passed:
        return dg.AssetCheckResult(passed=True, metadata={**result.metadata, **counts})
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        description=result.description,
        metadata={**result.metadata, **counts},
    )


# (check function, asset, blocking, description, extra decorator arguments)
_CHECK_SPECS: tuple[tuple[Any, dg.AssetKey, bool, str, dict[str, Any]], ...] = (
    (
        ocsf_required_fields,
        OCSF_EVENTS,
        True,
        "OCSF 1.6.0 required attributes of class 5003 present; at-least-one rules hold.",
        {},
    ),
    (
        ocsf_constants_consistent,
        OCSF_EVENTS,
        True,
        "Class, category, activity, type and severity are consistent: type_uid ="
        " class_uid*100 + activity_id, every name matches its id.",
        {},
    ),
    (
        ocsf_types_valid,
        OCSF_EVENTS,
        True,
        "The events follow their profile's schema. `sekoia`: the seed's table —"
        " integers, booleans (or null when unknown), tags as a string map, epoch seconds"
        " in a plausible range. `ocsf`: the official 1.6.0 model (pydantic-ocsf) plus"
        " what it skips — no attribute outside 1.6.0, required and at-least-one rules,"
        " no nulls, milliseconds.",
        {},
    ),
    (
        ocsf_one_event_per_user,
        OCSF_EVENTS,
        True,
        "Exactly one event per collected IAM user, and user.uid is unique.",
        {"additional_ins": {"raw_iam_users": dg.AssetIn("raw_iam_users")}},
    ),
    (
        ocsf_event_size,
        OCSF_EVENTS,
        False,
        "Every event fits the intake's 250 KiB limit. Oversized events are skipped by the"
        " delivery (the rest still goes) and named here; not blocking, but an ERROR.",
        {},
    ),
    (
        iam_fields_known,
        ENRICHED_USERS,
        False,
        "Every field of every user could be read and every credential report row could be"
        " used. A WARN lists the users whose fields are unknown because an IAM read was denied"
        " or the credential report lacks their column (those fields are null in the events),"
        " and the users whose report row was rejected as malformed or stale (they were read"
        " with per-user calls instead: their fields are right).",
        {},
    ),
)


def build_checks(
    partitions_def: dg.PartitionsDefinition | None = None,
) -> list[dg.AssetChecksDefinition]:
    """The checks, partitioned as the assets they check (by AWS account, or not)."""
    return [
        dg.asset_check(
            asset=asset,
            blocking=blocking,
            description=description,
            partitions_def=partitions_def,
            **extra,
        )(check)
        for check, asset, blocking, description, extra in _CHECK_SPECS
    ]


CHECKS = build_checks()

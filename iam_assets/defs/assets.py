"""The lineage: IAM API -> raw users -> enriched users -> OCSF events -> the copy in Sekoia.io."""

import json
from collections.abc import Iterator
from typing import Any, Literal

import dagster as dg
import pandas as pd

from iam_assets.analysis import changes, enrich, kpis
from iam_assets.analysis.snapshot_store import STATE_VARIABLE, StateReport
from iam_assets.defs.resources import EventSinkResource, IAMResource, SnapshotStoreResource
from iam_assets.deliver.sekoia_intake import IntakeError
from iam_assets.ocsf import profiles, sekoia_profile

GROUP = "iam_inventory"
# Concurrency pool of the IAM reads: its limit (deploy/dagster.production.yaml) caps the
# collections in flight across runs.
IAM_POOL = "aws_iam"


class OCSFProfileConfig(dg.Config):
    """Which OCSF output to produce; empty means IAM_ASSETS_OCSF_PROFILE, else `sekoia`.

    A closed list, so that Dagster refuses any other value when the run is launched."""

    profile: Literal["", "sekoia", "ocsf"] = ""


OWNERS = ["team:security"]
AT_LEAST_ONCE = (
    "at-least-once: each run sends the whole snapshot; a failed or retried run sends it again"
)
PREVIEW_ROWS = 20
PREVIEW_COLUMNS = [
    "user_name",
    "path",
    "is_console_user",
    "has_mfa",
    "active_access_keys",
    "is_admin",
    "password_last_used_at",
    "groups",
    "unknown_fields",
]


def _markdown_table(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_(no rows)_")


def account_of(context: dg.AssetExecutionContext) -> str | None:
    """The AWS account this run inventories: its partition, or ``None`` for the credentials' own
    account when the graph is not partitioned (single-account use)."""
    return context.partition_key if context.has_partition_key else None


def collect_raw_users(context: dg.AssetExecutionContext, iam: IAMResource) -> dg.Output[list[dict]]:
    result = iam.collect(account_of(context), note=context.log.warning)
    unknown = result.unknown_fields
    if unknown:
        context.log.warning(
            "Some IAM fields could not be read (denied, or not in the credential report); they"
            " are unknown (null) in the events: "
            + ", ".join(f"{name} for {count} user(s)" for name, count in sorted(unknown.items()))
        )
    rejected = result.report_rows_rejected
    return dg.Output(
        result.users,
        metadata={
            "aws_account_id": result.account_id or "unknown",
            "users": len(result.users),
            "strategy": result.strategy,
            "strategy_reason": result.strategy_reason,
            "credential_report_generated_at": result.report_generated_at or "n/a",
            "users_read_per_user": len(result.completed_per_user)
            if result.strategy == "bulk"
            else len(result.users),
            "fields_not_read_by_strategy": dg.MetadataValue.json(list(result.not_read)),
            "dropped_users": len(result.dropped),
            "dropped": dg.MetadataValue.json(result.dropped),
            "unknown_fields": dg.MetadataValue.json(dict(sorted(unknown.items()))),
            # Credential report rows not used (malformed or stale); the users were read per user.
            # (iam_fields_known reads the names and reasons back: checks.REJECTED_ROWS_KEY.)
            "credential_report_rows_rejected": len(rejected),
            "credential_report_rows_rejected_users": dg.MetadataValue.json(rejected),
            "iam_calls": sum(result.calls.values()),
            "iam_calls_by_action": dg.MetadataValue.json(dict(sorted(result.calls.items()))),
            "throttled_calls_waited_out": result.throttle_waits,
            "collection_seconds": round(result.seconds, 2),
        },
    )


def enrich_raw_users(
    context: dg.AssetExecutionContext, raw_iam_users: list[dict], state: SnapshotStoreResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    frame = enrich.enrich_users(raw_iam_users)
    current = changes.snapshot(frame)
    account = account_of(context)
    state_report = StateReport()
    found = changes.diff(state.load(account, state_report), current)
    state.save(current, account, state_report)
    without_mfa = frame.loc[frame["console_without_mfa"].fillna(False), "user_name"].tolist()
    metadata: dict[str, Any] = {
        **kpis.kpis(frame),
        "users_added": len(found.added),
        "users_removed": len(found.removed),
        "users_changed": len(found.changed),
        "changes": dg.MetadataValue.md(changes.changes_markdown(found)),
        "riskiest_users": dg.MetadataValue.md(kpis.riskiest_users(frame)),
        "console_users_without_mfa_list": dg.MetadataValue.md(
            "\n".join(f"- `{name}`" for name in without_mfa) or "_none_"
        ),
        "preview": _markdown_table(frame[PREVIEW_COLUMNS].head(PREVIEW_ROWS)),
        "dagster/row_count": len(frame),
    }
    yield dg.Output(frame, metadata=metadata)
    yield dg.AssetCheckResult(
        check_name="security_relevant_changes",
        passed=not found.findings,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(found.findings) or "No security-relevant change.",
        metadata={
            "findings": dg.MetadataValue.json(found.findings),
            "failing_users": dg.MetadataValue.json(
                sorted({finding.split(": ", 1)[1] for finding in found.findings})
            ),
        },
    )
    for problem in state_report.problems:
        context.log.warning(f"Change tracking: {problem}")
    yield dg.AssetCheckResult(
        check_name="change_tracking_state",
        passed=state_report.ok,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(state_report.problems)
        or f"The previous snapshot was read and this one saved ({STATE_VARIABLE}).",
        metadata={
            "state_directory": state.directory,
            "problems": dg.MetadataValue.json(state_report.problems),
            "moved_aside": dg.MetadataValue.json(state_report.moved_aside),
        },
    )


def map_to_ocsf(
    config: OCSFProfileConfig, enriched_iam_users: pd.DataFrame
) -> dg.Output[list[dict]]:
    profile = profiles.resolve(config.profile)
    events = profiles.events(enrich.to_records(enriched_iam_users), profile)
    sample = events[0] if events else {}
    return dg.Output(
        events,
        metadata={
            "events": len(events),
            "ocsf_profile": profile,
            "ocsf_version": sekoia_profile.OCSF_VERSION,
            "type_uid": sekoia_profile.TYPE_UID,
            "sample_event": dg.MetadataValue.md(
                "```json\n" + json.dumps(sample, indent=2) + "\n```"
            ),
        },
    )


def deliver_to_sekoia(
    context: dg.AssetExecutionContext,
    ocsf_user_inventory: list[dict],
    intake: EventSinkResource,
    state: SnapshotStoreResource,  # holds the account for the run: one delivery at a time
) -> dg.MaterializeResult:
    try:
        report = intake.deliver(ocsf_user_inventory, context)
    except IntakeError as error:
        # Not materialised: the last successful delivery stays the last one in the UI.
        raise dg.Failure(
            description=str(error),
            metadata={
                "delivered_events": error.delivered,
                "undelivered_events": error.undelivered,
                "delivery": AT_LEAST_ONCE,
                "destination": intake.destination(),
            },
        ) from None
    if report.skipped:
        context.log.error(
            f"{len(report.skipped)} event(s) exceed the intake's 250 KiB limit and were not sent:"
            f" {', '.join(item['user'] for item in report.skipped[:10])}"
        )
    context.log.info(
        f"Delivered {report.delivered} OCSF events to {intake.destination()}"
        f" in {report.requests} request(s), {report.retries} retried"
    )
    return dg.MaterializeResult(
        metadata={
            "delivered_events": report.delivered,
            "skipped_oversized_events": len(report.skipped),
            "skipped": dg.MetadataValue.json(report.skipped[:100]),
            "batches": report.batches,
            "requests": report.requests,
            "retries": report.retries,
            "bytes_sent": report.bytes_sent,
            "bytes_uncompressed": report.bytes_uncompressed,
            "destination": intake.destination(),
            "delivery": AT_LEAST_ONCE,
        }
    )


def build_assets(
    partitions_def: dg.PartitionsDefinition | None = None,
) -> list[dg.AssetsDefinition]:
    """The four assets, one per arrow of the lineage; partitioned (by AWS account) or not."""
    common: dict[str, Any] = {
        "group_name": GROUP,
        "owners": OWNERS,
        "partitions_def": partitions_def,
    }
    return [
        dg.asset(
            name="raw_iam_users",
            kinds={"aws", "python"},
            pool=IAM_POOL,
            description=(
                "Every IAM user of the AWS account, in the raw shape of the Sekoia.io AWS IAM"
                " connector: path, creation date, password last used, access keys, MFA devices,"
                " console access, tags, groups and policy names. Denied reads stay unknown and"
                " are listed per user."
            ),
            **common,
        )(collect_raw_users),
        dg.asset(
            name="enriched_iam_users",
            kinds={"pandas"},
            description=(
                "One row per IAM user with derived columns: is_console_user, has_mfa, active"
                " access keys, console users without MFA, admin, oldest active key. Unknown"
                " values are <NA>, never False. Metadata: security KPIs, the riskiest users, and"
                " what changed since the previous snapshot."
            ),
            check_specs=[
                dg.AssetCheckSpec(
                    "security_relevant_changes",
                    asset="enriched_iam_users",
                    description=(
                        "WARN when a change since the previous snapshot matters: an admin"
                        " without MFA appeared, or a console user lost MFA."
                    ),
                ),
                dg.AssetCheckSpec(
                    "change_tracking_state",
                    asset="enriched_iam_users",
                    description=(
                        "WARN when the previous snapshot could not be read (it is moved aside"
                        " and tracking restarts) or this one could not be saved"
                        f" ({STATE_VARIABLE}). The inventory is delivered either way."
                    ),
                ),
            ],
            **common,
        )(enrich_raw_users),
        dg.asset(
            name="ocsf_user_inventory",
            kinds={"ocsf"},
            description=(
                "OCSF 1.6.0 User Inventory Info: Collect events (class 5003, type 500302), one"
                " per user: by default exactly per the Sekoia.io mapping table (profile"
                " `sekoia`), or strict OCSF 1.6.0 (profile `ocsf`, IAM_ASSETS_OCSF_PROFILE or"
                " run config); `cloud.account.uid` names the AWS account. Blocking checks gate"
                " delivery."
            ),
            **common,
        )(map_to_ocsf),
        dg.asset(
            name="sekoia_user_inventory",
            kinds={"sekoia"},
            description=(
                "The copy of the inventory in Sekoia.io: every OCSF event posted to the HTTP"
                " intake and acknowledged with an event id (at-least-once). Fails, with counts"
                " of delivered and undelivered events, if any batch is refused."
            ),
            **common,
        )(deliver_to_sekoia),
    ]


ASSETS = build_assets()
raw_iam_users, enriched_iam_users, ocsf_user_inventory, sekoia_user_inventory = ASSETS

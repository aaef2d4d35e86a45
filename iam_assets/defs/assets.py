"""The lineage: IAM API -> raw users -> enriched users -> OCSF events -> the copies in Sekoia.io
(delivery_assets.py).

One asset per arrow; each function's docstring is the description the UI shows.
"""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pandas as pd

from iam_assets.analysis import changes, compliance, credentials, enrich, kpis
from iam_assets.analysis.control_types import ControlSettings
from iam_assets.analysis.records import Finding
from iam_assets.analysis.snapshot_store import STATE_VARIABLE, StateReport
from iam_assets.collect import carried_facts
from iam_assets.defs import keys
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.check_results import (
    collection_result,
    freshness_metadata,
    root_account_result,
)
from iam_assets.defs.checks import result, specs_on
from iam_assets.defs.control_checks import (
    account_facts,
    compliance_metadata,
    control_results,
    control_specs,
)
from iam_assets.defs.delivery_assets import build_delivery_assets
from iam_assets.defs.destinations import INTAKE_COPY, Destination
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets.ocsf import profiles, sekoia_profile

PREVIEW_ROWS = 20
PREVIEW_COLUMNS = [
    "user_name",
    "path",
    "is_console_user",
    "has_mfa",
    "active_access_keys",
    "access_keys_unused_90d",
    "mfa_kinds",
    "active_ssh_keys",
    "active_service_credentials",
    "is_admin",
    "can_become_admin",
    "password_last_used_at",
    "groups",
    "failed_controls",
    "unknown_fields",
]


def _markdown_table(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_(no rows)_")


def account_of(context: dg.AssetExecutionContext) -> str | None:
    """The AWS account this run inventories: its partition, or ``None`` for the credentials' own
    account when the graph is not partitioned (single-account use)."""
    return context.partition_key if context.has_partition_key else None


def reached_account(raw_users: Sequence[dict]) -> str | None:
    """The account the credentials reached, from the users' ARNs (``None``: no users): an
    unpartitioned inventory keys its state by it, so that pointing the credentials at another
    account (``IAM_ASSETS_ROLE_ARN``) never compares one account with another."""
    accounts = {user["Arn"].split(":")[4] for user in raw_users if user.get("Arn")}
    return accounts.pop() if len(accounts) == 1 else None


def unkeyed_snapshot(
    previous: dict[str, Any] | None, current: dict[str, Any], context: dg.AssetExecutionContext
) -> dict[str, Any] | None:
    """The unkeyed snapshot (``previous_snapshot.json``), if it is this account's: it shares
    users (IAM user ids are unique) with this run, or one of them is empty."""
    if previous is None or not previous or not current or set(previous) & set(current):
        return previous
    context.log.warning(
        "The unkeyed previous snapshot shares no user with this account: it is another"
        " account's and is not compared with this one"
    )
    return None


def collect_raw_users(
    context: dg.AssetExecutionContext, iam: IAMResource, state: SnapshotStoreResource
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Every IAM user of the AWS account, in the raw shape of the Sekoia.io AWS IAM connector:
    path, creation date, password last used, access keys (with their last use), MFA devices
    (with their kind), console access, tags, groups and policy names, plus signing
    certificates, SSH keys, service-specific credentials and the permissions boundary; and the
    root user's MFA and keys. Denied reads stay unknown and are listed per user. Facts IAM tells
    only per user are carried from the last run while CloudTrail shows no change to them."""
    state_report = StateReport()

    def reached(account: str) -> carried_facts.CarriedFacts:
        if not context.has_partition_key:  # the lock of the account the credentials reach, too
            state.hold(account, holder=f"run {context.run.run_id}")
        return carried_facts.from_state(state.load_facts(account, state_report))

    result = iam.collect(account_of(context), note=context.log.warning, carried=reached)
    if result.account_id:
        facts = carried_facts.to_state(result.users, result.started_at or datetime.now(UTC))
        state.save_facts(facts, result.account_id, state_report)
    for problem in state_report.problems:
        context.log.warning(f"{problem} ({STATE_VARIABLE})")
    unknown = result.unknown_fields
    if unknown:
        context.log.warning(
            "Some IAM fields could not be read (denied, or not in the credential report); they"
            " are unknown (null) in the events: "
            + ", ".join(f"{name} for {count} user(s)" for name, count in sorted(unknown.items()))
        )
    rejected = result.report_rows_rejected
    yield dg.Output(
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
            "credential_report_rows_rejected": len(rejected),
            "credential_report_rows_rejected_users": dg.MetadataValue.json(rejected),
            "iam_calls": sum(result.calls.values()),
            "iam_calls_by_action": dg.MetadataValue.json(dict(sorted(result.calls.items()))),
            "throttled_calls_waited_out": result.throttle_waits,
            "collection_seconds": round(result.seconds, 2),
            **freshness_metadata(result.freshness),
            # The root user, charted across materialisations (unknown figures left out).
            **credentials.root_account_kpis(result.root_account),
            "root_account": dg.MetadataValue.json(dict(result.root_account or {})),
            # The password policy and the root user's virtual MFA, for the account's controls.
            "account_settings": dg.MetadataValue.json(dict(result.account_settings or {})),
        },
    )
    yield collection_result(result.users, rejected, result.freshness)
    yield root_account_result(result.root_account)


def enrich_raw_users(
    context: dg.AssetExecutionContext,
    raw_iam_users: list[dict],
    state: SnapshotStoreResource,
    controls: ControlSettings | None = None,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """One row per IAM user with derived columns: is_console_user, has_mfa and the MFA kinds,
    active access keys, keys unused for 90+ days or never used, SSH keys, service credentials,
    signing certificates, console users without MFA, administrator and can-become-administrator
    verdicts with their reasons (which policy, which statement), oldest active key, the CIS and
    Security Hub controls each user fails. Unknown values are <NA>, never False. Metadata:
    security KPIs, the riskiest users, the compliance summary (failing count per control), and
    what changed since the previous snapshot (new credentials included)."""
    now, controls = datetime.now(UTC), controls or ControlSettings()
    frame = enrich.enrich_users(raw_iam_users, now, controls)
    judged = compliance.evaluate(enrich.to_records(frame), account_facts(context), controls, now)
    current = changes.snapshot(frame)
    account = account_of(context) or reached_account(raw_iam_users)
    state_report = StateReport()
    previous = state.load(account, state_report)
    if previous is None and account and not context.has_partition_key:
        previous = unkeyed_snapshot(state.load(None, state_report), current, context)
    found = changes.diff(previous, current)
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
        **compliance_metadata(judged),
    }
    yield dg.Output(frame, metadata=metadata)
    yield from control_results(judged)
    yield result(
        "security_relevant_changes",
        passed=not found.findings,
        description=_with_privilege_reasons(found.findings, frame)
        or "No security-relevant change.",
        metadata={
            "findings": dg.MetadataValue.json([str(finding) for finding in found.findings]),
            keys.FAILING_USERS: dg.MetadataValue.json(
                sorted({finding.user for finding in found.findings})
            ),
        },
    )
    for problem in state_report.problems:
        context.log.warning(f"Change tracking: {problem}")
    yield result(
        "change_tracking_state",
        passed=state_report.ok,
        description="; ".join(state_report.problems)
        or f"The previous snapshot was read and this one saved ({STATE_VARIABLE}).",
        metadata={
            "state_directory": state.directory,
            "problems": dg.MetadataValue.json(state_report.problems),
            "moved_aside": dg.MetadataValue.json(state_report.moved_aside),
        },
    )


def _with_privilege_reasons(findings: list[Finding], frame: pd.DataFrame) -> str:
    """The findings, each privilege finding followed by why (the policy and statement)."""
    why = {row["user_name"]: kpis.privilege_reason(row) for row in kpis.rows_of(frame)}
    described = []
    for finding in findings:
        reason = why.get(finding.user) if finding.kind in PRIVILEGE_FINDINGS else None
        described.append(f"{finding} ({reason})" if reason else str(finding))
    return "; ".join(described)


PRIVILEGE_FINDINGS = frozenset({"admin_without_mfa", "became_admin", "gained_escalation_path"})


def map_to_ocsf(
    enriched_iam_users: pd.DataFrame, ocsf: OCSFProfileResource
) -> dg.Output[list[dict]]:
    """OCSF 1.6.0 User Inventory Info: Collect events (class 5003, type 500302), one per user: by
    default exactly per the Sekoia.io mapping table (profile `sekoia`), or strict OCSF 1.6.0
    (profile `ocsf`: IAM_ASSETS_OCSF_PROFILE, or the `ocsf` resource's run config);
    `cloud.account.uid` names the AWS account. Blocking checks gate delivery."""
    profile = ocsf.profile
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


def build_assets(
    partitions_def: dg.PartitionsDefinition | None = None,
    destinations: Sequence[Destination] = (INTAKE_COPY,),
    controls: ControlSettings | None = None,
) -> list[dg.AssetsDefinition]:
    """One asset per arrow of the lineage, with a leaf per destination; partitioned (by AWS
    account) or not; the controls judged by ``controls``' thresholds (the standards' defaults)."""
    settings = controls or ControlSettings()

    def enriched_iam_users(
        context: dg.AssetExecutionContext, raw_iam_users: list[dict], state: SnapshotStoreResource
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:
        yield from enrich_raw_users(context, raw_iam_users, state, settings)

    enriched_iam_users.__doc__ = enrich_raw_users.__doc__  # the description the UI shows

    common: dict[str, Any] = {
        "group_name": keys.GROUP,
        "owners": keys.OWNERS,
        "partitions_def": partitions_def,
    }

    return [
        dg.asset(
            key=keys.RAW_USERS,
            kinds={"aws", "python"},
            pool=keys.IAM_POOL,
            check_specs=specs_on(keys.RAW_USERS),
            **common,
        )(collect_raw_users),
        dg.asset(
            key=keys.ENRICHED_USERS,
            kinds={"pandas"},
            check_specs=[*specs_on(keys.ENRICHED_USERS), *control_specs(settings)],
            **common,
        )(enriched_iam_users),
        dg.asset(key=keys.OCSF_EVENTS, kinds={"ocsf"}, **common)(map_to_ocsf),
        *build_delivery_assets(destinations, common),
    ]

"""The CIS and Security Hub controls (``analysis.controls``) as WARN asset checks on
``enriched_iam_users``, one per row of the table, and the compliance summary charted on it.

The root-user and password-policy controls read what the collection found about the account:
``raw_iam_users`` records it in its metadata (``root_account``, ``account_settings``), read back
here from that asset's latest materialisation for this partition, the very one whose users the
enriched asset was given. Without it (a materialisation older than these facts), those controls
are not evaluated, never passed.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg

from iam_assets.analysis import compliance
from iam_assets.analysis.control_types import AccountFacts, ControlSettings
from iam_assets.analysis.controls import declared_controls
from iam_assets.defs import keys

SEVERITY = dg.AssetCheckSeverity.WARN  # a control that fails is a finding, never a blocker
ROOT_METADATA, SETTINGS_METADATA = "root_account", "account_settings"
SHOWN = 100  # names kept in each list of a check's metadata


def control_specs(settings: ControlSettings) -> list[dg.AssetCheckSpec]:
    """One check spec per declared control, on the enriched users."""
    return [
        dg.AssetCheckSpec(
            control.check,
            asset=keys.ENRICHED_USERS,
            description=f"{control.title} ({control.ids}; Security Hub severity"
            f" {control.severity}). Reads {control.reads}. WARN naming the users (or the root"
            f" user, or the account) that fail, and those it could not judge: unknown data is"
            " never counted as passed.",
        )
        for control in declared_controls(settings)
    ]


def account_facts(context: dg.AssetExecutionContext) -> AccountFacts:
    """The root user and account settings that ``raw_iam_users`` recorded when it collected
    the users this run enriches (its latest materialisation, of this partition)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=keys.RAW_USERS,
            asset_partitions=[context.partition_key] if context.has_partition_key else None,
        ),
        limit=1,
    ).records
    materialization = records[0].asset_materialization if records else None
    if materialization is None:
        return AccountFacts(missing="raw_iam_users has no materialisation to read it from")
    metadata = materialization.metadata
    missing = "not in raw_iam_users' metadata (collected before it was read)"

    def value(name: str) -> dict[str, Any]:
        entry = metadata.get(name)
        return dict(entry.value) if entry is not None and entry.value else {}

    return AccountFacts(
        root=value(ROOT_METADATA), settings=value(SETTINGS_METADATA), missing=missing
    )


def control_results(results: Sequence[compliance.ControlResult]) -> Iterator[dg.AssetCheckResult]:
    """Each control's check result: passed only when every subject was judged and none failed."""
    for result in results:
        yield dg.AssetCheckResult(
            check_name=result.control.check,
            asset_key=keys.ENRICHED_USERS,
            passed=result.ok,
            severity=SEVERITY,
            description=compliance.describe(result),
            metadata={
                keys.FAILING_USERS: dg.MetadataValue.json(sorted(result.failing)[:SHOWN]),
                "passed_users": dg.MetadataValue.json(result.passed[:SHOWN]),
                "evaluated_users": dg.MetadataValue.json(result.evaluated[:SHOWN]),
                "not_evaluated": dg.MetadataValue.json(
                    dict(sorted(result.not_evaluated.items())[:SHOWN])
                ),
                "failing": len(result.failing),
                "passed": len(result.passed),
                "evaluated": len(result.evaluated),
                "not_evaluated_count": len(result.not_evaluated),
                "why_failing": dg.MetadataValue.json(dict(sorted(result.failing.items())[:SHOWN])),
                "standards": result.control.ids,
            },
        )


def compliance_metadata(results: Sequence[compliance.ControlResult]) -> dict[str, Any]:
    """The enriched asset's compliance summary: a number per control to chart, and the table."""
    return {
        **compliance.summary(results),
        "compliance": dg.MetadataValue.md(compliance.summary_markdown(results)),
    }


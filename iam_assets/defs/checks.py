"""Every asset check, declared in one table (``CHECKS``): name, asset, description, severity of
a failure, blocking or not. The assets build their check specs from it and stamp its severity on
their results (``result``); the OCSF checks, evaluated on their own, are defined here too. The
OCSF checks are blocking: an invalid event is never delivered."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dagster as dg

from iam_assets.analysis.snapshot_store import STATE_VARIABLE
from iam_assets.defs import keys
from iam_assets.defs.destinations import ASSET_INVENTORY_COPY, INTAKE_COPY, Destination
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.ocsf import asset_item_rules, profiles, rules
from iam_assets.ocsf.rules import Problem

WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR
SHOWN_PROBLEMS = 25
FRESHNESS_WINDOW = timedelta(hours=26)  # a missed day


@dataclass(frozen=True)
class CheckDeclaration:
    """One asset check. Without ``evaluate``, the asset evaluates it as it materialises."""

    name: str
    asset: dg.AssetKey | None  # None: every delivered copy (one per destination)
    description: str
    severity: dg.AssetCheckSeverity  # of a failure
    blocking: bool = False
    evaluate: Callable[..., dg.AssetCheckResult] | None = None
    inputs: Mapping[str, dg.AssetIn] = field(default_factory=dict)  # beyond its asset
    needs: Destination | None = None  # exists when this destination does (reads its resource)


def summarise(
    name: str, problems: Sequence[Problem], what: str, checked: int
) -> dg.AssetCheckResult:
    """Pass/fail with the failing users and fields, first few in the description."""
    if not problems:
        return result(name, passed=True, metadata={"events_checked": checked, "problems": 0})
    users = sorted({problem.user for problem in problems})
    shown = problems[:SHOWN_PROBLEMS]
    table = "| user | field | problem |\n|---|---|---|\n" + "\n".join(
        f"| `{p.user}` | `{p.field}` | {p.message} |" for p in shown
    )
    more = f"\n\n…and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return result(
        name,
        passed=False,
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
    found = rules.required_fields(ocsf_user_inventory)
    return summarise("ocsf_required_fields", found, "required-field", len(ocsf_user_inventory))


def ocsf_constants_consistent(
    ocsf_user_inventory: list[dict], ocsf: OCSFProfileResource
) -> dg.AssetCheckResult:
    found = profiles.constant_problems(ocsf_user_inventory, ocsf.profile)
    return summarise("ocsf_constants_consistent", found, "constant", len(ocsf_user_inventory))


def ocsf_types_valid(
    ocsf_user_inventory: list[dict], ocsf: OCSFProfileResource
) -> dg.AssetCheckResult:
    found = profiles.schema_problems(ocsf_user_inventory, ocsf.profile)
    return summarise("ocsf_types_valid", found, "schema", len(ocsf_user_inventory))


def ocsf_one_event_per_user(
    ocsf_user_inventory: list[dict], raw_iam_users: list[dict]
) -> dg.AssetCheckResult:
    found = rules.one_event_per_user(ocsf_user_inventory, (u["UserId"] for u in raw_iam_users))
    return summarise("ocsf_one_event_per_user", found, "coverage", len(ocsf_user_inventory))


def ocsf_event_size(
    ocsf_user_inventory: list[dict], intake: EventSinkResource
) -> dg.AssetCheckResult:
    found = rules.event_sizes(ocsf_user_inventory, intake.max_event_bytes)
    return summarise("ocsf_event_size", found, "size", len(ocsf_user_inventory))


def asset_items_valid(
    sekoia_asset_items: dict, raw_iam_users: list[dict], asset_inventory: EventSinkResource
) -> dg.AssetCheckResult:
    items, held_back = sekoia_asset_items["records"], sekoia_asset_items["held_back"]
    users = {user["UserId"]: user["UserName"] for user in raw_iam_users}
    found = asset_item_rules.item_problems(items, held_back, users, asset_inventory.max_event_bytes)
    return summarise("asset_items_valid", found, "asset item", len(items))


CHECKS: tuple[CheckDeclaration, ...] = (
    CheckDeclaration(
        "iam_fields_known",
        keys.RAW_USERS,
        "Every field of every user could be read and every credential report row could be used."
        " A WARN lists the users whose fields are unknown because an IAM read was denied or the"
        " credential report lacks their column (those fields are null in the events), and the"
        " users whose report row was rejected as malformed or stale (they were read with per-user"
        " calls instead: their fields are right).",
        WARN,
    ),
    CheckDeclaration(
        "root_account_secure",
        keys.RAW_USERS,
        "The AWS account's root user has MFA and no active access keys or signing certificates"
        " (from the credential report's <root_account> row, else GetAccountSummary). WARN when"
        " it does not, or when that could not be read.",
        WARN,
    ),
    CheckDeclaration(
        "security_relevant_changes",
        keys.ENRICHED_USERS,
        "WARN when a change since the previous snapshot matters: an admin without MFA appeared,"
        " a console user lost MFA, a user became an administrator or gained a privilege-escalation"
        " path (with the policy that grants it), or an existing user gained (or got back) an"
        " active credential: an access key, SSH key, service-specific credential or signing"
        " certificate.",
        WARN,
    ),
    CheckDeclaration(
        "change_tracking_state",
        keys.ENRICHED_USERS,
        "WARN when the previous snapshot could not be read (it is moved aside and tracking"
        f" restarts) or this one could not be saved ({STATE_VARIABLE}). The inventory is"
        " delivered either way.",
        WARN,
    ),
    CheckDeclaration(
        "ocsf_required_fields",
        keys.OCSF_EVENTS,
        "OCSF 1.6.0 required attributes of class 5003 present; at-least-one rules hold.",
        ERROR,
        blocking=True,
        evaluate=ocsf_required_fields,
    ),
    CheckDeclaration(
        "ocsf_constants_consistent",
        keys.OCSF_EVENTS,
        "Class, category, activity, type and severity are consistent: type_uid = class_uid*100 +"
        " activity_id, every name matches its id.",
        ERROR,
        blocking=True,
        evaluate=ocsf_constants_consistent,
    ),
    CheckDeclaration(
        "ocsf_types_valid",
        keys.OCSF_EVENTS,
        "The events follow their profile's schema. `sekoia`: the product page's table — integers,"
        " booleans (or null when unknown), tags as a string map, epoch seconds in a plausible"
        " range. `ocsf`: the official 1.6.0 model (pydantic-ocsf) plus what it skips — no"
        " attribute outside 1.6.0, required and at-least-one rules, no nulls, milliseconds.",
        ERROR,
        blocking=True,
        evaluate=ocsf_types_valid,
    ),
    CheckDeclaration(
        "ocsf_one_event_per_user",
        keys.OCSF_EVENTS,
        "Exactly one event per collected IAM user, and user.uid is unique.",
        ERROR,
        blocking=True,
        evaluate=ocsf_one_event_per_user,
        inputs={"raw_iam_users": dg.AssetIn(keys.RAW_USERS)},
    ),
    CheckDeclaration(
        "ocsf_event_size",
        keys.OCSF_EVENTS,
        "Every event fits the intake's per-event limit (250 KiB). Oversized events are skipped"
        " by the delivery (the rest still goes) and named here; not blocking, but an ERROR.",
        ERROR,
        evaluate=ocsf_event_size,
        needs=INTAKE_COPY,
    ),
    CheckDeclaration(
        "asset_items_valid",
        keys.ASSET_ITEMS,
        "Every Asset inventory item is what Sekoia's SDK would send: valid in its model"
        " (UserOCSFModel) and its exact dump, one per collected user (or held back, named),"
        " user.uid unique, within the size limit. Blocking: nothing goes to the Asset API.",
        ERROR,
        blocking=True,
        evaluate=asset_items_valid,
        inputs={"raw_iam_users": dg.AssetIn(keys.RAW_USERS)},
        needs=ASSET_INVENTORY_COPY,
    ),
    # On every delivered copy; Dagster's freshness builder writes the description the UI shows.
    CheckDeclaration(
        "freshness_check",
        None,
        f"The copy was delivered within the last {FRESHNESS_WINDOW.total_seconds() / 3600:g}"
        " hours (a missed day fails it).",
        ERROR,
    ),
)


def held_back_declaration(destination: Destination) -> CheckDeclaration | None:
    """The check naming the users a destination's payload held back (its row names it), on its
    copy; ``None`` for a destination that sends everyone."""
    if destination.held_back_check is None:
        return None
    return CheckDeclaration(
        destination.held_back_check,
        destination.asset_key,
        f"Every user was sent as one of the {destination.what}. A WARN names the users held"
        " back, each with why: one the destination's model cannot hold (an asset item needs a"
        " creation time), one over the size limit, or one the destination refused (with its"
        " reason; the others were delivered).",
        WARN,
    )


def declared(name: str) -> CheckDeclaration:
    """The declaration in ``CHECKS`` of the check called ``name``."""
    for declaration in CHECKS:
        if declaration.name == name:
            return declaration
    raise KeyError(f"no check is declared as {name!r}")


def result(
    check: str | CheckDeclaration,
    *,
    passed: bool,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dg.AssetCheckResult:
    """The result of ``check`` (its declaration, or its name in ``CHECKS``): a failure at its
    declared severity."""
    declaration = check if isinstance(check, CheckDeclaration) else declared(check)
    return dg.AssetCheckResult(
        check_name=declaration.name,
        passed=passed,
        severity=declaration.severity,
        description=description,
        metadata=dict(metadata or {}),
    )


def specs_on(asset: dg.AssetKey, destination: Destination | None = None) -> list[dg.AssetCheckSpec]:
    """The specs of the checks ``asset`` evaluates itself (with ``destination``'s held-back
    check when ``asset`` is its copy)."""
    declarations = [*CHECKS, held_back_declaration(destination) if destination else None]
    return [
        dg.AssetCheckSpec(d.name, asset=asset, description=d.description, blocking=d.blocking)
        for d in declarations
        if d is not None and d.asset == asset and d.evaluate is None
    ]


def build_checks(
    partitions_def: dg.PartitionsDefinition | None = None,
    destinations: Sequence[Destination] = (INTAKE_COPY,),
) -> list[dg.AssetChecksDefinition]:
    """The checks evaluated on their own, partitioned as the assets they check (by AWS account,
    or not); a check that reads a destination's resource exists when that destination does."""
    return [
        dg.asset_check(
            asset=d.asset,
            name=d.name,
            description=d.description,
            blocking=d.blocking,
            additional_ins=dict(d.inputs) or None,
            partitions_def=partitions_def,
        )(d.evaluate)
        for d in CHECKS
        # one evaluated on its own names its asset (None is for the copies' freshness checks)
        if d.evaluate is not None
        and d.asset is not None
        and (d.needs is None or d.needs in destinations)
    ]

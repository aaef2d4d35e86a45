"""Every setting the package reads from the environment, read here and nowhere else: the
resources of the production code location, its account scope and its schedule. (The demo reads
its own two folders; TLS and proxy variables are read where the standard library and requests
read them, see deliver/http_post.py.)

Secrets travel as ``dg.EnvVar`` (resolved at run time, never stored in run config); a setting
that cannot work fails here, when the code location loads, naming the variable.
"""

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from iam_assets.analysis.control_types import ControlSettings
from iam_assets.analysis.snapshot_store import STATE_VARIABLE
from iam_assets.collect import accounts
from iam_assets.collect.carried_facts import DEFAULT_REVERIFY_DAYS
from iam_assets.defs import destinations as registry
from iam_assets.defs.aws_resource import (
    BUDGET_VARIABLE,
    CHANGES_VARIABLE,
    EXTERNAL_ID_VARIABLE,
    MEMBER_ROLE_VARIABLE,
    REVERIFY_VARIABLE,
    ROLE_VARIABLE,
    SSH_KEYS_VARIABLE,
    STRATEGY_VARIABLE,
    WORKERS_VARIABLE,
    IAMResource,
)
from iam_assets.defs.destinations import Destination
from iam_assets.defs.notifier import (
    SLACK_CHANNEL,
    SLACK_TOKEN,
    UI_URL,
    WEBHOOK_URL,
    NotifierResource,
)
from iam_assets.defs.ocsf_resource import PROFILE_VARIABLE, OCSFProfileResource
from iam_assets.defs.partitions import (
    ACCOUNTS_VARIABLE,
    EXCLUDED_VARIABLE,
    AccountScope,
    account_scope,
)
from iam_assets.defs.schedules import CRON_VARIABLE, DEFAULT_CRON
from iam_assets.defs.sink_resources import EventSinkResource
from iam_assets.defs.state_resource import SnapshotStoreResource
from iam_assets.ocsf import profiles

DESTINATIONS_VARIABLE = "IAM_ASSETS_DESTINATIONS"
REQUIRED_TAGS_VARIABLE = "IAM_ASSETS_REQUIRED_TAGS"


def notifier_from_env() -> NotifierResource:
    def secret(variable: str) -> str | None:
        return dg.EnvVar(variable) if os.environ.get(variable) else None

    return NotifierResource(
        slack_token=secret(SLACK_TOKEN),
        slack_channel=os.environ.get(SLACK_CHANNEL) or "#security-alerts",
        webhook_url=secret(WEBHOOK_URL),
        ui_url=os.environ.get(UI_URL) or "http://127.0.0.1:3000",
    )


def snapshot_store_from_env() -> SnapshotStoreResource:
    default = Path(os.environ.get("DAGSTER_HOME") or ".") / "iam_assets_state"
    return SnapshotStoreResource(directory=os.environ.get(STATE_VARIABLE) or str(default))


def iam_resource_from_env() -> IAMResource:
    """Production IAM access: boto3's chain, plus optional roles from the environment."""
    return IAMResource(
        member_role_name=os.environ.get(MEMBER_ROLE_VARIABLE) or accounts.DEFAULT_ROLE_NAME,
        strategy=os.environ.get(STRATEGY_VARIABLE) or "auto",
        max_workers=env_int(WORKERS_VARIABLE, default=4, minimum=1),
        read_ssh_keys=env_flag(SSH_KEYS_VARIABLE, default=True),
        read_changes=env_flag(CHANGES_VARIABLE, default=True),
        reverify_days=env_int(REVERIFY_VARIABLE, default=DEFAULT_REVERIFY_DAYS, minimum=1),
        iam_call_budget=env_int(BUDGET_VARIABLE, default=-1, minimum=0)
        if os.environ.get(BUDGET_VARIABLE)
        else None,
        role_arn=dg.EnvVar(ROLE_VARIABLE) if os.environ.get(ROLE_VARIABLE) else None,
        external_id=dg.EnvVar(EXTERNAL_ID_VARIABLE)
        if os.environ.get(EXTERNAL_ID_VARIABLE)
        else None,
    )


def destinations_from_env() -> tuple[Destination, ...]:
    """``IAM_ASSETS_DESTINATIONS``: a destination's name (``intake``, the default; ``assets``),
    ``both``, or a comma list; anything else fails at load, naming the variable."""
    every = [destination.name for destination in registry.DESTINATIONS]
    value = (os.environ.get(DESTINATIONS_VARIABLE) or every[0]).strip().lower()
    chosen = every if value == "both" else [part.strip() for part in value.split(",")]
    try:
        return registry.named(chosen)
    except ValueError:
        raise ValueError(
            f"{DESTINATIONS_VARIABLE} must be {', '.join(every)} or both, got {value!r}"
        ) from None


def sink_resource_from_env(destination: Destination) -> EventSinkResource:
    """The production resource of ``destination``, from the settings its row declares: values
    as ``dg.EnvVar`` (resolved at run time; unset and without a default, the launch fails naming
    the variable), flags read now."""
    fields: dict[str, object] = {}
    for setting in destination.settings:
        if setting.flag:
            fields[setting.field] = env_flag(setting.variable)
        elif os.environ.get(setting.variable) or setting.default is None:
            fields[setting.field] = dg.EnvVar(setting.variable)
        else:
            fields[setting.field] = setting.default
    return destination.resource(**fields)


def sinks_from_env(
    make: Callable[[Destination], EventSinkResource] = sink_resource_from_env,
) -> dict[str, EventSinkResource]:
    """The sinks of the destinations ``IAM_ASSETS_DESTINATIONS`` chooses, under their resource
    keys, as ``build_definitions`` takes them; ``make`` builds each one (the demo's: a local
    outbox)."""
    return {destination.resource_key: make(destination) for destination in destinations_from_env()}


def env_int(variable: str, *, default: int, minimum: int) -> int:
    """A whole-number setting, or an error naming the variable and what it accepts."""
    value = (os.environ.get(variable) or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ValueError(f"{variable} must be a whole number of at least {minimum}, got {value!r}")
    return number


def env_flag(variable: str, *, default: bool = False) -> bool:
    """A yes/no setting: false/0/no/off is no, true/1/yes/on is yes, unset is ``default``, else
    an error naming the variable."""
    value = (os.environ.get(variable) or "").strip().lower()
    if not value:
        return default
    if value in {"false", "0", "no", "off"}:
        return False
    if value in {"true", "1", "yes", "on"}:
        return True
    raise ValueError(f"{variable} must be true or false, got {value!r}")


def ocsf_profile_from_env() -> OCSFProfileResource:
    """The OCSF output from ``IAM_ASSETS_OCSF_PROFILE``; an unknown one fails here, at load."""
    try:
        profile = profiles.resolve(os.environ.get(PROFILE_VARIABLE))
    except ValueError as error:
        raise ValueError(f"{PROFILE_VARIABLE} / {error}") from None
    return OCSFProfileResource(profile=profile)


def account_scope_from_env() -> AccountScope | None:
    """``IAM_ASSETS_ACCOUNTS`` and ``IAM_ASSETS_EXCLUDE_ACCOUNTS``: ``None`` for single-account
    use; a clear error, naming the variable, for a bad value."""
    return account_scope(
        os.environ.get(ACCOUNTS_VARIABLE) or "", os.environ.get(EXCLUDED_VARIABLE) or ""
    )


def schedule_cron_from_env() -> str:
    """``IAM_ASSETS_SCHEDULE_CRON``, the daily schedule in UTC (default 06:00)."""
    return os.environ.get(CRON_VARIABLE) or DEFAULT_CRON


def controls_from_env() -> ControlSettings:
    """``IAM_ASSETS_REQUIRED_TAGS``: the tag keys every user must carry, comma separated (a tag
    key may hold spaces); set, it declares the IAM.25 control; unset, that control is not."""
    value = os.environ.get(REQUIRED_TAGS_VARIABLE) or ""
    keys = tuple(dict.fromkeys(key.strip() for key in value.split(",") if key.strip()))
    return ControlSettings(required_tags=keys)

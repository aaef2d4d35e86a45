"""The two OCSF outputs, side by side: ``sekoia`` (the Sekoia.io product page's table, the
default) and ``ocsf`` (strict OCSF 1.6.0). The caller chooses (the Dagster layer reads it from
its settings); nothing here reads the environment."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from iam_assets.analysis.records import EnrichedUser
from iam_assets.ocsf import rules, sekoia_profile, strict_profile, strict_rules
from iam_assets.ocsf.problems import Problem

Profile = Literal["sekoia", "ocsf"]
PROFILES: tuple[Profile, ...] = ("sekoia", "ocsf")
DEFAULT_PROFILE: Profile = "sekoia"


def resolve(chosen: str | None) -> Profile:
    """The profile named ``chosen`` (any case; ``None`` or empty: the default), or a
    ``ValueError`` listing the profiles."""
    profile = (chosen or DEFAULT_PROFILE).strip().lower()
    for known in PROFILES:
        if profile == known:
            return known
    raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")


def events(records: Iterable[EnrichedUser], profile: str) -> list[dict[str, Any]]:
    if profile == "ocsf":
        return strict_profile.strict_user_inventory_events(records)
    return sekoia_profile.user_inventory_events(records)


def schema_problems(events: Sequence[Mapping[str, Any]], profile: str) -> list[Problem]:
    """The profile's own schema: the product page's table (types, units) or the official 1.6.0
    model."""
    if profile == "ocsf":
        return strict_rules.validate_strict(events)
    return rules.types_valid(events)


def constant_problems(events: Sequence[Mapping[str, Any]], profile: str) -> list[Problem]:
    """Class/category/activity/type/severity constants; the account type is the profile's."""
    expected = dict(rules.EXPECTED_CONSTANTS)
    if profile == "ocsf":
        expected["user.account.type"] = strict_profile.ACCOUNT_TYPE
        expected["user.account.type_id"] = strict_profile.ACCOUNT_TYPE_ID
    return rules.constants_consistent(events, constants=expected)

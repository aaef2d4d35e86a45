"""The two OCSF outputs, side by side: ``sekoia`` (the seed's table, default) and ``ocsf``
(strict OCSF 1.6.0). Chosen by ``IAM_ASSETS_OCSF_PROFILE`` or the asset's run config."""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from iam_assets import ocsf, ocsf_checks, ocsf_strict, ocsf_strict_checks
from iam_assets.ocsf_checks import Problem

PROFILE_VARIABLE = "IAM_ASSETS_OCSF_PROFILE"
PROFILES = ("sekoia", "ocsf")
DEFAULT_PROFILE = "sekoia"


def resolve(configured: str | None = None) -> str:
    """Run config first, then the environment, then the default; anything else is an error."""
    profile = (configured or os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE).strip().lower()
    if profile not in PROFILES:
        raise ValueError(
            f"{PROFILE_VARIABLE} / profile must be one of {', '.join(PROFILES)}, got {profile!r}"
        )
    return profile


def events(records: Iterable[Mapping[str, Any]], profile: str) -> list[dict[str, Any]]:
    if profile == "ocsf":
        return ocsf_strict.strict_user_inventory_events(records)
    return ocsf.user_inventory_events(records)


def schema_problems(events: Sequence[Mapping[str, Any]], profile: str) -> list[Problem]:
    """The profile's own schema: the seed's table (types, units) or the official 1.6.0 model."""
    if profile == "ocsf":
        return ocsf_strict_checks.validate_strict(events)
    return ocsf_checks.types_valid(events)


def constant_problems(events: Sequence[Mapping[str, Any]], profile: str) -> list[Problem]:
    """Class/category/activity/type/severity constants; the account type is the profile's."""
    expected = dict(ocsf_checks.EXPECTED_CONSTANTS)
    if profile == "ocsf":
        expected["user.account.type"] = ocsf_strict.ACCOUNT_TYPE
        expected["user.account.type_id"] = ocsf_strict.ACCOUNT_TYPE_ID
    return ocsf_checks.constants_consistent(events, constants=expected)

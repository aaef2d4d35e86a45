"""Which OCSF output the graph produces, as a resource shared by the mapping asset and the checks
that validate its events (so that the checks never have to guess the profile)."""

import dagster as dg
from pydantic import Field

from iam_assets.ocsf.profiles import DEFAULT_PROFILE, Profile

PROFILE_VARIABLE = "IAM_ASSETS_OCSF_PROFILE"


class OCSFProfileResource(dg.ConfigurableResource):
    """``sekoia``: the Sekoia.io product page's mapping table; ``ocsf``: strict OCSF 1.6.0.

    A closed list: Dagster refuses any other value when a run is launched with resource config.
    """

    profile: Profile = Field(
        default=DEFAULT_PROFILE, description=f"The OCSF output ({PROFILE_VARIABLE})"
    )

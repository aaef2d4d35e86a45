"""How the Sekoia.io intake is configured, and what is refused at launch (no Dagster here).

Every error names the variable to fix and never echoes the key.
"""

from iam_assets.deliver.endpoint_config import (
    EndpointConfigError,
    EndpointVariables,
    validate_endpoint,
)

DEFAULT_INTAKE_URL = "https://intake.sekoia.io"
KEY_VARIABLE = "SEKOIA_INTAKE_KEY"
URL_VARIABLE = "SEKOIA_INTAKE_URL"
ALLOW_HTTP_VARIABLE = "SEKOIA_INTAKE_ALLOW_HTTP"
INTAKE_VARIABLES = EndpointVariables(
    url=URL_VARIABLE,
    secret=KEY_VARIABLE,
    allow_http=ALLOW_HTTP_VARIABLE,
    default_url=DEFAULT_INTAKE_URL,
    secret_name="intake key",
)

IntakeConfigError = EndpointConfigError  # the name the intake's callers know


def validate_intake_config(url: str, key: str, *, allow_http: bool = False) -> str:
    """Return the normalised intake URL, or say which variable is wrong (never the key)."""
    return validate_endpoint(url, key, INTAKE_VARIABLES, allow_http=allow_http)

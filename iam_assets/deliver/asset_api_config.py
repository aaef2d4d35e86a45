"""How Sekoia.io's Asset inventory API is configured, and what is refused at launch (no Dagster).

The API key is a Sekoia.io API key (Settings -> API keys) allowed to push assets; the connector
UUID is the one Sekoia.io shows for the asset connector created under Assets -> Asset connectors.
Every error names the variable to fix and never echoes the key.
"""

import uuid

from iam_assets.deliver.endpoint_config import (
    EndpointConfigError,
    EndpointVariables,
    validate_endpoint,
)

DEFAULT_API_URL = "https://api.sekoia.io"
API_URL_VARIABLE = "SEKOIA_API_URL"
API_KEY_VARIABLE = "SEKOIA_API_KEY"
CONNECTOR_VARIABLE = "SEKOIA_ASSET_CONNECTOR_UUID"
API_ALLOW_HTTP_VARIABLE = "SEKOIA_API_ALLOW_HTTP"
API_VARIABLES = EndpointVariables(
    url=API_URL_VARIABLE,
    secret=API_KEY_VARIABLE,
    allow_http=API_ALLOW_HTTP_VARIABLE,
    default_url=DEFAULT_API_URL,
    secret_name="API key",
)


def validate_asset_api_config(
    url: str, key: str, connector_uuid: str, *, allow_http: bool = False
) -> tuple[str, str]:
    """The normalised API base URL and connector UUID, or which variable is wrong."""
    base = validate_endpoint(url, key, API_VARIABLES, allow_http=allow_http)
    try:
        connector = str(uuid.UUID((connector_uuid or "").strip()))
    except ValueError:
        raise EndpointConfigError(
            f"{CONNECTOR_VARIABLE} must be the UUID of the asset connector (Sekoia.io: Assets ->"
            " Asset connectors), such as 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        ) from None
    if len(key.strip()) >= 16 and key.strip() in connector_uuid:  # pasted in the wrong place
        raise EndpointConfigError(f"{CONNECTOR_VARIABLE} holds the API key: swap the values")
    return base, connector

"""What makes an HTTP destination usable, checked at launch (no Dagster here).

Both Sekoia.io destinations (the intake, the Asset inventory API) take a base URL and a secret
that travels in a header. Every error names the variable to fix and never echoes the secret.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


class EndpointConfigError(ValueError):
    """The destination cannot be used as configured; the message names the variable to fix."""


@dataclass(frozen=True)
class EndpointVariables:
    """The names a person sets, as the errors should name them."""

    url: str  # e.g. SEKOIA_INTAKE_URL
    secret: str  # e.g. SEKOIA_INTAKE_KEY
    allow_http: str  # e.g. SEKOIA_INTAKE_ALLOW_HTTP
    default_url: str
    secret_name: str  # what the secret is, for people: "intake key", "API key"


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint(
    url: str, secret: str, names: EndpointVariables, *, allow_http: bool = False
) -> str:
    """Return the normalised base URL, or say which variable is wrong (never echoing the secret).

    Plain ``http://`` is for a local stand-in: anywhere else the secret would travel in clear
    text, so it needs ``allow_http``.
    """
    parts = urlsplit(url or "")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise EndpointConfigError(
            f"{names.url} must not carry credentials, a query string or a fragment; put the"
            f" {names.secret_name} in {names.secret}"
        )
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise EndpointConfigError(
            f"{names.url} must be an http(s) URL such as {names.default_url},"
            f" got {_redact(url, secret)!r}"
        )
    if parts.scheme == "http" and not (allow_http or is_loopback(parts.hostname)):
        raise EndpointConfigError(
            f"{names.url} is a plain http:// URL to {parts.hostname}: the {names.secret_name}"
            f" would travel in clear text. Use https://, or set {names.allow_http}=true if this"
            " network is trusted"
        )
    if not secret or not secret.strip():
        raise EndpointConfigError(
            f"{names.secret} is empty: set it to the {names.secret_name} from Sekoia.io"
        )
    if not _header_safe(secret):
        raise EndpointConfigError(
            f"{names.secret} cannot travel in an HTTP header: it contains spaces, control or"
            " non-Latin-1 characters (check for a pasted newline or quote marks)"
        )
    return url.rstrip("/")


def _header_safe(value: str) -> bool:
    """Printable Latin-1 without spaces: what an HTTP header value can carry unchanged."""
    return all(0x21 <= ord(char) <= 0x7E or 0xA1 <= ord(char) <= 0xFF for char in value)


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret and len(secret) >= 4 else text

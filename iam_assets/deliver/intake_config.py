"""How the Sekoia.io intake is configured, and what is refused at launch (no Dagster here).

Every error names the variable to fix and never echoes the key.
"""

import ipaddress
from urllib.parse import urlsplit

DEFAULT_INTAKE_URL = "https://intake.sekoia.io"
KEY_VARIABLE = "SEKOIA_INTAKE_KEY"
URL_VARIABLE = "SEKOIA_INTAKE_URL"
ALLOW_HTTP_VARIABLE = "SEKOIA_INTAKE_ALLOW_HTTP"


class IntakeConfigError(ValueError):
    """The intake cannot be used as configured; the message names the variable to fix."""


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_intake_config(url: str, key: str, *, allow_http: bool = False) -> str:
    """Return the normalised base URL, or say which variable is wrong (never echoing the key).

    Plain ``http://`` is for a local stand-in: anywhere else the key would travel in clear text,
    so it needs ``allow_http`` (``SEKOIA_INTAKE_ALLOW_HTTP``).
    """
    parts = urlsplit(url or "")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must not carry credentials, a query string or a fragment; put the"
            f" key in {KEY_VARIABLE}"
        )
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise IntakeConfigError(
            f"{URL_VARIABLE} must be an http(s) URL such as {DEFAULT_INTAKE_URL},"
            f" got {_redact(url, key)!r}"
        )
    if parts.scheme == "http" and not (allow_http or is_loopback(parts.hostname)):
        raise IntakeConfigError(
            f"{URL_VARIABLE} is a plain http:// URL to {parts.hostname}: the intake key would"
            f" travel in clear text. Use https://, or set {ALLOW_HTTP_VARIABLE}=true if this"
            " network is trusted"
        )
    if not key or not key.strip():
        raise IntakeConfigError(f"{KEY_VARIABLE} is empty: set it to the intake key from Sekoia.io")
    if not _header_safe(key):
        raise IntakeConfigError(
            f"{KEY_VARIABLE} cannot travel in an HTTP header: it contains spaces, control or"
            " non-Latin-1 characters (check for a pasted newline or quote marks)"
        )
    return url.rstrip("/")


def _header_safe(value: str) -> bool:
    """Printable Latin-1 without spaces: what an HTTP header value can carry unchanged."""
    return all(0x21 <= ord(char) <= 0x7E or 0xA1 <= ord(char) <= 0xFF for char in value)


def _redact(text: str, key: str) -> str:
    return text.replace(key, "***") if key and len(key) >= 4 else text

"""One HTTP POST (or GET) with a hard deadline and no redirects (stdlib ``http.client``, no
Dagster here).

Why not ``requests``: its timeout bounds each socket read, not the exchange, so an answer that
trickles one byte at a time holds a run for ever; and it follows redirects, with the headers
(the intake key) and the body, to wherever a ``Location`` points. Here a watchdog shuts the socket
when the deadline passes, whatever phase the exchange is in, and a 3xx is just an answer.

An ``https`` URL honours ``HTTPS_PROXY`` / ``NO_PROXY`` (a CONNECT tunnel through an ``http://``
proxy) and verifies the server against ``SSL_CERT_FILE``, else ``REQUESTS_CA_BUNDLE``, else
certifi's bundle.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import socket
import ssl
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import SplitResult, unquote, urlsplit

import certifi

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # an acknowledgement of 1,000 ids is ~40 KB


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes


class TransportError(Exception):
    """The exchange did not complete: refused, dropped at any point, or past its deadline."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


@cache
def default_tls() -> ssl.SSLContext:
    # Read here, not in defs/settings.py: these are the standard variables of OpenSSL
    # (SSL_CERT_FILE) and requests (REQUESTS_CA_BUNDLE), honoured the way the rest of the
    # toolchain honours them, as the proxy variables are by urllib's getproxies(); they are not
    # settings of this project, and a pure stage needs them where the connection is made.
    cafile = os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    return ssl.create_default_context(cafile=cafile or certifi.where())


def _proxy_for(parts: SplitResult) -> SplitResult | None:
    """The ``http://`` proxy an https URL goes through, per ``HTTPS_PROXY`` and ``NO_PROXY``."""
    proxy = urllib.request.getproxies().get("https")
    if not proxy or parts.scheme != "https" or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return proxy_parts if proxy_parts.hostname else None


def _connection(parts: SplitResult, timeout: float) -> http.client.HTTPConnection:
    host = parts.hostname
    if host is None:  # the endpoint settings refuse such a URL before any request is made
        raise TransportError("the URL names no host")
    if parts.scheme == "http":
        return http.client.HTTPConnection(host, parts.port, timeout=timeout)
    proxy = _proxy_for(parts)
    if proxy is None or proxy.hostname is None:  # _proxy_for returns no proxy without a host
        return http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=default_tls())
    connection = http.client.HTTPSConnection(
        proxy.hostname, proxy.port or 8080, timeout=timeout, context=default_tls()
    )
    headers = {}
    if proxy.username:
        credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    connection.set_tunnel(host, parts.port or 443, headers=headers)
    return connection


def get(url: str, headers: Mapping[str, str], *, deadline: float) -> Answer:
    """GET ``url`` as ``post`` posts: the whole answer within ``deadline``, no redirect."""
    return post(url, b"", headers, deadline=deadline, method="GET")


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, deadline: float, method: str = "POST"
) -> Answer:
    """POST ``body`` and read the whole answer within ``deadline`` seconds, or raise
    ``TransportError``. Redirects are returned as they are, never followed."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")  # a webhook's token
    connection = _connection(parts, timeout=deadline)
    expired = threading.Event()

    def abort() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # wakes a blocked send or recv at once
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline, abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(method, target, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        if (response.length or 0) > MAX_ANSWER_BYTES:
            raise TransportError(f"an answer larger than {MAX_ANSWER_BYTES} bytes")
        payload = response.read()  # all of it: a body cut short raises IncompleteRead
        if expired.is_set():
            raise TransportError(f"no complete answer within {deadline:g} s", timed_out=True)
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            payload,
        )
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            raise TransportError(
                f"no complete answer within {deadline:g} s", timed_out=True
            ) from None
        raise TransportError(_describe(error)) from None
    finally:
        watchdog.cancel()
        connection.close()


def _describe(error: BaseException) -> str:
    """What happened, in words that carry no header value (the key) nor body."""
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or type(error).__name__})"
    if isinstance(error, http.client.IncompleteRead):
        return "the connection dropped while the answer was being read"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the connection dropped before any answer"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(error, BrokenPipeError):
        return "the connection dropped while the request was being sent"
    if isinstance(error, ConnectionResetError):
        return "the connection was reset"
    return f"connection failed ({type(error).__name__})"

"""A strict loopback stand-in for the Sekoia.io HTTP intake, built from the vendor's documentation.

Sources, and what each says this double accepts (anything else gets the error the service gives:
400 for a body the documentation does not list for that path, 401 for a missing or wrong key,
404 for an unknown path, 413 for an event over the limit):

* Sekoia.io, "Formatting options" (SEKOIA-IO/documentation,
  ``docs/integration/ingestion_methods/https/format.md``;
  https://docs.sekoia.io/integration/ingestion_methods/https/format/):
    - ``POST /plain``: one raw text event; the key in the ``X-SEKOIAIO-INTAKE-KEY`` header, as
      the HTTP Basic password, or as ``?intake_key=``; answers ``{"event_id": ...}``.
    - ``POST /plain/batch``: raw events separated by ``\\n``; same keys; ``{"event_ids": [...]}``.
    - ``POST /jsons`` (``Content-Type: application/json``): **a bare JSON list** of events, each
      a string; same three places for the key; ``{"event_ids": [...]}``.
    - ``POST /many?path=$.a.b``: a JSON object holding that list at ``path``; same keys.
    - ``POST /`` (application/json): ``{"intake_key": K, "json": "<event>"}`` with an optional
      ``@timestamp``; ``{"event_id": ...}``.
    - ``POST /batch`` (application/json): ``{"intake_key": K, "jsons": ["<event>", ...]}``;
      ``{"event_ids": [...]}``.
    - ``POST /array`` (application/json): ``[{"intake_key": K, "json": "<event>",
      "timestamp"?: ...}, ...]``, a key per event; ``{"event_ids": [...]}``.
* Sekoia's connector SDK (``sekoia-automation-sdk``, ``sekoia_automation/connector/__init__.py``,
  ``Connector._send_chunk``): what Sekoia's own connectors send in production, ``/batch`` with
  ``{"intake_key": ..., "jsons": chunk}``, and the answer's ``event_ids``;
  ``sekoia_automation/constants.py``: payloads up to 10 MiB (``INTAKE_PAYLOAD_BYTES_MAX_SIZE``).
* ``shared/protocols/sekoia-intake-http.md``: ``Content-Encoding: gzip`` is accepted by the
  collector (the vendors' exporters documented by Sekoia send gzip to ``/jsons``); events over
  250 KiB are refused.

Faults on demand, each as a real server would produce it on the wire: ``fail_next(503, times=3)``,
``fail_next(429, headers={"Retry-After": "1"})``, ``drop_next()`` (no answer, before or after
storing), ``drop_while_receiving()`` (hangs up half-way through the request body),
``cut_answer_next()`` (stores, then the answer body stops half-way), ``trickle_next(0.2)``
(stores, then answers one byte at a time), ``redirect_next(url)`` and ``answer_next(payload)``
(stores, then answers 200 with that payload).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import ssl
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from iam_assets_tests.support.loopback import Answer, LoopbackServer, Misbehaviour, drop

JSON = {"Content-Type": "application/json"}
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # the SDK's INTAKE_PAYLOAD_BYTES_MAX_SIZE
KEYED_ELSEWHERE = {"/plain", "/plain/batch", "/jsons", "/many"}  # header, Basic or query
KEYED_IN_BODY = {"/", "/batch", "/array"}


class Refused(Exception):
    """The request gets this status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int | None  # None: the connection was dropped
    events: int


@dataclass
class IntakeDouble(LoopbackServer):
    key: str
    other_keys: frozenset[str] = frozenset()  # more valid intake keys (the /array example's)
    max_event_bytes: int = 250 * 1024
    store: bool = True  # False: count events only (benchmarks)
    tls: ssl.SSLContext | None = None  # serve HTTPS with this server context
    received: int = 0
    events: list[Any] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._serve(self.tls)

    # -- faults on demand -------------------------------------------------------------------
    def _queue(self, kind: str, value: Any = None, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([(kind, value)] * times)

    def pass_next(self, times: int = 1) -> None:
        """Serve the next ``times`` requests normally: aims the faults queued after at a later
        batch."""
        self._queue("pass", None, times)

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self._queue("fail", (status, headers or {}), times)

    def drop_next(self, times: int = 1, after_storing: bool = False) -> None:
        self._queue("drop_after_storing" if after_storing else "drop", None, times)

    def drop_while_receiving_next(self, times: int = 1) -> None:
        self._queue("drop_while_receiving", None, times)

    def cut_answer_next(self, times: int = 1) -> None:
        self._queue("cut_answer", None, times)

    def trickle_next(self, seconds_per_byte: float, times: int = 1) -> None:
        self._queue("trickle", seconds_per_byte, times)

    def redirect_next(self, location: str, status: int = 307) -> None:
        self._queue("redirect", (status, location))

    def answer_next(self, payload: bytes, times: int = 1) -> None:
        self._queue("answer", payload, times)

    def _next_fault(self, *kinds: str) -> tuple[str, Any] | None:
        with self._lock:
            if self._faults and self._faults[0][0] in kinds:
                return self._faults.popleft()
        return None

    def drop_while_receiving(self, path: str) -> bool:
        if self._next_fault("drop_while_receiving"):
            self._log(urlsplit(path).path, {}, None, 0)
            return True
        return False

    # -- the documented protocol --------------------------------------------------------------
    def answer(self, target: str, headers: dict[str, str], raw: bytes) -> Answer | Misbehaviour:
        parts = urlsplit(target)
        if self._next_fault("pass"):
            return self._served(target, headers, raw, None)
        fault = self._next_fault("fail", "drop", "redirect")
        if fault:
            return self._fault_answer(parts.path, headers, *fault)
        after = self._next_fault("drop_after_storing", "cut_answer", "trickle", "answer")
        return self._served(target, headers, raw, after)

    def _served(
        self, target: str, headers: dict[str, str], raw: bytes, after: tuple[str, Any] | None
    ) -> Answer | Misbehaviour:
        """A documented request is stored and acknowledged (then ``after`` misbehaves)."""
        parts = urlsplit(target)
        try:
            events, single = self._accept(parts.path, parts.query, headers, raw)
        except Refused as refusal:
            self._log(parts.path, headers, refusal.status, 0)
            return refusal.status, dict(JSON), json.dumps({"message": str(refusal)}).encode()
        self._store(parts.path, headers, events)
        ids = [str(uuid.uuid4()) for _ in events]
        payload = json.dumps({"event_id": ids[0]} if single else {"event_ids": ids}).encode()
        return self._after_storing(after, payload) if after else (200, dict(JSON), payload)

    def _accept(
        self, path: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[list[str], bool]:
        """The events of a documented request, and whether its answer names one ``event_id``."""
        if path not in KEYED_ELSEWHERE | KEYED_IN_BODY:
            raise Refused(404, "not found")
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise Refused(413, "payload too large")
        body = self._decoded(headers, raw)
        params = parse_qs(query)
        if path in KEYED_ELSEWHERE:
            self._check_key(self._outside_key(headers, params))
        if path.startswith("/plain"):
            text = body.decode("utf-8", errors="strict")
            events = [text] if path == "/plain" else [line for line in text.split("\n") if line]
            return self._sized(events), path == "/plain"
        if "application/json" not in headers.get("content-type", ""):
            raise Refused(400, "Content-Type must be application/json")
        try:
            document = json.loads(body)
        except ValueError:
            raise Refused(400, "malformed JSON") from None
        events, single = self._json_events(path, document, params)
        return self._sized(events), single

    def _json_events(
        self, path: str, document: Any, params: dict[str, list[str]]
    ) -> tuple[list[str], bool]:
        if path == "/jsons":
            return _strings(document, "a list of events"), False
        if path == "/many":
            return _strings(_at_path(document, params.get("path", [""])[0]), "events"), False
        if path == "/":
            _fields(document, required={"intake_key", "json"}, optional={"@timestamp"})
            self._check_key(document["intake_key"])
            return _strings([document["json"]], "json"), True
        if path == "/batch":
            _fields(document, required={"intake_key", "jsons"}, optional=set())
            self._check_key(document["intake_key"])
            return _strings(document["jsons"], "jsons"), False
        if not isinstance(document, list) or not document:  # /array
            raise Refused(400, "/array takes a list of {intake_key, json} objects")
        for item in document:
            _fields(item, required={"intake_key", "json"}, optional={"timestamp"})
            self._check_key(item["intake_key"])
        return _strings([item["json"] for item in document], "json"), False

    @staticmethod
    def _decoded(headers: dict[str, str], raw: bytes) -> bytes:
        encoding = headers.get("content-encoding", "identity").lower()
        if encoding == "identity":
            return raw
        if encoding != "gzip":
            raise Refused(400, f"unsupported Content-Encoding {encoding}")
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError):
            raise Refused(400, "body is not valid gzip") from None

    @staticmethod
    def _outside_key(headers: dict[str, str], params: dict[str, list[str]]) -> str | None:
        if headers.get("x-sekoiaio-intake-key"):
            return headers["x-sekoiaio-intake-key"]
        authorization = headers.get("authorization", "")
        if authorization.startswith("Basic "):
            try:
                return base64.b64decode(authorization[6:]).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                raise Refused(401, "malformed Basic credentials") from None
        return params.get("intake_key", [None])[0]

    def _check_key(self, key: Any) -> None:
        if not isinstance(key, str) or not key:
            raise Refused(401, "no intake key")
        if key != self.key and key not in self.other_keys:
            raise Refused(401, "unknown intake key")

    def _sized(self, events: list[str]) -> list[str]:
        if any(len(event.encode()) > self.max_event_bytes for event in events):
            raise Refused(413, "event too large")
        return events

    # -- bookkeeping and faults ---------------------------------------------------------------
    def _log(self, path: str, headers: dict[str, str], status: int | None, events: int) -> None:
        with self._lock:
            self.requests.append(Request(path, headers, status, events))

    def _store(self, path: str, headers: dict[str, str], events: list[str]) -> None:
        parsed = [_parsed(event) for event in events] if self.store else []
        with self._lock:
            self.events.extend(parsed)
            self.received += len(events)
            self.requests.append(Request(path, headers, 200, len(events)))

    def _fault_answer(
        self, path: str, headers: dict[str, str], kind: str, value: Any
    ) -> Answer | Misbehaviour:
        if kind == "drop":
            self._log(path, headers, None, 0)
            return drop
        status, extra = value if kind == "fail" else (value[0], {"Location": value[1]})
        self._log(path, headers, status, 0)
        return status, {**JSON, **extra}, json.dumps({"message": "injected"}).encode()

    @staticmethod
    def _after_storing(fault: tuple[str, Any], payload: bytes) -> Misbehaviour:
        kind, value = fault

        def misbehave(handler: BaseHTTPRequestHandler) -> None:
            body = value if kind == "answer" else payload
            if kind == "drop_after_storing":
                drop(handler)
                return
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.flush()
            if kind == "cut_answer":
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                drop(handler)
                return
            if kind == "trickle":
                try:
                    for byte in body:
                        handler.wfile.write(bytes([byte]))
                        handler.wfile.flush()
                        time.sleep(value)
                except OSError:  # the client gave up and closed
                    handler.close_connection = True
                return
            handler.wfile.write(body)

        return misbehave


def _fields(document: Any, *, required: set[str], optional: set[str]) -> None:
    if not isinstance(document, dict):
        raise Refused(400, f"expected an object with {sorted(required)}")
    if missing := required - document.keys():
        raise Refused(400, f"missing {sorted(missing)}")
    if unknown := document.keys() - required - optional:
        raise Refused(400, f"unexpected {sorted(unknown)}")


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Refused(400, f"{what}: expected a non-empty list of strings")
    if not all(isinstance(item, str) for item in value):
        raise Refused(400, f"{what}: every event must be a string")
    return value


def _at_path(document: Any, path: str) -> Any:
    """The value at a ``$.a.b`` path, as ``/many?path=`` takes it."""
    if not path.startswith("$."):
        raise Refused(400, "path must look like $.path.to.events")
    for name in path[2:].split("."):
        if not isinstance(document, dict) or name not in document:
            raise Refused(400, f"nothing at {path}")
        document = document[name]
    return document


def _parsed(event: str) -> Any:
    """A JSON event as its object (the project's events), anything else as its text."""
    try:
        return json.loads(event)
    except ValueError:
        return event

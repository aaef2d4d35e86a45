"""A loopback stand-in for the Sekoia.io HTTP intake that records what it accepts.

It speaks the documented protocol: ``POST /jsons`` or ``POST /batch`` with ``{"jsons": [...]}``,
the key in the ``X-SEKOIAIO-INTAKE-KEY`` header, in HTTP Basic auth (as the password), in the
query (``?header_X-SEKOIAIO-INTAKE-KEY=``) or, for ``/batch``, as ``intake_key`` in the body;
gzip bodies; it answers ``{"event_ids": [...]}``. Failures on demand: ``fail_next(503, times=3)``,
``fail_next(429, headers={"Retry-After": "1"})``, ``drop_next()`` (the connection closes with no
answer, before or after the events were stored), events over ``max_event_bytes`` get 413, a wrong
key gets 401.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from iam_assets_tests.support.loopback import Answer, LoopbackServer

JSON = {"Content-Type": "application/json"}


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int | None  # None: the connection was dropped
    events: int


@dataclass
class IntakeDouble(LoopbackServer):
    key: str
    max_event_bytes: int = 250 * 1024
    store: bool = True  # False: count events only (benchmarks)
    received: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: deque[tuple[int, dict[str, str]]] = deque()
        self._drops: deque[bool] = deque()  # True: drop after storing the events
        self._lock = threading.Lock()
        self._serve()

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, headers or {})] * times)

    def drop_next(self, times: int = 1, after_storing: bool = False) -> None:
        with self._lock:
            self._drops.extend([after_storing] * times)

    def _key(self, target: str, headers: dict[str, str], body: dict) -> str | None:
        parts = urlsplit(target)
        query = parse_qs(parts.query).get("header_X-SEKOIAIO-INTAKE-KEY", [None])[0]
        basic = None
        if headers.get("authorization", "").startswith("Basic "):
            decoded = base64.b64decode(headers["authorization"][6:]).decode()
            basic = decoded.partition(":")[2]
        body_key = body.get("intake_key") if parts.path == "/batch" else None
        return headers.get("x-sekoiaio-intake-key") or basic or query or body_key

    def answer(self, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        """(status, headers, payload); status ``None`` means: drop the connection."""
        path = urlsplit(target).path
        with self._lock:
            if self._failures:
                status, extra = self._failures.popleft()
                self.requests.append(Request(path, headers, status, 0))
                return (
                    status,
                    {**JSON, **extra},
                    json.dumps({"message": "injected failure"}).encode(),
                )
            drop = self._drops.popleft() if self._drops else None
        if drop is False:
            return self._record(path, headers, None, b"")
        try:
            if headers.get("content-encoding", "").lower() == "gzip":
                raw = gzip.decompress(raw)
            body = json.loads(raw)
            jsons = body["jsons"]
        except (OSError, ValueError, KeyError, TypeError):
            return self._record(path, headers, 400, b'{"message": "malformed"}')
        if path not in {"/jsons", "/batch"}:
            return self._record(path, headers, 404, b'{"message": "not found"}')
        if self._key(target, headers, body) != self.key:
            return self._record(path, headers, 401, b'{"message": "unknown intake key"}')
        if any(len(item.encode()) > self.max_event_bytes for item in jsons):
            return self._record(path, headers, 413, b'{"message": "event too large"}')
        parsed = [json.loads(item) for item in jsons] if self.store else []
        with self._lock:
            self.events.extend(parsed)
            self.received += len(jsons)
            self.requests.append(Request(path, headers, 200, len(jsons)))
        if drop:
            return None, {}, b""
        ids = [str(uuid.uuid4()) for _ in jsons]
        return 200, dict(JSON), json.dumps({"event_ids": ids}).encode()

    def _record(self, path: str, headers: dict[str, str], status: int | None, payload: bytes):
        with self._lock:
            self.requests.append(Request(path, headers, status, 0))
        return status, dict(JSON), payload

"""A loopback stand-in for the Sekoia.io HTTP intake that records what it accepts.

It speaks the documented protocol: ``POST /jsons`` with the key in ``X-SEKOIAIO-INTAKE-KEY`` and
``{"jsons": [...]}``, or ``POST /batch`` with ``{"intake_key": ..., "jsons": [...]}``; it answers
``{"event_ids": [...]}``. Failures can be queued: ``fail_next(503, times=3)``,
``fail_next(429, headers={"Retry-After": "1"})``, a wrong key gets 401.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int
    events: int


@dataclass
class IntakeDouble:
    key: str
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> IntakeDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, headers or {})] * times)

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, bytes]:
        if headers.get("content-encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        with self._lock:
            if self._failures:
                status, extra = self._failures.popleft()
                self.requests.append(Request(path, headers, status, 0))
                return status, extra, json.dumps({"message": "injected failure"}).encode()
        try:
            body = json.loads(raw)
            jsons = body["jsons"]
        except (ValueError, KeyError, TypeError):
            return self._record(path, headers, 400, b'{"message": "malformed"}')
        if path == "/batch":
            key = body.get("intake_key") or headers.get("x-sekoiaio-intake-key")
        elif path == "/jsons":
            key = headers.get("x-sekoiaio-intake-key")
        else:
            return self._record(path, headers, 404, b'{"message": "not found"}')
        if key != self.key:
            return self._record(path, headers, 401, b'{"message": "unknown intake key"}')
        parsed = [json.loads(item) for item in jsons]
        with self._lock:
            self.events.extend(parsed)
            self.requests.append(Request(path, headers, 200, len(parsed)))
        ids = [str(uuid.uuid4()) for _ in parsed]
        return 200, {}, json.dumps({"event_ids": ids}).encode()

    def _record(self, path: str, headers: dict[str, str], status: int, payload: bytes):
        with self._lock:
            self.requests.append(Request(path, headers, status, 0))
        return status, {}, payload

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small answer must not wait 40 ms for an ACK

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = double._answer(self.path, headers, raw)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

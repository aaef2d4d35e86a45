"""The shared part of the test doubles: a threaded HTTP server on 127.0.0.1, on a free port.

A double answers with an ``Answer`` (status, headers, payload; status ``None`` drops the
connection), or, to misbehave on the wire, with a ``Misbehaviour``: a function that writes
whatever it likes on the raw connection (a cut body, a trickle).
"""

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int | None, dict[str, str], bytes]  # status None: drop the connection
Misbehaviour = Callable[[BaseHTTPRequestHandler], None]


def drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection at once, answering nothing."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """Answers every POST with ``self.answer(path, lower-cased headers, body)``, every GET with
    ``self.answer_get(path, lower-cased headers)``."""

    def _serve(self, tls: ssl.SSLContext | None = None) -> None:
        """Serve plain HTTP, or HTTPS with ``tls`` (a server context holding its certificate)."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one small answer must not wait 40 ms for an ACK

            def log_message(self, *_args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                length = int(self.headers.get("Content-Length", 0))
                if owner.drop_while_receiving(self.path):
                    self.rfile.read(min(length, 512))  # part of the request, then hang up
                    drop(self)
                    return
                body = self.rfile.read(length)
                self._reply(owner.answer(self.path, headers, body))

            def do_GET(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                self._reply(owner.answer_get(self.path, headers))

            def _reply(self, result: Answer | Misbehaviour) -> None:
                if callable(result):
                    result(self)
                    return
                status, extra, payload = result
                if status is None:
                    drop(self)  # no answer at all
                    return
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def drop_while_receiving(self, path: str) -> bool:
        """True: read only the start of this request's body, then drop the connection."""
        return False

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer | Misbehaviour:
        raise NotImplementedError

    def answer_get(self, path: str, headers: dict[str, str]) -> Answer | Misbehaviour:
        """A GET; a double that serves none answers 405."""
        return 405, {"Allow": "POST"}, b""

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

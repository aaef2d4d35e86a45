"""`dagster dev` (webserver, daemon, code server) on loopback, and its GraphQL API.

Not a double: it runs the real Dagster processes and talks to them through Dagster's own
GraphQL API (the queries used are those of ``dagster_graphql``'s client and schema)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).with_name("dagster"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterDev:
    """A running ``dagster dev``: its UI's URL and its process, leader of its own process group."""

    url: str
    process: subprocess.Popen

    def crash(self) -> None:
        """SIGKILL every process of this ``dagster dev`` at once (webserver, daemon, code server,
        run workers), as a host crash or a container restart would: nobody records anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def dagster_dev(
    module: str, home: Path, log_path: Path, env: Mapping[str, str]
) -> Iterator[DagsterDev]:
    """``dagster dev -m module`` with ``DAGSTER_HOME=home``; yields it once its UI answers and
    stops every process it started (the whole process group) afterwards, unless it crashed."""
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [DAGSTER, "dev", "-m", module, "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "dagster dev did not come up in 180 s"
            time.sleep(1)
        yield DagsterDev(url, process)
    finally:
        with suppress(ProcessLookupError):  # gone already if it crashed
            os.killpg(process.pid, signal.SIGTERM)  # webserver, daemon and code servers
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


@contextmanager
def running_dagster_dev(
    module: str, home: Path, log_path: Path, env: Mapping[str, str]
) -> Iterator[str]:
    """``dagster dev -m module`` with ``DAGSTER_HOME=home``; yields the UI's URL and stops every
    process it started (the whole process group) afterwards."""
    with dagster_dev(module, home, log_path, env) as dev:
        yield dev.url


def graphql(url: str, query: str, **variables) -> dict:
    answer = requests.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    answer.raise_for_status()
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def location_name(url: str) -> str:
    data = graphql(
        url,
        """{ workspaceOrError { ... on Workspace {
        locationEntries { name locationOrLoadError { __typename ... on PythonError { message } } }
        } } }""",
    )
    (entry,) = data["workspaceOrError"]["locationEntries"]
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
    return entry["name"]

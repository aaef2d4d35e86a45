"""`dagster dev` (webserver, daemon, code server) on loopback, and its GraphQL API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).with_name("dagster"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_dagster_dev(
    module: str, home: Path, log_path: Path, env: Mapping[str, str]
) -> Iterator[str]:
    """``dagster dev -m module`` with ``DAGSTER_HOME=home``; yields the UI's URL and stops every
    process it started (the whole process group) afterwards."""
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
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # webserver, daemon and code servers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


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

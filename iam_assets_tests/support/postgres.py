"""A throwaway PostgreSQL server on 127.0.0.1, from Debian's ``postgresql`` package.

``initdb`` a fresh cluster in a temporary folder, start it on a free port (TCP on loopback only,
no Unix socket), hand out its URL, and remove everything afterwards. PostgreSQL refuses to run as
root, so as root the server runs as the package's ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder, or ``None`` when no server is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    return int(Path(path).parts[4]) if Path(path).parts[4].isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_postgres(bin_dir: Path) -> Iterator[str]:
    """A server for the duration of the block; yields ``postgresql://...`` for its database."""
    root = Path(tempfile.mkdtemp(prefix="iam-assets-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chmod(root, 0o755)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    log = root / "server.log"

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "dagster",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        )
        options = f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        try:
            yield f"postgresql://dagster@127.0.0.1:{port}/postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)

"""One inventory per AWS account at a time, whoever starts it (a file lock; no Dagster here).

Dagster's run queue keeps queued runs apart (``dagster.yaml``), but ``dagster asset materialize``
and in-process runs never pass through the queue: two of them for the same account would both
collect and deliver the whole snapshot. The lock is an ``flock`` on a file of the state folder,
held from the start of a run to its end: the kernel frees it when the holding process dies, so a
crashed run never leaves the account locked.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path


class AccountBusy(RuntimeError):
    """Another run holds the account."""


class AccountLock:
    def __init__(self, directory: str | Path, account_id: str | None, holder: str) -> None:
        self.path = Path(directory) / "locks" / f"{account_id or 'own-account'}.lock"
        self.account = account_id or "the credentials' own account"
        self.holder = holder
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Hold the account, or raise ``AccountBusy`` naming the run that holds it.

        ``OSError`` (the folder cannot be written) is left to the caller, who decides whether an
        unlockable account may still be inventoried.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _read_holder(descriptor)
            os.close(descriptor)
            raise AccountBusy(
                f"Another inventory of {self.account} is running ({current}). This run stops"
                " before reading IAM, so that the snapshot is not delivered twice; run it again"
                " once that one has finished."
            ) from None
        os.ftruncate(descriptor, 0)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        holder = {"holder": self.holder, "pid": os.getpid(), "host": socket.gethostname()}
        os.write(descriptor, json.dumps({**holder, "since": stamp}).encode())
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            os.close(self._descriptor)
            self._descriptor = None


def _read_holder(descriptor: int) -> str:
    try:
        holder = json.loads(os.pread(descriptor, 4096, 0) or b"{}")
    except (OSError, ValueError):
        holder = {}
    if not isinstance(holder, dict) or not holder.get("holder"):
        return "holder unknown"
    return (
        f"{holder['holder']}, process {holder.get('pid')} on {holder.get('host')},"
        f" since {holder.get('since')}"
    )

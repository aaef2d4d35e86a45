"""Each account's state as a resource: its previous snapshot and the lock that keeps its
inventory to one run at a time."""

import os
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from iam_assets.analysis.snapshot_store import STATE_VARIABLE, SnapshotStore, StateReport
from iam_assets.defs.account_lock import AccountLock
from iam_assets.defs.keys import PARTITION_TAG

FACTS_STEM = "per_user_facts"  # the facts one collection may carry to the next


def owner_only_files() -> None:
    """From here on, files this run writes are readable by their owner only: Dagster's stored
    outputs (the whole inventory, pickled), compute logs, the state. A shared machine's
    default umask (022) would leave them world-readable."""
    os.umask(os.umask(0o077) | 0o077)


class SnapshotStoreResource(dg.ConfigurableResource):
    """Each account's state, in ``directory``: its previous snapshot, to say what changed, and
    the lock that keeps its inventory to one run at a time.

    On a multi-node deployment, point it at shared storage. Snapshot problems are reported in a
    ``StateReport``, never raised: change tracking must not stop the inventory. The lock is taken
    when the run starts (before IAM is read) and freed when it ends; the account is the run's
    partition or, unpartitioned, the credentials' own account, and then also the account they
    reach (``hold``), so that an unpartitioned run and a partitioned one never read the same
    account at once.
    """

    directory: str = Field(description=f"Folder for the previous snapshot ({STATE_VARIABLE})")
    _lock: AccountLock | None = PrivateAttr(default=None)
    _held: list[AccountLock] = PrivateAttr(default_factory=list)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        owner_only_files()
        run = context.run
        account = run.tags.get(PARTITION_TAG) if run else None
        lock = AccountLock(self.directory, account, holder=f"run {run.run_id if run else '?'}")
        try:
            lock.acquire()
        except OSError as error:  # an unusable state folder must not stop the inventory
            (context.log or dg.get_dagster_logger()).warning(
                f"Could not lock {lock.account} in {lock.path.parent} ({error.strerror}): check"
                f" {STATE_VARIABLE}. This run goes on without the guard against a concurrent"
                " inventory of the same account."
            )
            return
        self._lock = lock

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for lock in [*self._held, *([self._lock] if self._lock else [])]:
            lock.release()
        self._lock = None
        self._held.clear()

    def hold(self, account_id: str, holder: str) -> None:
        """Also hold ``account_id`` until the run ends (``AccountBusy`` if another run does);
        an unusable state folder was already reported at setup."""
        lock = AccountLock(self.directory, account_id, holder=holder)
        try:
            lock.acquire()
        except OSError:
            return
        self._held.append(lock)

    def load(self, account_id: str | None, report: StateReport) -> dict[str, Any] | None:
        """The previous snapshot (of ``account_id`` when the inventory covers several)."""
        return SnapshotStore(self.directory).load(account_id, report)

    def save(self, snapshot: dict[str, Any], account_id: str | None, report: StateReport) -> None:
        SnapshotStore(self.directory).save(snapshot, account_id, report)

    def load_facts(self, account_id: str, report: StateReport) -> dict[str, Any] | None:
        """The per-user facts the last collection of ``account_id`` read (``carried_facts``)."""
        return SnapshotStore(self.directory, FACTS_STEM).load(account_id, report)

    def save_facts(self, facts: dict[str, Any], account_id: str, report: StateReport) -> None:
        SnapshotStore(self.directory, FACTS_STEM).save(facts, account_id, report)

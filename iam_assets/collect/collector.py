"""Read every IAM user of one AWS account, as raw users (``records.RawUser``; no Dagster here).

This module chooses the strategy (``bulk.py`` or ``per_user.py``), falls back from bulk to
per-user calls when the bulk APIs are denied, reads the root user (the credential report's
``<root_account>`` row, else ``GetAccountSummary``) and what the account-level controls read
(``account_settings``), and says in a ``CollectionResult`` what was read and how. The
collector makes only read-only IAM calls, all listed in ``IAM_ACTIONS`` and in the checked-in
policy document ``iam_assets/collect/iam_policy.json``. Two rules keep the inventory
honest:

* a user deleted while we read it (``NoSuchEntity``) is dropped, with a note;
* a call we are not allowed to make (``AccessDenied``) leaves its field ``None`` (unknown) and is
  recorded in the user's ``UnknownFields``; it never becomes ``False`` or ``0``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iam_assets.collect import trail_changes
from iam_assets.collect.account_settings import (
    ACCOUNT_ACTIONS,
    AccountSettings,
    read_account_settings,
)
from iam_assets.collect.bulk import (
    ALSO_CALLED_BY_BULK,
    BULK_ACTIONS,
    NOT_READ_BY_BULK,
    BulkReader,
    BulkUnavailable,
)
from iam_assets.collect.client import IAMCalls, IAMCollectionError, describe
from iam_assets.collect.freshness import Freshness, Incremental
from iam_assets.collect.per_user import NOT_READ_PER_USER, PER_USER_ACTIONS, PerUserReader
from iam_assets.collect.records import RawUser, RootAccount
from iam_assets.collect.root_account import root_from_summary

__all__ = ["ALSO_CALLED_BY_BULK", "CollectionResult", "IAMUserCollector", "collect_users"]

# Every IAM action the collector can call: the recommended policy grants exactly these.
IAM_ACTIONS: tuple[str, ...] = BULK_ACTIONS + PER_USER_ACTIONS + ACCOUNT_ACTIONS
# Beside IAM: what changed since the credential report and since per-user facts were read.
CHANGE_HISTORY_ACTIONS: tuple[str, ...] = (trail_changes.ACTION,)
STRATEGIES = ("auto", "bulk", "per_user")


@dataclass
class CollectionResult:
    """What one collection produced, and what a user of the inventory should know about it."""

    users: list[RawUser]
    strategy: str
    strategy_reason: str
    dropped: list[dict[str, str]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    report_generated_at: str | None = None
    completed_per_user: list[str] = field(default_factory=list)
    # User -> why their credential report row was not used (malformed or stale): they were read
    # with per-user calls instead, so their fields are right.
    report_rows_rejected: dict[str, str] = field(default_factory=dict)
    not_read: tuple[str, ...] = ()
    throttle_waits: int = 0
    account_id: str | None = None  # set by the caller, who knows which account it reads
    # The root user: from the credential report's <root_account> row, else GetAccountSummary;
    # always set by a collection (Source "unknown" when nothing could be read).
    root_account: RootAccount | None = None
    # How current a bulk read is (report age, changes since, carried facts); None per user.
    freshness: Freshness | None = None
    # When the collection started: what it read, it read after this (carried facts' stamp).
    started_at: datetime | None = None
    # The password policy and the root user's virtual MFA, for the account-level controls.
    account_settings: AccountSettings | None = None

    @property
    def unknown_fields(self) -> Counter[str]:
        """How many users have each field unknown (a call was denied)."""
        return Counter(name for user in self.users for name in user["UnknownFields"])


class IAMUserCollector:
    """Reads users with one shared, thread-safe boto3 client and a bounded thread pool."""

    def __init__(
        self,
        client: Any,
        *,
        max_workers: int = 4,
        note: Callable[[str], None] | None = None,
        report_poll_seconds: float = 1.0,
        report_timeout_seconds: float = 600.0,
        throttle_patience_seconds: float = 900.0,
        read_ssh_keys: bool = True,
        incremental: Incremental | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._note = note or (lambda _message: None)
        self._calls = IAMCalls(client, throttle_patience_seconds=throttle_patience_seconds)
        # SSH public keys cost one call per user in both strategies (IAM lists them per user
        # only); an account that does not want that cost leaves them unread.
        self._skipped = frozenset() if read_ssh_keys else frozenset({"SSHPublicKeys"})
        self._per_user = PerUserReader(
            self._calls, max_workers=max_workers, note=self._note, skipped=self._skipped
        )
        self._bulk = BulkReader(
            self._calls,
            self._per_user,
            note=self._note,
            report_poll_seconds=report_poll_seconds,
            report_timeout_seconds=report_timeout_seconds,
            incremental=incremental,
        )

    def list_users(self) -> list[dict[str, Any]]:
        """Every user of the account, following every page."""
        return self._per_user.list_users()

    def collect(self, strategy: str = "auto") -> CollectionResult:
        """The full inventory: one raw user per IAM user still present at the end of the read.

        ``auto`` uses the bulk APIs and falls back to per-user calls when they are denied;
        ``bulk`` fails instead of falling back; ``per_user`` never tries the bulk APIs.
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
        started, started_at = time.monotonic(), datetime.now(UTC)
        try:
            result = self._collect(strategy, started)
            result.started_at = started_at
            return result
        except ClientError as error:
            raise IAMCollectionError(describe(error, "read the account's IAM users")) from error
        except BotoCoreError as error:  # no credentials, endpoint unreachable, ...
            raise IAMCollectionError(
                f"Could not read the account's IAM users: {error}. Check the AWS credentials"
                " chain and, if set, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_IAM."
            ) from error

    def _collect(self, strategy: str, started: float) -> CollectionResult:
        if strategy == "per_user":
            return self._collect_per_user(started, "per-user strategy requested in configuration")
        try:
            read = self._bulk.read()
        except BulkUnavailable as unavailable:
            if strategy == "bulk":
                raise IAMCollectionError(
                    f"The bulk strategy was requested but {unavailable}. Grant the bulk APIs"
                    " (see iam_assets/collect/iam_policy.json) or use the auto strategy."
                ) from None
            self._note(f"Falling back to per-user IAM calls: {unavailable}")
            return self._collect_per_user(
                started, f"bulk strategy unavailable ({unavailable}): per-user calls"
            )
        root = read.root or root_from_summary(self._calls)
        settings = read_account_settings(self._calls, read.virtual_mfa)
        return CollectionResult(
            users=read.users,
            strategy="bulk",
            strategy_reason="bulk APIs granted: authorization details + credential report",
            dropped=read.dropped,
            calls=Counter(self._calls.counts),
            seconds=time.monotonic() - started,
            report_generated_at=read.report_generated_at,
            completed_per_user=read.completed_per_user,
            report_rows_rejected=read.report_rows_rejected,
            not_read=NOT_READ_BY_BULK + tuple(sorted(self._skipped)),
            throttle_waits=self._calls.throttle_waits,
            root_account=root,
            freshness=read.freshness,
            account_settings=settings,
        )

    def _collect_per_user(self, started: float, reason: str) -> CollectionResult:
        users, dropped = self._per_user.read_many(self._per_user.list_users())
        root = root_from_summary(self._calls)
        settings = read_account_settings(self._calls)
        return CollectionResult(
            users=users,
            strategy="per_user",
            strategy_reason=reason,
            dropped=dropped,
            calls=Counter(self._calls.counts),
            throttle_waits=self._calls.throttle_waits,
            not_read=NOT_READ_PER_USER + tuple(sorted(self._skipped)),
            seconds=time.monotonic() - started,
            root_account=root,
            account_settings=settings,
        )


def collect_users(
    client: Any,
    *,
    strategy: str = "auto",
    max_workers: int = 4,
    note: Callable[[str], None] | None = None,
    report_poll_seconds: float = 1.0,
    read_ssh_keys: bool = True,
    incremental: Incremental | None = None,
    report_timeout_seconds: float = 600.0,
) -> CollectionResult:
    """Convenience wrapper: the full inventory of the account behind ``client``."""
    collector = IAMUserCollector(
        client,
        max_workers=max_workers,
        note=note,
        report_poll_seconds=report_poll_seconds,
        report_timeout_seconds=report_timeout_seconds,
        read_ssh_keys=read_ssh_keys,
        incremental=incremental,
    )
    return collector.collect(strategy)

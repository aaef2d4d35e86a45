"""The previous snapshot of each account, for change tracking (files; no Dagster here).

Change tracking is a convenience beside the inventory, so nothing here may stop a delivery: an
unreadable snapshot is moved aside and tracking restarts from this run; a directory that cannot
be written is reported, not raised. Each save writes a temporary file of its own, then renames it
over the snapshot: a crash or a concurrent save leaves one whole snapshot, never a torn one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_VARIABLE = "IAM_ASSETS_STATE_DIR"


@dataclass
class StateReport:
    """What went wrong with the stored state in this run; empty when all is well."""

    problems: list[str] = field(default_factory=list)
    moved_aside: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class SnapshotStore:
    """One JSON file per account in ``directory``, named ``<stem>-<account>.json``; readable by
    its owner only (the folder too), since it holds the account's whole inventory."""

    def __init__(self, directory: str | Path, stem: str = "previous_snapshot") -> None:
        self.directory = Path(directory)
        self.stem = stem

    def path(self, account_id: str | None) -> Path:
        name = f"{self.stem}-{account_id}.json" if account_id else f"{self.stem}.json"
        return self.directory / name

    def load(self, account_id: str | None, report: StateReport) -> dict[str, Any] | None:
        """The previous snapshot, or ``None`` (first run, or an unreadable file set aside)."""
        path = self.path(account_id)
        try:
            snapshot = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            reason = _reason(error)
        else:
            if isinstance(snapshot, dict):
                return snapshot
            reason = f"holds a JSON {type(snapshot).__name__}, not a snapshot"
        self._set_aside(path, reason, report)
        return None

    def save(self, snapshot: dict[str, Any], account_id: str | None, report: StateReport) -> None:
        path = self.path(account_id)
        partial = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor, partial = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".partial", dir=path.parent
            )
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(snapshot, file, sort_keys=True)
            os.replace(partial, path)
        except OSError as error:
            if partial:
                Path(partial).unlink(missing_ok=True)
            report.problems.append(
                f"the snapshot could not be saved to {path} ({_reason(error)}): check"
                f" {STATE_VARIABLE}; the next run will compare with the last snapshot saved"
            )

    def _set_aside(self, path: Path, reason: str, report: StateReport) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = path.with_name(f"{path.name}.unreadable-{stamp}")
        try:
            path.replace(aside)
        except OSError as error:
            report.problems.append(
                f"the previous snapshot {path} is unreadable ({reason}) and could not be moved"
                f" aside ({_reason(error)}): check {STATE_VARIABLE}; changes are not tracked"
            )
            return
        report.moved_aside.append(str(aside))
        report.problems.append(
            f"the previous snapshot {path} was unreadable ({reason}); it was moved to {aside}"
            " and change tracking restarts from this run"
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return type(error).__name__

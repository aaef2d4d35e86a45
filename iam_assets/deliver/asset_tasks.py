"""What became of an accepted Asset API push: its ingestion task, followed to its end (no Dagster).

The Asset API accepts a batch with ``{"task_id": ...}`` and ingests it afterwards; no answer
counts or lists the items it rejects. What Sekoia's SDK does to learn the outcome
(``sekoia-automation-sdk``, ``asset_connector/async_connector.py`` ``wait_for_push_task``,
``mixin.py`` ``task_endpoint``, ``utils.py`` ``TASK_PENDING_STATUSES``), done here too:
``GET {base}/api/v1/tasks/{task_id}`` with the same key until its ``status`` leaves
``PENDING``/``RUNNING``; ``FINISHED`` is success, any other status failed the batch, with the
task's ``error``. Polled fast first (1 s), then every ``interval``; given up after ``timeout``.
A Task API that cannot be read leaves the outcome unknown, never assumed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from iam_assets.deliver.http_post import TransportError, get

PENDING = frozenset({"PENDING", "RUNNING"})
FINISHED = "FINISHED"
REQUEST_SECONDS = 30.0  # one status request, as the SDK's


@dataclass(frozen=True)
class TaskOutcome:
    """A task's end: ``status`` ``None`` when it could not be learnt (``why`` says why)."""

    status: str | None
    why: str = ""

    @property
    def finished(self) -> bool:
        return self.status == FINISHED


@dataclass
class TaskFollower:
    """Follows the ingestion tasks of one delivery."""

    base: str
    key: str
    timeout: float = 300.0  # one task, s
    interval: float = 5.0  # between two polls once past the first seconds, s
    sleep: Callable[[float], None] = field(default=time.sleep)
    shown: int = 200  # characters of a task's error kept

    def outcome(self, task_id: str) -> TaskOutcome:
        """Poll ``task_id`` to its end, or until ``timeout``."""
        url = f"{self.base}/api/v1/tasks/{task_id}"
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
        waited, wait = 0.0, min(1.0, self.interval)
        while True:
            try:
                answer = get(url, headers, deadline=REQUEST_SECONDS)
            except TransportError as error:
                return TaskOutcome(None, f"the Task API could not be reached ({error})")
            if answer.status != 200:
                return TaskOutcome(None, f"the Task API answered HTTP {answer.status}")
            try:
                task = json.loads(answer.body)
            except ValueError:
                task = None
            if not isinstance(task, dict) or not isinstance(task.get("status"), str):
                return TaskOutcome(None, "the Task API answered without a status")
            if task["status"] not in PENDING:
                return TaskOutcome(task["status"], self._redacted(task.get("error")))
            if waited >= self.timeout:
                return TaskOutcome(None, f"still {task['status']} after {self.timeout:g} s")
            self.sleep(wait)
            waited += wait
            wait = min(wait * 2, self.interval)

    def _redacted(self, error: object) -> str:
        """The task's error in its own words, the key redacted first, then shortened."""
        said = str(error) if error else "no error reported"
        return (said.replace(self.key, "***") if self.key else said)[: self.shown]

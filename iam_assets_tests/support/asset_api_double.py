"""A strict loopback stand-in for Sekoia.io's Asset inventory API, built from Sekoia's SDK.

There is no public page for this API; its contract is the code of Sekoia's own asset connectors,
and each rule below cites the file it comes from:

* ``sekoia-automation-sdk`` 1.27.0, ``sekoia_automation/asset_connector/connector.py``:
    - ``asset_connector_endpoint``: ``POST {base}/api/v2/asset-management/asset-connector/{uuid}``
      (anything else: 404);
    - ``_http_header``: ``Authorization: Bearer <API key>`` (missing or unknown key: 401) and
      ``Content-Type: application/json``; the SDK never compresses (any Content-Encoding: 400);
    - ``post_assets_to_api``: the body is ``AssetList.model_dump(exclude_none=True)``, success is
      HTTP 200 and its JSON answer; ``push_assets_to_sekoia``: the answer may hold a
      ``task_id``; ``handle_api_error`` / the error branch: errors carry JSON ``message`` and
      ``code``;
    - ``asset_fetch_cycle``: a batch is pushed only when it holds items (an empty list: 400).
* ``sekoia-automation-models`` 1.4.0 (what the SDK re-exports as its models),
  ``sekoia_automation_models/connector.py``: ``AssetList(version: int, items)``, ``version`` 1
  (the SDK's ``OCSF_SCHEMA_VERSION``), ``DefaultAssetConnectorConfiguration.batch_size`` 100 (more
  items in one request: 413 here, the largest batch Sekoia's connectors send by default);
  ``ocsf/user.py``: every item must validate as ``UserOCSFModel`` AND be exactly what that model
  dumps with ``exclude_none=True`` - a ``null``, an attribute the model does not have, or a value
  it would coerce is something the SDK never sends, so it is refused (400) rather than silently
  dropped as pydantic would.

* What a 2xx says: ``sekoia_automation/asset_connector/async_connector.py``
  ``push_assets_to_sekoia``: "The push endpoint returns the task tracking the ingestion of the
  assets. Older platforms ... return nothing" - ``{"task_id": ...}`` or ``{}``; nothing in the SDK
  reads accepted or rejected counts or indexes from it (an item's fate after a 2xx is the task's,
  ``wait_for_push_task``), so this double never answers any. ``accept_with = 202`` answers
  HTTP's "accepted for processing" with the same body (the SDK itself only knows 200).
* The task: ``mixin.py`` ``task_endpoint`` (``GET {base}/api/v1/tasks/{task_id}``, same bearer
  key), ``utils.py`` ``TASK_PENDING_STATUSES`` (``PENDING``, ``RUNNING``), ``async_connector.py``
  ``_log_task_outcome``: ``FINISHED`` is success, any other terminal ``status`` a failure with the
  task's ``error``. ``fail_next_task(error)`` makes the next accepted batch's task end
  ``FAILED`` (its items are then not stored: 200 with rejections, as the API tells them);
  ``tasks_readable = False`` answers 403, as to a key without that permission.

Faults on demand, as the API would produce them: ``fail_next(status, times, headers)`` (e.g.
500, 429 with ``Retry-After``), ``drop_next(times)`` (the connection closes, no answer), and
``pass_next(times)`` to aim the faults queued after it at a later batch. ``refuse_user(name)``
is a fault on demand too: every request holding that user's item is refused whole (422 by
default) with the error body ``handle_api_error`` reads (``message``, ``code``), and nothing of
that batch is stored. Neither the SDK nor a public page says how the API refuses one item
among many; refusing the request, as this double's own validation does (400), is the case the
client cannot avoid handling.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sekoia_automation_models.ocsf.user import UserOCSFModel

from iam_assets_tests.support.loopback import Answer, LoopbackServer

PATH_PREFIX = "/api/v2/asset-management/asset-connector/"
TASK_PREFIX = "/api/v1/tasks/"
JSON = {"Content-Type": "application/json"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Push:
    """One request as the API saw it."""

    connector: str
    headers: dict[str, str]
    status: int | None  # None: the connection was dropped
    items: int


@dataclass
class AssetApiDouble(LoopbackServer):
    key: str
    connector: str = field(default_factory=lambda: str(uuid.uuid4()))
    max_items: int = 100
    with_task_id: bool = True  # False: the answer of older platforms, ``{}``
    accept_with: int = 200  # or 202
    refused_users: dict[str, int] = field(default_factory=dict)  # user.name -> status
    tasks_readable: bool = True
    not_ingested: list[dict[str, Any]] = field(default_factory=list)  # accepted, task failed
    items: list[dict[str, Any]] = field(default_factory=list)
    pushes: list[Push] = field(default_factory=list)

    def __post_init__(self) -> None:
        # (status, headers): status 0 serves the request normally, None drops the connection.
        self._faults: deque[tuple[int | None, dict[str, str]]] = deque()
        self._task_plans: deque[list[dict[str, str]]] = deque()  # for the next accepted batches
        self._tasks: dict[str, deque[dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._serve()

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._faults.extend([(status, headers or {})] * times)

    def pass_next(self, times: int = 1) -> None:
        """Serve the next ``times`` requests normally: aims the faults queued after at a later
        batch."""
        with self._lock:
            self._faults.extend([(0, {})] * times)

    def refuse_user(self, name: str, status: int = 422) -> None:
        """Refuse (``status``) every request holding the item of the user called ``name``."""
        with self._lock:
            self.refused_users[name] = status

    def fail_next_task(
        self, error: str, status: str = "FAILED", pending: int = 1, after: int = 0
    ) -> None:
        """After ``after`` batches ingested, the next accepted batch's task: ``pending`` polls
        ``RUNNING``, then ``status`` with ``error``."""
        with self._lock:
            self._task_plans.extend([[{"status": "FINISHED"}]] * after)
            plan = [{"status": "RUNNING"}] * pending + [{"status": status, "error": error}]
            self._task_plans.append(plan)

    def answer_get(self, path: str, headers: dict[str, str]) -> Answer:
        task_id = path.removeprefix(TASK_PREFIX) if path.startswith(TASK_PREFIX) else None
        with self._lock:
            steps = self._tasks.get(task_id or "")
            if headers.get("authorization") != f"Bearer {self.key}":
                status, body = 401, {"message": "missing or invalid API key", "code": "E401"}
            elif not self.tasks_readable:
                status, body = 403, {"message": "forbidden", "code": "E403"}
            elif steps is None:
                status, body = 404, {"message": "task not found", "code": "E404"}
            else:
                step = steps.popleft() if len(steps) > 1 else steps[0]
                status, body = 200, {"uuid": task_id, **step}
        return status, dict(JSON), json.dumps(body).encode()

    def drop_next(self, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([(None, {})] * times)

    def by_uid(self) -> dict[str, list[dict[str, Any]]]:
        """Every stored item, by its ``user.uid`` (a user pushed twice has two)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for item in self.items:
            found.setdefault(item["user"]["uid"], []).append(item)
        return found

    def answer(self, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        connector = target.removeprefix(PATH_PREFIX) if target.startswith(PATH_PREFIX) else ""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault[0] != 0:
            status, extra = fault
            self._log(connector, headers, status, 0)
            body = {"message": "injected", "code": f"E{status}"}
            return status, {**JSON, **extra}, json.dumps(body).encode()
        try:
            items = self._accept(connector, headers, raw)
        except Refused as refusal:
            self._log(connector, headers, refusal.status, 0)
            body = {"message": str(refusal), "code": refusal.code}
            return refusal.status, dict(JSON), json.dumps(body).encode()
        answer: dict[str, str] = {}
        with self._lock:
            plan = [{"status": "FINISHED"}]
            if self.with_task_id:
                answer["task_id"] = str(uuid.uuid4())
                plan = self._task_plans.popleft() if self._task_plans else plan
                self._tasks[answer["task_id"]] = deque(plan)
            ingested = plan[-1]["status"] == "FINISHED"
            (self.items if ingested else self.not_ingested).extend(items)
            self.pushes.append(Push(connector, headers, self.accept_with, len(items)))
        return self.accept_with, dict(JSON), json.dumps(answer).encode()

    def _accept(self, connector: str, headers: dict[str, str], raw: bytes) -> list[dict[str, Any]]:
        if connector != self.connector:
            raise Refused(404, "NOT_FOUND", "asset connector not found")
        if headers.get("authorization") != f"Bearer {self.key}":
            raise Refused(401, "UNAUTHORIZED", "missing or invalid API key")
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise Refused(400, "BAD_REQUEST", "Content-Type must be application/json")
        if headers.get("content-encoding", "identity").lower() != "identity":
            raise Refused(400, "BAD_REQUEST", "unsupported Content-Encoding")
        try:
            document = json.loads(raw)
        except ValueError:
            raise Refused(400, "BAD_REQUEST", "malformed JSON") from None
        if not isinstance(document, dict) or set(document) != {"version", "items"}:
            raise Refused(400, "BAD_REQUEST", "the body must be {version, items}")
        if document["version"] != 1 or isinstance(document["version"], bool):
            raise Refused(400, "BAD_REQUEST", "unsupported AssetList version")
        items = document["items"]
        if not isinstance(items, list) or not items:
            raise Refused(400, "BAD_REQUEST", "items must be a non-empty list")
        if len(items) > self.max_items:
            raise Refused(413, "TOO_LARGE", f"more than {self.max_items} items")
        for index, item in enumerate(items):
            problem = model_problem(item)
            if problem:
                raise Refused(400, "VALIDATION_ERROR", f"items[{index}]: {problem}")
            status = self.refused_users.get(item["user"]["name"])
            if status is not None:
                name = item["user"]["name"]
                raise Refused(status, "UNPROCESSABLE", f"items[{index}]: user {name} refused")
        return items

    def _log(self, connector: str, headers: dict[str, str], status: int | None, items: int) -> None:
        with self._lock:
            self.pushes.append(Push(connector, headers, status, items))


def model_problem(item: Any) -> str | None:
    """Why ``item`` is not what the SDK would send as a ``UserOCSFModel``, or ``None``."""
    try:
        model = UserOCSFModel.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    dumped = model.model_dump(exclude_none=True, mode="json")
    if item != dumped:
        return f"not the model's own dump: {_first_difference(item, dumped)}"
    return None


def _first_difference(sent: Any, dumped: Any, path: str = "") -> str:
    if isinstance(sent, dict) and isinstance(dumped, dict):
        for name in sorted(set(sent) | set(dumped)):
            where = f"{path}.{name}" if path else name
            if name not in dumped:
                return f"{where} is not an attribute of the model (or is null)"
            if name not in sent:
                return f"{where} is missing"
            if sent[name] != dumped[name]:
                return _first_difference(sent[name], dumped[name], where)
    if isinstance(sent, list) and isinstance(dumped, list) and len(sent) == len(dumped):
        for index, (one, other) in enumerate(zip(sent, dumped, strict=True)):
            if one != other:
                return _first_difference(one, other, f"{path}[{index}]")
    return f"{path or 'the item'}: {sent!r} would be sent as {dumped!r}"

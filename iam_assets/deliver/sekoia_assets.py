"""Sekoia.io Asset inventory API client (no Dagster here): the asset items of the inventory,
every one acknowledged, or a failure that says how many were not.

Contract, from Sekoia's connector SDK (``sekoia-automation-sdk`` 1.27.0,
``sekoia_automation/asset_connector/connector.py``: ``asset_connector_endpoint``,
``_http_header``, ``post_assets_to_api``; models in ``sekoia-automation-models``):
``POST {base}/api/v2/asset-management/asset-connector/{connector uuid}`` with
``Authorization: Bearer <API key>`` and ``Content-Type: application/json``; the body is
``{"version": 1, "items": [...]}`` without any ``null``, 100 items a request (the SDK's
``batch_size``); success is HTTP 200 with a JSON object, which may hold the ``task_id`` that
tracks the ingestion (``push_assets_to_sekoia``); 202 is acceptance too. No documented answer
counts or lists rejected items: a 2xx accepts the whole batch, and its task id is kept and
followed to its end (``asset_tasks.py``): a batch whose task fails is not delivered, its users
named with the task's error.

Unlike the SDK, a refused batch is never logged and dropped. A batch refused for its content
(any 4xx but 401, 403, 404 and 429) is split in halves until the refused items are alone: every
other item is delivered, and each refused one is named in the report with the API's reason. Any
other refusal fails the delivery with counts. Retries, deadlines and redirects follow
``retries.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from iam_assets.deliver.asset_api_config import (
    API_KEY_VARIABLE,
    API_URL_VARIABLE,
    CONNECTOR_VARIABLE,
    validate_asset_api_config,
)
from iam_assets.deliver.asset_tasks import TaskFollower
from iam_assets.deliver.retries import RetryPolicy, batch_failed, exchange, redirect_refused
from iam_assets.deliver.sekoia_intake import MAX_EVENT_BYTES
from iam_assets.deliver.sink import DeliveryError, DeliveryReport, batches, encode_events

ASSET_LIST_VERSION = 1  # the SDK's AssetConnector.OCSF_SCHEMA_VERSION
DEFAULT_BATCH_ITEMS = 100  # the SDK's DefaultAssetConnectorConfiguration.batch_size
DEFAULT_BATCH_BYTES = 1024 * 1024
MESSAGE_SHOWN = 200  # characters of the API's own error message quoted in a failure
ACCEPTED = (200, 202)
# Refusals of the request itself, not of its items: splitting the batch would not help.
NOT_ABOUT_ITEMS = (401, 403, 404)

_HINTS = {
    400: "the API refused the items as invalid",
    401: f"the API key was refused: check {API_KEY_VARIABLE}",
    403: f"the API key may not push to this asset connector: check that {API_KEY_VARIABLE} may"
    f" manage assets and that {CONNECTOR_VARIABLE} is a connector of its community",
    404: f"there is no such asset connector here: check {CONNECTOR_VARIABLE} and that"
    f" {API_URL_VARIABLE} is the API of your Sekoia.io region",
    413: "the request is larger than the API accepts",
    422: "the API refused the items as invalid",
}


class ItemsRefused(DeliveryError):
    """The API refused a request for what its items hold: splitting the batch finds which."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class SekoiaAssetClient:
    """Sekoia.io's Asset inventory API as an ``EventSink`` of asset items."""

    max_event_bytes = MAX_EVENT_BYTES  # no documented limit: held to the intake's

    def __init__(
        self,
        url: str,
        key: str,
        connector_uuid: str,
        *,
        allow_http: bool = False,
        batch_items: int = DEFAULT_BATCH_ITEMS,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        follow_tasks: bool = True,
        task_timeout: float = 300.0,
        **policy: Any,
    ) -> None:
        self._base, self._connector = validate_asset_api_config(
            url, key, connector_uuid, allow_http=allow_http
        )
        self._key = key
        self._batch_items = batch_items
        self._batch_bytes = batch_bytes
        self._policy = RetryPolicy(**policy)  # timeout, attempts, backoff, sleep
        self._tasks = (
            TaskFollower(self._base, key, timeout=task_timeout, sleep=self._policy.sleep)
            if follow_tasks
            else None
        )

    @property
    def endpoint(self) -> str:
        return f"{self._base}/api/v2/asset-management/asset-connector/{self._connector}"

    @property
    def destination(self) -> str:
        return f"{self._base} (asset connector {self._connector})"

    def __repr__(self) -> str:
        return f"SekoiaAssetClient(url={self._base!r}, connector={self._connector!r}, key=***)"

    def send(self, events: Sequence[Mapping[str, Any]]) -> DeliveryReport:
        """Deliver every item, batch after batch: items refused for their content are isolated
        and named (``report.refused``); any other refusal raises ``DeliveryError``."""
        report = DeliveryReport(events=len(events))
        encoded = encode_events(events, report.skipped, self.max_event_bytes)
        grouped = batches(encoded, max_events=self._batch_items, max_bytes=self._batch_bytes)
        first = 1
        accepted: list[tuple[str, list[str]]] = []  # task id, users of the batch
        for number, batch in enumerate(grouped, start=1):
            label = f"batch {number} (items {first}-{first + len(batch) - 1})"
            first += len(batch)
            try:
                self._deliver(batch, report, accepted)
            except DeliveryError as error:
                raise batch_failed(label, error, report, "items") from None
        if self._tasks is not None:
            self._confirm(self._tasks, accepted, report)
        return report

    @staticmethod
    def _confirm(
        tasks: TaskFollower, accepted: list[tuple[str, list[str]]], report: DeliveryReport
    ) -> None:
        """Each accepted batch's ingestion task to its end: a failed one's users are named, not
        delivered. Once the Task API cannot tell, the rest is unconfirmed (as the SDK stops
        waiting)."""
        for index, (task, users) in enumerate(accepted):
            outcome = tasks.outcome(task)
            if outcome.status is None:
                report.unconfirmed = sum(len(rest) for _, rest in accepted[index:])
                report.unconfirmed_why = outcome.why
                return
            if not outcome.finished:
                report.delivered -= len(users)
                reason = f"not ingested: task {task} ended {outcome.status}: {outcome.why}"
                report.refused.extend({"user": user, "reason": reason} for user in users)

    def _deliver(
        self, batch: list[str], report: DeliveryReport, accepted: list[tuple[str, list[str]]]
    ) -> None:
        """POST ``batch``; refused for its items, each half on its own, down to single items."""
        body = f'{{"version": {ASSET_LIST_VERSION}, "items": [{", ".join(batch)}]}}'.encode()
        try:
            receipt = self._policy.call(
                partial(self._post_once, body), report, destination=self._who
            )
        except ItemsRefused as refusal:
            if len(batch) > 1:
                middle = len(batch) // 2
                self._deliver(batch[:middle], report, accepted)
                self._deliver(batch[middle:], report, accepted)
            else:
                report.refused.append({"user": _user_of(batch[0]), "reason": refusal.reason})
            return
        if receipt:
            report.receipts.append(receipt)
            accepted.append((receipt, [_user_of(item) for item in batch]))
        report.delivered += len(batch)
        report.batches += 1
        report.bytes_sent += len(body)
        report.bytes_uncompressed += len(body)

    @property
    def _who(self) -> str:
        return f"The Asset API at {self._base}"

    def _post_once(self, body: bytes, deadline: float) -> str | None:
        """POST one batch; the task id of an accepted batch (``None`` if the API gave none)."""
        headers = {"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"}
        answer = exchange(self.endpoint, body, headers, deadline=deadline)
        status = answer.status
        if 300 <= status < 400:
            raise redirect_refused(
                self._who, self.endpoint, answer, f"set {API_URL_VARIABLE} to the API's own address"
            )
        if status not in ACCEPTED:
            hint = _HINTS.get(status, "the API refused the request")
            said = _api_message(answer.body, self._key)
            message = f"{self._who} answered HTTP {status}: {hint}{f' ({said})' if said else ''}."
            if 400 <= status < 500 and status not in NOT_ABOUT_ITEMS:
                raise ItemsRefused(message, f"HTTP {status}: {said or hint}")
            raise DeliveryError(message)
        try:
            accepted = json.loads(answer.body) if answer.body.strip() or status == 200 else {}
        except ValueError:
            accepted = None
        if not isinstance(accepted, dict):
            raise DeliveryError(
                f"{self._who} answered HTTP {status} without a JSON object: the batch was not"
                " acknowledged."
            )
        task = accepted.get("task_id")
        return task if isinstance(task, str) and task else None


def _user_of(encoded: str) -> str:
    """The name of the user an encoded item describes (its uid, else its text's start)."""
    try:
        person = json.loads(encoded).get("user") or {}
    except (ValueError, AttributeError):
        person = {}
    name = person.get("name") or person.get("uid") if isinstance(person, dict) else None
    return str(name) if name else encoded[:60]


def _api_message(payload: bytes, secret: str) -> str:
    """The API's own words on an error (its JSON ``code`` and ``message``), the key redacted
    first, then shortened: cut first, a key across the cut would leave its first characters."""
    try:
        document = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    parts = [str(document[name]) for name in ("code", "message") if document.get(name)]
    said = ": ".join(parts)
    return (said.replace(secret, "***") if secret else said)[:MESSAGE_SHOWN]

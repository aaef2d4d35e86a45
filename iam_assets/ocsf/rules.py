"""Validation rules for the seed-format OCSF events (pure; the Dagster checks call these).

Each rule returns a list of ``Problem`` naming the user (``user.uid``, or the event's position when
the uid itself is missing) and the field, so a failing check says exactly what to fix.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_assets.deliver.sekoia_intake import MAX_EVENT_BYTES, encode_events
from iam_assets.ocsf import sekoia_profile

# OCSF 1.6.0 class 5003 required attributes without optional profiles (from the official schema),
# with the "at least one of" constraints of the objects they hold.
REQUIRED_PATHS: tuple[str, ...] = (
    "activity_id",
    "category_uid",
    "class_uid",
    "metadata",
    "metadata.product",
    "metadata.version",
    "severity_id",
    "time",
    "type_uid",
    "user",
)
AT_LEAST_ONE: dict[str, tuple[str, ...]] = {
    "metadata.product": ("name", "uid"),
    "user": ("account", "name", "uid"),
    "user.account": ("name", "uid"),
}

# Constants of a User Inventory Info: Collect event, and the names that must match their ids.
EXPECTED_CONSTANTS: dict[str, Any] = {
    "class_uid": sekoia_profile.CLASS_UID,
    "class_name": sekoia_profile.CLASS_NAME,
    "category_uid": sekoia_profile.CATEGORY_UID,
    "category_name": sekoia_profile.CATEGORY_NAME,
    "activity_id": sekoia_profile.ACTIVITY_ID,
    "activity_name": sekoia_profile.ACTIVITY_NAME,
    "metadata.version": sekoia_profile.OCSF_VERSION,
    "metadata.product.name": sekoia_profile.PRODUCT_NAME,
    "user.account.type": sekoia_profile.ACCOUNT_TYPE,
    "user.account.type_id": sekoia_profile.ACCOUNT_TYPE_ID,
    "cloud.provider": sekoia_profile.CLOUD_PROVIDER,
    "cloud.account.type": sekoia_profile.CLOUD_ACCOUNT_TYPE,
    "cloud.account.type_id": sekoia_profile.CLOUD_ACCOUNT_TYPE_ID,
}
SEVERITY_NAMES = {
    0: "Unknown",
    1: "Informational",
    2: "Low",
    3: "Medium",
    4: "High",
    5: "Critical",
    6: "Fatal",
    99: "Other",
}

# Field -> (allowed Python types, may it be null?). Null means "unknown", reported upstream.
FIELD_TYPES: dict[str, tuple[tuple[type, ...], bool]] = {
    "activity_id": ((int,), False),
    "category_uid": ((int,), False),
    "class_uid": ((int,), False),
    "type_uid": ((int,), False),
    "severity_id": ((int,), False),
    "time": ((int,), False),
    "activity_name": ((str,), False),
    "category_name": ((str,), False),
    "class_name": ((str,), False),
    "type_name": ((str,), False),
    "severity": ((str,), False),
    "metadata.version": ((str,), False),
    "metadata.product.name": ((str,), False),
    "user.uid": ((str,), False),
    "user.name": ((str,), False),
    "user.full_name": ((str,), False),
    "user.path": ((str,), False),
    "user.is_console_user": ((bool,), True),
    "user.has_mfa": ((bool,), True),
    "user.access_keys_count": ((int,), True),
    "user.password_last_used_time": ((int,), True),
    "user.created_time": ((int,), False),
    "user.tags": ((dict,), True),
    "user.account.uid": ((str,), False),
    "user.account.name": ((str,), False),
    "user.account.type": ((str,), False),
    "user.account.type_id": ((int,), False),
    "cloud.provider": ((str,), False),
    "cloud.account.uid": ((str,), False),
}
EPOCH_FIELDS = ("time", "user.created_time", "user.password_last_used_time")
# IAM did not exist before 2010; AWS itself launched in 2006. Anything earlier is a unit error.
EARLIEST_EPOCH = 1_136_073_600  # 2006-01-01T00:00:00Z
FUTURE_SLACK_SECONDS = 86_400

_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one event."""

    user: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.user}: {self.field}: {self.message}"


def get_path(event: Mapping[str, Any], path: str) -> Any:
    """``a.b.c`` lookup; ``_MISSING`` when any step is absent or not an object."""
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _who(event: Mapping[str, Any], index: int) -> str:
    uid = get_path(event, "user.uid")
    return uid if isinstance(uid, str) and uid else f"event #{index}"


def required_fields(events: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """OCSF 1.6.0 required attributes are present and non-null; at-least-one rules hold."""
    problems: list[Problem] = []
    for index, event in enumerate(events):
        who = _who(event, index)
        for path in REQUIRED_PATHS:
            if get_path(event, path) in (_MISSING, None):
                problems.append(Problem(who, path, "required by OCSF 1.6.0 but missing"))
        for path, candidates in AT_LEAST_ONE.items():
            holder = get_path(event, path)
            if isinstance(holder, Mapping) and all(
                holder.get(name) in (None, "") for name in candidates
            ):
                problems.append(
                    Problem(who, path, f"needs at least one of {', '.join(candidates)}")
                )
    return problems


def constants_consistent(
    events: Sequence[Mapping[str, Any]], constants: Mapping[str, Any] = EXPECTED_CONSTANTS
) -> list[Problem]:
    """Class, category, activity, type and severity ids agree with each other and their names."""
    problems: list[Problem] = []
    for index, event in enumerate(events):
        who = _who(event, index)
        for path, expected in constants.items():
            value = get_path(event, path)
            if value != expected or type(value) is not type(expected):
                problems.append(Problem(who, path, f"is {_show(value)}, expected {expected!r}"))
        class_uid, activity_id = event.get("class_uid"), event.get("activity_id")
        if isinstance(class_uid, int) and isinstance(activity_id, int):
            expected_type = class_uid * 100 + activity_id
            if event.get("type_uid") != expected_type:
                problems.append(
                    Problem(
                        who,
                        "type_uid",
                        f"is {_show(event.get('type_uid'))}, expected class_uid*100+activity_id"
                        f" = {expected_type}",
                    )
                )
        expected_name = f"{event.get('class_name')}: {event.get('activity_name')}"
        if event.get("type_name") != expected_name:
            problems.append(
                Problem(
                    who,
                    "type_name",
                    f"is {_show(event.get('type_name'))}, expected {expected_name!r}",
                )
            )
        severity_id = event.get("severity_id")
        if severity_id not in SEVERITY_NAMES or isinstance(severity_id, bool):
            problems.append(Problem(who, "severity_id", f"is {_show(severity_id)}, not an OCSF id"))
        elif event.get("severity") != SEVERITY_NAMES[severity_id]:
            problems.append(
                Problem(
                    who,
                    "severity",
                    f"is {_show(event.get('severity'))}, expected {SEVERITY_NAMES[severity_id]!r}"
                    f" for severity_id {severity_id}",
                )
            )
    return problems


def types_valid(events: Sequence[Mapping[str, Any]], *, now: float | None = None) -> list[Problem]:
    """Integers are integers (not booleans), booleans are booleans, epochs are plausible seconds."""
    latest = int(now if now is not None else time.time()) + FUTURE_SLACK_SECONDS
    problems: list[Problem] = []
    for index, event in enumerate(events):
        who = _who(event, index)
        for path, (types, nullable) in FIELD_TYPES.items():
            value = get_path(event, path)
            if value is _MISSING:
                problems.append(Problem(who, path, "missing"))
            elif value is None:
                if not nullable:
                    problems.append(Problem(who, path, "is null"))
            elif not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                wanted = " or ".join(t.__name__ for t in types)
                problems.append(Problem(who, path, f"is {_show(value)}, expected {wanted}"))
            elif path == "user.access_keys_count" and value < 0:
                problems.append(Problem(who, path, f"is {value}, cannot be negative"))
            elif path == "user.tags" and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                problems.append(Problem(who, path, "keys and values must be strings"))
        for path in EPOCH_FIELDS:
            value = get_path(event, path)
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and not (EARLIEST_EPOCH <= value <= latest)
            ):
                problems.append(
                    Problem(
                        who,
                        path,
                        f"is {value}, not epoch seconds between 2006-01-01 and tomorrow"
                        " (milliseconds? wrong time zone?)",
                    )
                )
    return problems


def one_event_per_user(
    events: Sequence[Mapping[str, Any]], raw_user_ids: Iterable[str]
) -> list[Problem]:
    """Exactly one event for each collected user, and ``user.uid`` unique."""
    problems: list[Problem] = []
    uids = [get_path(event, "user.uid") for event in events]
    for uid, count in Counter(uids).items():
        if count > 1:
            problems.append(Problem(str(uid), "user.uid", f"appears in {count} events"))
    expected = set(raw_user_ids)
    seen = {uid for uid in uids if isinstance(uid, str)}
    problems.extend(
        Problem(uid, "user.uid", "collected from IAM but has no event")
        for uid in sorted(expected - seen)
    )
    problems.extend(
        Problem(uid, "user.uid", "has an event but was not collected from IAM")
        for uid in sorted(seen - expected)
    )
    return problems


def _show(value: Any) -> str:
    return "missing" if value is _MISSING else repr(value)


def event_sizes(events: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Events the intake would refuse (over 250 KiB): delivery skips them, this names them."""
    skipped: list[dict[str, Any]] = []
    for _ in encode_events(events, skipped):
        pass
    return [
        Problem(
            item["user"],
            "event",
            f"is {item['bytes']} bytes, over the intake's"
            f" {MAX_EVENT_BYTES} (250 KiB); it is not delivered",
        )
        for item in skipped
    ]

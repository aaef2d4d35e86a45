"""Validation rules of the sekoia-profile OCSF events (pure; the Dagster checks call these).

Each rule returns a list of ``Problem`` naming the user (``user.uid``, or the event's position when
the uid itself is missing) and the field, so a failing check says exactly what to fix. What each
field may hold is declared as data (``FIELD_TYPES``, one ``TypeRule`` per field the profile
emits) and read by one small loop; a test keeps that table in step with the mapper.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_assets.ocsf import sekoia_profile
from iam_assets.ocsf.problems import MISSING, Problem, constant_problems, get_path, name_of, show

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

# The class, category and activity of a User Inventory Info: Collect event (both profiles).
CLASS_CONSTANTS: dict[str, Any] = {
    "class_uid": sekoia_profile.CLASS_UID,
    "class_name": sekoia_profile.CLASS_NAME,
    "category_uid": sekoia_profile.CATEGORY_UID,
    "category_name": sekoia_profile.CATEGORY_NAME,
    "activity_id": sekoia_profile.ACTIVITY_ID,
    "activity_name": sekoia_profile.ACTIVITY_NAME,
}
# Every constant of a sekoia-profile event.
EXPECTED_CONSTANTS: dict[str, Any] = {
    **CLASS_CONSTANTS,
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


@dataclass(frozen=True)
class TypeRule:
    """What one field may hold: values of ``types`` (a boolean is never an integer), null or not
    (null means "unknown", reported upstream), and an optional ``check`` of a well-typed value
    that says what is wrong with it (``None``: nothing)."""

    types: tuple[type, ...]
    nullable: bool = False
    check: Callable[[Any], str | None] | None = None

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` (``MISSING`` when the field is absent), or ``None``."""
        if value is MISSING:
            return "missing"
        if value is None:
            return None if self.nullable else "is null"
        boolean_for_number = isinstance(value, bool) and bool not in self.types
        if not isinstance(value, self.types) or boolean_for_number:
            return f"is {value!r}, expected {' or '.join(t.__name__ for t in self.types)}"
        return self.check(value) if self.check else None


def _not_negative(value: int) -> str | None:
    return f"is {value}, cannot be negative" if value < 0 else None


def _strings_to_strings(value: Mapping[Any, Any]) -> str | None:
    if all(isinstance(key, str) and isinstance(item, str) for key, item in value.items()):
        return None
    return "keys and values must be strings"


INTEGER = TypeRule((int,))
STRING = TypeRule((str,))
BOOLEAN_OR_UNKNOWN = TypeRule((bool,), nullable=True)

# Field -> what it may hold, for every field the sekoia profile emits but those
# ``EXPECTED_CONSTANTS`` pins to a value of an exact type (``cloud.account.type``/``type_id``).
FIELD_TYPES: dict[str, TypeRule] = {
    "activity_id": INTEGER,
    "category_uid": INTEGER,
    "class_uid": INTEGER,
    "type_uid": INTEGER,
    "severity_id": INTEGER,
    "time": INTEGER,
    "activity_name": STRING,
    "category_name": STRING,
    "class_name": STRING,
    "type_name": STRING,
    "severity": STRING,
    "metadata.version": STRING,
    "metadata.product.name": STRING,
    "metadata.product.version": STRING,
    "user.uid": STRING,
    "user.name": STRING,
    "user.full_name": STRING,
    "user.path": STRING,
    "user.is_console_user": BOOLEAN_OR_UNKNOWN,
    "user.has_mfa": BOOLEAN_OR_UNKNOWN,
    "user.access_keys_count": TypeRule((int,), nullable=True, check=_not_negative),
    "user.password_last_used_time": TypeRule((int,), nullable=True),
    "user.created_time": INTEGER,
    "user.tags": TypeRule((dict,), nullable=True, check=_strings_to_strings),
    "user.account.uid": STRING,
    "user.account.name": STRING,
    "user.account.type": STRING,
    "user.account.type_id": INTEGER,
    "cloud.provider": STRING,
    "cloud.account.uid": STRING,
}
# Integer fields that are Unix epoch *seconds*, checked for plausibility once their type holds.
EPOCH_FIELDS = ("time", "user.created_time", "user.password_last_used_time")
# IAM did not exist before 2010; AWS itself launched in 2006. Anything earlier is a unit error.
EARLIEST_EPOCH = 1_136_073_600  # 2006-01-01T00:00:00Z
FUTURE_SLACK_SECONDS = 86_400


def required_fields(events: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """OCSF 1.6.0 required attributes are present and non-null; at-least-one rules hold."""
    problems: list[Problem] = []
    for index, event in enumerate(events):
        name = name_of(event, index)
        for path in REQUIRED_PATHS:
            if get_path(event, path) in (MISSING, None):
                problems.append(Problem(name, path, "required by OCSF 1.6.0 but missing"))
        for path, candidates in AT_LEAST_ONE.items():
            holder = get_path(event, path)
            if isinstance(holder, Mapping) and all(
                holder.get(field) in (None, "") for field in candidates
            ):
                problems.append(
                    Problem(name, path, f"needs at least one of {', '.join(candidates)}")
                )
    return problems


def constants_consistent(
    events: Sequence[Mapping[str, Any]], constants: Mapping[str, Any] = EXPECTED_CONSTANTS
) -> list[Problem]:
    """Class, category, activity, type and severity ids agree with each other and their names."""
    problems: list[Problem] = []
    for index, event in enumerate(events):
        name = name_of(event, index)
        problems += constant_problems(event, name, constants)
        problems += [Problem(name, field, message) for field, message in _derived(event)]
    return problems


def _derived(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) of the type and severity attributes that disagree with their sources."""
    found = []
    class_uid, activity_id = event.get("class_uid"), event.get("activity_id")
    if isinstance(class_uid, int) and isinstance(activity_id, int):
        expected_type = class_uid * 100 + activity_id
        if event.get("type_uid") != expected_type:
            found.append(
                (
                    "type_uid",
                    f"is {show(event.get('type_uid'))}, expected class_uid*100+activity_id"
                    f" = {expected_type}",
                )
            )
    expected_name = f"{event.get('class_name')}: {event.get('activity_name')}"
    if event.get("type_name") != expected_name:
        found.append(
            ("type_name", f"is {show(event.get('type_name'))}, expected {expected_name!r}")
        )
    severity_id = event.get("severity_id")
    if severity_id not in SEVERITY_NAMES or isinstance(severity_id, bool):
        found.append(("severity_id", f"is {show(severity_id)}, not an OCSF id"))
    elif event.get("severity") != SEVERITY_NAMES[severity_id]:
        found.append(
            (
                "severity",
                f"is {show(event.get('severity'))}, expected {SEVERITY_NAMES[severity_id]!r}"
                f" for severity_id {severity_id}",
            )
        )
    return found


def types_valid(events: Sequence[Mapping[str, Any]], *, now: float | None = None) -> list[Problem]:
    """Every field holds what ``FIELD_TYPES`` declares; epochs are plausible seconds."""
    latest = int(now if now is not None else time.time()) + FUTURE_SLACK_SECONDS
    problems: list[Problem] = []
    for index, event in enumerate(events):
        found = [(path, rule.problem(get_path(event, path))) for path, rule in FIELD_TYPES.items()]
        found += [(path, _epoch_problem(get_path(event, path), latest)) for path in EPOCH_FIELDS]
        name = name_of(event, index)
        problems += [Problem(name, path, message) for path, message in found if message]
    return problems


def _epoch_problem(value: Any, latest: int) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or EARLIEST_EPOCH <= value <= latest:
        return None
    return (
        f"is {value}, not epoch seconds between 2006-01-01 and tomorrow"
        " (milliseconds? wrong time zone?)"
    )


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


def encode_event(event: Mapping[str, Any]) -> str:
    """The event as the compact JSON text that travels to a destination."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def encoded_size(event: Mapping[str, Any]) -> int:
    """UTF-8 bytes of the event as compact JSON: the size a destination weighs it at."""
    return len(encode_event(event).encode())


def event_sizes(events: Sequence[Mapping[str, Any]], max_bytes: int) -> list[Problem]:
    """Events over ``max_bytes`` (the intake's per-event limit, which the caller passes): delivery
    holds them back, this names them."""
    problems: list[Problem] = []
    for index, event in enumerate(events):
        size = encoded_size(event)
        if size > max_bytes:
            problems.append(
                Problem(
                    name_of(event, index),
                    "event",
                    f"is {size} bytes, over the intake's {max_bytes} ({max_bytes / 1024:g} KiB);"
                    " it is not delivered",
                )
            )
    return problems

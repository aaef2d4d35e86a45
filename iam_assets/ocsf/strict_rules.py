"""Validation of strict-profile OCSF 1.6.0 events (pure; a Dagster check can call it).

Two layers: the ``pydantic-ocsf`` model of class 5003 (types, enums, sibling id/caption pairs,
required fields), then the rules that model skips because it allows extra keys and nulls:
unknown or profile-only attributes at any level, required attributes and ``at_least_one``
constraints of every object, nulls, strict JSON types (no ``true`` for an integer), the class
constants, and timestamps that are plausible *milliseconds*. The attribute sets come from
``strict_schema.json``, shipped with the package (derived from the official schema).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import ValidationError

from iam_assets.ocsf import sekoia_profile, strict_profile
from iam_assets.ocsf.problems import Problem, constant_problems, get_path, name_of
from iam_assets.ocsf.rules import CLASS_CONSTANTS, SEVERITY_NAMES

SCHEMA_FILE = "strict_schema.json"
EARLIEST_MILLIS = 1_136_073_600_000  # 2006-01-01T00:00:00Z: AWS did not exist before
FUTURE_SLACK_MILLIS = 86_400_000
EXPECTED_CONSTANTS: dict[str, Any] = {
    **CLASS_CONSTANTS,
    "type_uid": sekoia_profile.TYPE_UID,
    "type_name": sekoia_profile.TYPE_NAME,
    "severity_id": sekoia_profile.SEVERITY_ID,
    "severity": SEVERITY_NAMES[sekoia_profile.SEVERITY_ID],
    "metadata.version": strict_profile.OCSF_VERSION,
}
# OCSF scalar types -> the JSON (Python) types they accept; bool is never an integer.
SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "boolean_t": (bool,),
    "integer_t": (int,),
    "long_t": (int,),
    "timestamp_t": (int,),
    "float_t": (int, float),
    "string_t": (str,),
    "username_t": (str,),
    "email_t": (str,),
    "url_t": (str,),
    "datetime_t": (str,),
    "json_t": (object,),
}
FREE_FORM = "object"  # OCSF's generic object (``unmapped``): any keys, not checked inside


@cache
def strict_schema() -> dict[str, Any]:
    """The shipped attribute sets, read once from the package (never from the reference copy)."""
    return json.loads(files("iam_assets.ocsf").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def validate_strict(
    events: Sequence[Mapping[str, Any]], *, now: float | None = None
) -> list[Problem]:
    """Every problem of every event, each naming ``user.uid`` (or the event's position) and the
    field; an empty list means every event is strict OCSF 1.6.0 User Inventory Info: Collect.

    One field, one problem: when the pydantic model reports a field, the rules here do not
    report it again (fixing it reveals the next). ``now`` is Unix seconds, as in ``rules``.
    ``at_least_one`` counts any non-null value as present (an empty tag value is a value).
    """
    latest = int((now if now is not None else time.time()) * 1000) + FUTURE_SLACK_MILLIS
    problems: list[Problem] = []
    for index, event in enumerate(events):
        name = name_of(event, index)
        if not isinstance(event, Mapping):
            problems.append(Problem(name, "event", f"is {type(event).__name__}, not an object"))
            continue
        found = _model_problems(event, name)
        reported = {problem.field for problem in found}
        own = [
            *constant_problems(event, name, EXPECTED_CONSTANTS),
            *_schema_problems(event, name, latest),
        ]
        problems += found + [problem for problem in own if problem.field not in reported]
    return problems


def _model_problems(event: Mapping[str, Any], who: str) -> list[Problem]:
    """The pydantic-ocsf model's verdict. It fills and rewrites values while validating, so it
    gets a copy; anything it raises is a problem of the event, never a crash of the check."""
    from ocsf.v1_6_0.events import UserInventory  # import cost paid only when validating

    try:
        UserInventory.model_validate(copy.deepcopy(dict(event)))
    except ValidationError as error:
        return [
            Problem(who, _loc(detail["loc"]), f"OCSF model: {detail['msg']}")
            for detail in error.errors()
        ]
    except Exception as error:  # the package's own validators may raise plain errors
        return [Problem(who, "event", f"OCSF model raised {type(error).__name__}: {error}")]
    return []


def _loc(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    return path or "event"


def _schema_problems(event: Mapping[str, Any], who: str, latest: int) -> list[Problem]:
    schema = strict_schema()
    profiles = get_path(event, "metadata.profiles")
    active = {p for p in profiles if isinstance(p, str)} if isinstance(profiles, list) else set()
    walker = _Walker(schema["objects"], active, latest)
    problems = [
        Problem(who, field, message)
        for field, message in walker.object(event, schema["class"], "class user_inventory", "")
    ]
    if event.get("unmapped") is not None:  # a null ``unmapped`` itself is reported above
        problems += [
            Problem(who, field, "is null; omit unknown values instead")
            for field in _null_paths(event["unmapped"], "unmapped")
        ]
    return problems


class _Walker:
    """Walks an event against the shipped schema, yielding (field path, message)."""

    def __init__(self, objects: Mapping[str, Any], profiles: set[str], latest: int) -> None:
        self.objects, self.profiles, self.latest = objects, profiles, latest

    def object(
        self, value: Any, spec: Mapping[str, Any], what: str, path: str
    ) -> Iterator[tuple[str, str]]:
        if not isinstance(value, Mapping):
            yield path or "event", f"is {_json_type(value)}, expected a {what} object"
            return
        for name, item in value.items():
            here = f"{path}.{name}" if path else str(name)
            yield from self._attribute(name, item, spec, what, here)
        bound = spec["profile_attributes"]
        for name in spec["required"]:
            if value.get(name) is None and bound.get(name, None) in (None, *self.profiles):
                here = f"{path}.{name}" if path else name
                if name not in value:  # a null was reported above
                    yield here, "required by OCSF 1.6.0 but missing"
        candidates = spec["at_least_one"]
        if candidates and all(value.get(name) is None for name in candidates):
            yield path or "event", f"needs at least one of {', '.join(candidates)}"

    def _attribute(
        self, name: Any, item: Any, spec: Mapping[str, Any], what: str, path: str
    ) -> Iterator[tuple[str, str]]:
        attributes, bound = spec["attributes"], spec["profile_attributes"]
        if name not in attributes:
            yield path, f"is not an OCSF 1.6.0 attribute of {what}"
        elif name in bound and bound[name] not in self.profiles:
            yield path, f"needs the {bound[name]} profile listed in metadata.profiles"
        elif item is None:
            yield path, "is null; omit unknown values instead"
        else:
            if name in spec["deprecated"]:
                yield path, "is deprecated in OCSF 1.6.0"
            yield from self.value(item, attributes[name], path)

    def value(self, item: Any, kind: str, path: str) -> Iterator[tuple[str, str]]:
        if kind.endswith("[]"):
            yield from self._array(item, kind[:-2], path)
        elif kind in SCALAR_TYPES:
            yield from self._scalar(item, kind, path)
        elif kind in self.objects:
            yield from self.object(item, self.objects[kind], kind, path)
        elif kind == FREE_FORM and not isinstance(item, Mapping):
            yield path, f"is {_json_type(item)}, expected an object"
        # other object types are valid OCSF but not used by the strict profile: not shipped,
        # so not checked inside (the pydantic model still validates them)

    def _array(self, item: Any, kind: str, path: str) -> Iterator[tuple[str, str]]:
        if not isinstance(item, list):
            yield path, f"is {_json_type(item)}, expected an array"
            return
        for position, element in enumerate(item):
            here = f"{path}[{position}]"
            if element is None:
                yield here, "is null; omit unknown values instead"
            else:
                yield from self.value(element, kind, here)

    def _scalar(self, item: Any, kind: str, path: str) -> Iterator[tuple[str, str]]:
        allowed = SCALAR_TYPES[kind]
        if not isinstance(item, allowed) or (bool not in allowed and isinstance(item, bool)):
            yield path, f"is {_json_type(item)} {item!r}, expected {kind}"
        elif (
            kind == "timestamp_t"
            and isinstance(item, int)  # it is (SCALAR_TYPES), but a type checker cannot see it
            and not EARLIEST_MILLIS <= item <= self.latest
        ):
            hint = " (seconds?)" if EARLIEST_MILLIS // 1000 <= item <= self.latest else ""
            yield path, f"is {item}, not epoch milliseconds between 2006-01-01 and tomorrow{hint}"


def _null_paths(value: Any, path: str) -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _null_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _null_paths(item, f"{path}[{position}]")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__

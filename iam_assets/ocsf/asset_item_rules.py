"""What an Asset inventory item must keep before it is sent (pure; the blocking check calls it).

The items are held to the vendor's own model, ``UserOCSFModel`` of ``sekoia-automation-models``
(what Sekoia's SDK validates and dumps before it pushes): an item must validate, and be exactly
what the model dumps with ``exclude_none=True`` - a ``null``, an attribute the model lacks or a
value it would coerce is what the SDK never sends. Beside the model: one item per collected
user (or the user named as held back), ``user.uid`` unique, and each item within the size the
destination accepts. Every problem names the user.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sekoia_automation_models.ocsf.user import UserOCSFModel

from iam_assets.ocsf.problems import Problem, get_path
from iam_assets.ocsf.rules import encoded_size


def user_of(item: Any, index: int) -> str:
    """How a problem names an item's user: ``user.name``, else ``user.uid``, else its place."""
    for path in ("user.name", "user.uid"):
        value = get_path(item, path)
        if isinstance(value, str) and value:
            return value
    return f"item #{index}"


def model_problem(item: Any) -> tuple[str, str] | None:
    """``(field, why)`` when ``item`` is not what the SDK would send as a ``UserOCSFModel``."""
    try:
        model = UserOCSFModel.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        return ".".join(str(part) for part in first["loc"]) or "item", first["msg"]
    dumped = model.model_dump(exclude_none=True, mode="json")
    if item != dumped:
        return _difference(item, dumped)
    return None


def _difference(sent: Any, dumped: Any, path: str = "") -> tuple[str, str]:
    """The first place where ``sent`` is not the model's dump of it."""
    if isinstance(sent, dict) and isinstance(dumped, dict):
        for name in sorted(set(sent) | set(dumped), key=str):
            where = f"{path}.{name}" if path else str(name)
            if name not in dumped:
                return where, "not an attribute of the model, or null"
            if name not in sent or sent[name] != dumped[name]:
                return _difference(sent.get(name), dumped[name], where)
    if isinstance(sent, list) and isinstance(dumped, list) and len(sent) == len(dumped):
        for index, (one, other) in enumerate(zip(sent, dumped, strict=True)):
            if one != other:
                return _difference(one, other, f"{path}[{index}]")
    return path or "item", f"{sent!r} would be sent as {dumped!r}"


def item_problems(
    items: Sequence[Mapping[str, Any]],
    held_back: Iterable[Mapping[str, str]],
    collected: Mapping[str, str],
    max_bytes: int,
) -> list[Problem]:
    """Every problem of the items: the model's, coverage of ``collected`` (user id -> name; a
    user named in ``held_back`` needs no item), duplicates, and sizes over ``max_bytes``."""
    problems: list[Problem] = []
    for index, item in enumerate(items):
        who = user_of(item, index)
        found = model_problem(item)
        if found is not None:
            problems.append(Problem(who, found[0], found[1]))
        size = encoded_size(item)
        if size > max_bytes:
            problems.append(Problem(who, "item", f"is {size} bytes, over {max_bytes}"))
    uids = Counter(get_path(item, "user.uid") for item in items)
    problems.extend(
        Problem(str(uid), "user.uid", f"appears in {count} items")
        for uid, count in uids.items()
        if count > 1
    )
    excused = {user["user"] for user in held_back}
    problems.extend(
        Problem(name, "user.uid", f"collected from IAM ({uid}) but has no item")
        for uid, name in sorted(collected.items())
        if uid not in uids and name not in excused
    )
    problems.extend(
        Problem(str(uid), "user.uid", "has an item but was not collected from IAM")
        for uid in uids
        if uid not in collected
    )
    return problems

"""IAM policy documents read while collecting (pure): what a document allows."""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote


def allows_everything(document: Any) -> bool:
    """True when a policy document allows every action on every resource (``*:*``).

    IAM returns documents URL-encoded; boto3 usually decodes them to dicts already.
    """
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return False
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if {"*", "*:*"} & set(actions) and "*" in resources:
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]

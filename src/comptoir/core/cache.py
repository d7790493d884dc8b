"""Per-process caches for what hot paths read and what rarely changes: the one implementation every
domain uses, in three shapes.

* :class:`TtlCache` — a value kept ``ttl`` seconds (the order rules, a SKU's categories): a change made
  elsewhere is seen within ``ttl``; the process that makes it drops the entry at once (``pop``).
* :class:`VersionedCache` — one value per key, valid while the source's version is the one it was read
  at (the price lists against their version row): never stale, one small read to check.
* :class:`BoundedDict` — a plain ``dict`` (reads stay C-level, for the hottest paths) whose keys carry
  their version, so a stale entry is never read, only crowded out.

Each is bounded: past ``max_entries`` it empties itself and refills from the next reads, cheaper on a
hot path than least-recently-used bookkeeping, and these caches hold far fewer keys in practice.
Thread-safe enough for their use: a race computes the same value twice; writers of one entry replace
it whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 20_000


class BoundedDict(dict[K, V]):
    """A ``dict`` that empties itself when ``put`` would pass ``max_entries``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__()
        self.max_entries = max_entries

    def put(self, key: K, value: V) -> V:
        if len(self) >= self.max_entries and key not in self:
            self.clear()
        self[key] = value
        return value


class TtlCache(Generic[K, V]):
    """Values kept ``ttl`` seconds from when they were read."""

    def __init__(
        self, ttl: float, *, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is not None and self._clock() - hit[0] < self.ttl:
            return hit[1]
        return None

    def put(self, key: K, value: V, *, read_at: float | None = None) -> V:
        """Keep ``value``; ``read_at`` (this cache's clock) when it was read, if before now."""
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = (self._clock() if read_at is None else read_at, value)
        return value

    def get_many(self, keys: Iterable[K], load: Callable[[list[K]], dict[K, V]]) -> dict[K, V]:
        """The values of ``keys``: the fresh ones kept, the others read with one ``load(missing)`` call
        (keys ``load`` leaves out are left out)."""
        now = self._clock()
        found: dict[K, V] = {}
        missing: list[K] = []
        for key in keys:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                found[key] = hit[1]
            else:
                missing.append(key)
        if missing:
            if len(self._entries) + len(missing) > self.max_entries:
                self._entries.clear()
            loaded = load(missing)
            for key, value in loaded.items():
                self._entries[key] = (now, value)
            found.update(loaded)
        return found

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class VersionedCache(BoundedDict[K, V]):
    """Values that know the version of their source they were read at (``version_of(value)``): a
    lookup at another version misses, and the caller reads and ``put``s the value it read. Reading it
    as a ``dict`` gives the value held whatever its version (for a caller that checks it later)."""

    def __init__(self, version_of: Callable[[V], int], max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
        self._version_of = version_of

    def current(self, key: K, version: int) -> V | None:
        value = self.get(key)
        return value if value is not None and self._version_of(value) == version else None

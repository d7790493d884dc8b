"""The kernel's per-process caches: kept for their time or their version, bounded, read in batches."""

from __future__ import annotations

from comptoir.core.cache import BoundedDict, TtlCache, VersionedCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_ttl_entry_is_kept_for_its_time_then_read_again() -> None:
    clock = FakeClock()
    cache: TtlCache[str, int] = TtlCache(ttl=5.0, clock=clock)
    cache.put("rules", 1)
    clock.now += 4.9
    assert cache.get("rules") == 1
    clock.now += 0.1
    assert cache.get("rules") is None


def test_a_dropped_entry_is_read_again_at_once() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=60.0, clock=FakeClock())
    cache.put("rules", 1)
    cache.pop("rules")
    cache.pop("never-there")
    assert cache.get("rules") is None


def test_get_many_loads_only_what_is_missing_or_expired_in_one_call() -> None:
    clock = FakeClock()
    cache: TtlCache[str, str] = TtlCache(ttl=10.0, clock=clock)
    calls: list[list[str]] = []

    def load(missing: list[str]) -> dict[str, str]:
        calls.append(missing)
        return {key: key.upper() for key in missing if key != "unknown"}

    # given a and b read at t=100
    assert cache.get_many(["a", "b"], load) == {"a": "A", "b": "B"}
    # when b and c are asked at t=105, then only c is loaded
    clock.now = 105.0
    assert cache.get_many(["b", "c", "unknown"], load) == {"b": "B", "c": "C"}
    # when a is asked at t=110, it expired (read at 100) and is loaded again
    clock.now = 110.0
    assert cache.get_many(["a", "c"], load) == {"a": "A", "c": "C"}
    assert calls == [["a", "b"], ["c", "unknown"], ["a"]]


def test_a_full_ttl_cache_starts_again_empty() -> None:
    cache: TtlCache[int, int] = TtlCache(ttl=60.0, max_entries=3, clock=FakeClock())
    for key in range(3):
        cache.put(key, key)
    cache.put(1, 10)  # replacing an entry does not count as a new one
    assert len(cache) == 3 and cache.get(1) == 10
    cache.put(3, 3)
    assert len(cache) == 1 and cache.get(0) is None and cache.get(3) == 3


def test_a_versioned_entry_answers_only_its_version() -> None:
    cache: VersionedCache[str, tuple[int, str]] = VersionedCache(lambda value: value[0])
    assert cache.get("db") is None and cache.current("db", 7) is None
    assert cache.put("db", (7, "prices")) == (7, "prices")
    assert cache.current("db", 7) == (7, "prices")
    assert cache.current("db", 8) is None
    assert cache.get("db") == (7, "prices")  # whatever its version, for a caller that checks it later
    cache.put("db", (8, "new prices"))
    assert (cache.current("db", 7), cache.current("db", 8)) == (None, (8, "new prices"))


def test_a_bounded_dict_reads_as_a_dict_and_empties_itself_when_full() -> None:
    places: BoundedDict[tuple[str, int], str] = BoundedDict(max_entries=2)
    places.put(("st_a", 1), "A v1")
    places.put(("st_b", 1), "B v1")
    assert places.get(("st_a", 1)) == "A v1" and places[("st_b", 1)] == "B v1"
    assert places.put(("st_a", 2), "A v2") == "A v2"
    assert dict(places) == {("st_a", 2): "A v2"}

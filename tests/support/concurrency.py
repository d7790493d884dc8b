"""Running real concurrent work in race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``workers`` threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results

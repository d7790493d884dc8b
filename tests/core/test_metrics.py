"""Request metrics: queued by the request, folded into the Prometheus series, none lost or doubled."""

from __future__ import annotations

import re
import threading

from comptoir.core.observability import Metrics


def _count(text: str, route: str) -> float:
    match = re.search(
        rf'comptoir_http_requests_total{{method="GET",route="{re.escape(route)}",status="200"}} (\S+)', text
    )
    return float(match.group(1)) if match else 0.0


def test_every_request_counts_once_whatever_the_threads_and_the_folds() -> None:
    metrics = Metrics()
    metrics.FOLD_EVERY = 97  # fold often, from every thread, while others append

    def work() -> None:
        for _ in range(2_000):
            metrics.observe("GET", "/v1/x", 200, 0.002)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = metrics.exposition().decode()
    assert _count(text, "/v1/x") == 16_000
    assert (
        'comptoir_http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/v1/x"} 16000.0'
        in text
    )


def test_the_exposition_includes_what_was_not_folded_yet() -> None:
    metrics = Metrics()
    metrics.observe("GET", "/v1/y", 200, 0.5)
    assert _count(metrics.exposition().decode(), "/v1/y") == 1

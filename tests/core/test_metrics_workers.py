"""``/metrics`` under ``comptoir serve --workers 2``: one scrape, whichever worker answers it, sums the
requests every worker served (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from tests.conftest import create_empty_database
from tests.support.processes import start_server, stop


def healthz_count(exposition: str) -> int:
    match = re.search(
        r'comptoir_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)', exposition
    )
    return int(float(match.group(1))) if match else 0


def per_worker(directory: Path, scratch: Path) -> dict[str, int]:
    """``/healthz`` requests counted by each process, read from its own files only."""
    files: dict[str, list[Path]] = defaultdict(list)
    for path in directory.glob("*.db"):
        files[path.stem.rsplit("_", 1)[1]].append(path)
    counts = {}
    for pid, paths in files.items():
        own = scratch / pid
        shutil.rmtree(own, ignore_errors=True)
        own.mkdir(parents=True)
        for path in paths:
            shutil.copy(path, own / path.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(own))  # type: ignore[no-untyped-call]
        counts[pid] = healthz_count(generate_latest(registry).decode())
    return counts


@pytest.mark.slow
def test_one_scrape_sums_every_worker(tmp_path: Path) -> None:
    # given a metrics directory holding a file left by an earlier server
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"left over")
    url = create_empty_database("sqlite", tmp_path)
    proc, base = start_server(url, tmp_path / "serve.log", workers=2, PROMETHEUS_MULTIPROC_DIR=str(directory))
    try:
        # then the server started from an empty directory
        assert not (directory / "counter_999999.db").exists()
        # when requests arrive on new connections until both workers have served some
        sent = 0
        counts: dict[str, int] = {}
        while sent < 2000:
            for _ in range(20):
                assert httpx.get(f"{base}/healthz", headers={"Connection": "close"}).status_code == 200
                sent += 1
            time.sleep(0.5)  # each worker folds its queue every quarter second
            counts = per_worker(directory, tmp_path / "scratch")
            if sum(1 for n in counts.values() if n) >= 2 and sum(counts.values()) == sent:
                break
        assert sum(1 for n in counts.values() if n) == 2, counts
        # then one scrape, answered by either worker, counts every request of both
        scraped = healthz_count(httpx.get(f"{base}/metrics").text)
        assert scraped == sent == sum(counts.values())
    finally:
        stop(proc)

"""Start-up: API and worker processes import only what serves requests, and compute nothing heavy at import."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from comptoir.customers import accounts
from tests.support.processes import comptoir_env, start_server, stop

BUILD_APP_AND_WORKER = """
from comptoir.app import create_app
from comptoir.core.settings import Settings
from comptoir.domains import build_bus, build_jobs
settings = Settings(database_url="sqlite://")
create_app(settings)
build_bus(settings), build_jobs(settings)
import json, sys
from comptoir.customers import accounts
print(json.dumps({"modules": sorted(sys.modules), "dummy_hash": accounts._dummy}))
"""

NOT_FOR_SERVING = ("faker", "reportlab", "typer")


def test_building_the_app_and_the_worker_loads_no_demo_cli_or_pdf_library() -> None:
    # given a fresh process / when it builds the application and the worker's bus and jobs
    out = subprocess.run(
        [sys.executable, "-c", BUILD_APP_AND_WORKER], check=True, capture_output=True, text=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    modules: list[str] = found["modules"]
    # then no demo or command-line module, no demo-data or PDF library is imported ...
    assert [m for m in modules if m.startswith("comptoir.") and m.endswith((".cli", ".demo"))] == []
    assert [m for m in modules if m.split(".")[0] in NOT_FOR_SERVING] == []
    # ... and no password was hashed
    assert found["dummy_hash"] is None


class _SlowCountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls += 1
        time.sleep(0.05)  # widens the window in which a second thread could start hashing too
        return super().hash(password, salt=salt)


def test_the_dummy_hash_is_computed_once_when_many_threads_first_need_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a process that has not computed its dummy hash yet
    hasher = _SlowCountingHasher()
    monkeypatch.setattr(accounts, "hasher", hasher)
    monkeypatch.setattr(accounts, "_dummy", None)
    start = threading.Barrier(8)
    results: list[str] = []

    def first_use() -> None:
        start.wait()
        results.append(accounts.dummy_hash())

    # when eight threads need it at the same moment
    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then it was hashed once, every thread got the same hash, and later calls reuse it
    assert hasher.calls == 1
    assert len(results) == 8
    assert len(set(results)) == 1
    assert results[0].startswith("$argon2id$")
    assert accounts.dummy_hash() == results[0]
    assert hasher.calls == 1


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_serve_with_two_workers_keeps_them_without_a_health_check_grace(tmp_path: Path) -> None:
    # given `comptoir serve --workers 2` with uvicorn's default worker health check (5 s)
    database_url = f"sqlite:///{tmp_path}/serve.db"
    subprocess.run(
        [sys.executable, "-m", "comptoir.cli", "migrate"],
        env=comptoir_env(database_url),
        check=True,
        capture_output=True,
    )
    proc, base = start_server(database_url, tmp_path / "serve.log", workers=2)
    try:
        workers = _children(proc.pid)
        # when it has served for longer than that health check's timeout
        deadline = time.monotonic() + 7
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(httpx.get(f"{base}/healthz", timeout=5).status_code)
            time.sleep(0.2)
        # then every request was answered and no worker was killed and replaced
        assert statuses and set(statuses) == {200}
        assert len(workers) >= 2
        assert _children(proc.pid) == workers
    finally:
        stop(proc)

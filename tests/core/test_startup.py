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
# Loaded where they are used: matching and staff search, webhook and card-provider calls, the first
# page rendered, a TOTP enrolment's QR code, an image upload.
LOADED_ON_FIRST_USE = ("numpy", "rapidfuzz", "httpx", "click", "rich", "pygments", "jinja2", "segno", "PIL")


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
    # ... nor a library only some requests need, nor Babel's catalogue tools
    assert [m for m in modules if m.split(".")[0] in LOADED_ON_FIRST_USE] == []
    assert [m for m in modules if m.startswith("babel.messages")] == []
    # ... and no password was hashed
    assert found["dummy_hash"] is None


BUILD_WORKER = """
import json, sys
from comptoir.core.settings import Settings
from comptoir.domains import build_bus, build_jobs
settings = Settings(database_url="sqlite://")
bus, jobs = build_bus(settings), build_jobs(settings)
print(json.dumps({"modules": sorted(sys.modules), "handlers": len(bus.handler_names), "jobs": len(jobs)}))
"""


def test_the_worker_builds_its_bus_and_jobs_without_routes_or_pages() -> None:
    # given a fresh process / when it builds what `comptoir worker` runs: the bus and the jobs
    out = subprocess.run([sys.executable, "-c", BUILD_WORKER], check=True, capture_output=True, text=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    modules: list[str] = found["modules"]
    # then it has handlers and jobs, and no routes or pages module, nor the application, nor jinja2 was imported
    assert found["handlers"] > 0 and found["jobs"] > 0
    assert [m for m in modules if m.startswith("comptoir.") and m.endswith(("routes", ".pages"))] == []
    assert [m for m in modules if m in ("comptoir.app", "jinja2")] == []


SERVE_FACTORY = """
import gc, json, os, sys
os.environ.update(COMPTOIR_DATABASE_URL="sqlite://", COMPTOIR_SECRET_KEY="s" * 40, COMPTOIR_LOG_LEVEL="WARNING")
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
from comptoir.asgi import create_app_from_env
collections.clear()
app = create_app_from_env()
print(json.dumps({"collections": collections, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "app": type(app).__name__}))
"""


def test_the_served_app_is_built_without_the_cyclic_collector_then_frozen() -> None:
    # given a fresh process with the garbage collector on / when it builds the app `comptoir serve` runs
    out = subprocess.run([sys.executable, "-c", SERVE_FACTORY], check=True, capture_output=True, text=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    # then no collection ran while the application was imported and assembled ...
    assert found["collections"] == []
    assert found["app"] == "ComptoirAPI"
    # ... its objects are frozen (later collections skip them) and the collector is on again
    assert found["frozen"] > 100_000
    assert found["enabled"] is True


def test_the_collector_pause_restores_a_collector_that_was_off() -> None:
    # given a process whose collector is already off (the pause runs in a child so the tests' heap is untouched)
    code = (
        "import gc; from comptoir.core.startup import collector_paused; gc.disable()\n"
        "with collector_paused(): pass\n"
        "print(gc.isenabled())"
    )
    # when a start-up block ends
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    # then the collector stays off, as it was
    assert out.stdout.strip() == "False"


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

"""Cold start: from a new process to its first ``/healthz`` answer, Comptoir against a bare FastAPI app.

Each run starts a fresh interpreter serving with uvicorn (as ``comptoir serve`` does: the
``comptoir.asgi`` factory, the dispatcher in the process, a migrated SQLite database) and polls
``/healthz`` until it answers 200; the baseline is a bare FastAPI app with one ``/healthz`` route started
the same way in the same run. Prints the medians of the runs as ``name: value`` lines: the wall time, and
the CPU time the server process used (steadier than the wall time on a machine others load too).
One untimed start of each comes first, so the bytecode is compiled and the files are in the page cache,
as on a server that restarts. ``--quick``: 3 runs of each instead of 7.

Notes (``.venv/bin/python bench/startup.py``, 2 cores shared with other sessions, load 7-10):
main at 7382a5d: cold_start_cpu_ms 1668, bare 309 (wall 1883 / 396, load 6.95);
after lazy httpx/numpy/rapidfuzz/jinja2/segno/PIL/Babel catalogue tools and the start-up
collector pause: cold_start_cpu_ms 1236, bare 327 (wall 2656 / 514, load 7.73). The wall
figures follow the load; the CPU figures are the comparison.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVE = "import uvicorn; uvicorn.run({factory!r}, factory=True, host='127.0.0.1', port={port}, log_level='warning')"


def bare_app() -> Any:
    """The baseline factory: FastAPI and one route, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def cold_start_ms(factory: str, env: dict[str, str], timeout: float = 60.0) -> tuple[float, float]:
    """From spawning a server process to its first 200 on ``/healthz``: (wall ms, the process's CPU ms).

    The CPU time is read when the process is killed right after that answer (SIGKILL: no shutdown work)."""
    port = _free_port()
    code = SERVE.format(factory=factory, port=port)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    try:
        while not _answers(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{factory} exited with {proc.returncode}")
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{factory} did not answer within {timeout} s")
            time.sleep(0.002)
        wall = (time.perf_counter() - start) * 1000
    finally:
        proc.kill()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = -9
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def _env(database_url: str, root: Path = ROOT) -> dict[str, str]:
    # Bytecode is written as on any server (some shells here set PYTHONDONTWRITEBYTECODE).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COMPTOIR_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        COMPTOIR_DATABASE_URL=database_url,
        COMPTOIR_ENV="test",
        COMPTOIR_SECRET_KEY="bench-secret-key-0123456789-0123456789",
        COMPTOIR_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(root / "src"), str(ROOT)]),
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="another checkout of Comptoir (e.g. `git worktree add /tmp/before <commit>`): its cold start is "
        "measured too, in the same interleaved runs, as comptoir_baseline",
    )
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/startup.db"
        env = _env(database_url)
        subprocess.run(
            [sys.executable, "-c", f"from comptoir.core.migrate import upgrade; upgrade({database_url!r})"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        servers = {
            "comptoir": ("comptoir.asgi:create_app_from_env", env),
            "bare": ("bench.startup:bare_app", env),
        }
        if args.baseline_tree:
            baseline_env = _env(f"sqlite:///{tmp}/baseline.db", args.baseline_tree.resolve())
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"from comptoir.core.migrate import upgrade; upgrade({baseline_env['COMPTOIR_DATABASE_URL']!r})",
                ],
                env=baseline_env,
                cwd=ROOT,
                check=True,
            )
            servers["comptoir_baseline"] = ("comptoir.asgi:create_app_from_env", baseline_env)
        for factory, factory_env in servers.values():
            cold_start_ms(factory, factory_env)  # untimed: compiles the bytecode, fills the page cache
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
        for _ in range(runs):  # interleaved, so a burst of load on the machine hits all alike
            for name, (factory, factory_env) in servers.items():
                figures[name].append(cold_start_ms(factory, factory_env))
    wall = {name: statistics.median(w for w, _ in runs_) for name, runs_ in figures.items()}
    cpu = {name: statistics.median(c for _, c in runs_) for name, runs_ in figures.items()}
    print(f"uptime: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"runs: {runs}")
    print(f"cold_start_to_healthz_ms: {wall['comptoir']:.0f}")
    print(f"cold_start_cpu_ms: {cpu['comptoir']:.0f}")
    print(f"bare_fastapi_cold_start_to_healthz_ms: {wall['bare']:.0f}")
    print(f"bare_fastapi_cold_start_cpu_ms: {cpu['bare']:.0f}")
    print(f"cold_start_over_bare: {wall['comptoir'] / wall['bare']:.2f}")
    if "comptoir_baseline" in wall:
        print(f"baseline_cold_start_to_healthz_ms: {wall['comptoir_baseline']:.0f}")
        print(f"baseline_cold_start_cpu_ms: {cpu['comptoir_baseline']:.0f}")


if __name__ == "__main__":
    main()

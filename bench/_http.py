"""Shared by the HTTP benchmarks: start servers as separate processes and drive them with a load generator.

The load generator runs in its own process (asyncio on uvloop, HTTP/1.1 keep-alive, N connections),
so the server under test and the client each get a core. Every benchmark measures its endpoint next
to a bare FastAPI endpoint served the same way, in the same run: the ratio is the figure that travels
between machines.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def comptoir_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(
        COMPTOIR_DATABASE_URL=database_url,
        COMPTOIR_ENV="test",
        COMPTOIR_SECRET_KEY="bench-secret-key-0123456789-0123456789",
        COMPTOIR_LOG_LEVEL="WARNING",
        COMPTOIR_DEFAULT_RATE_LIMIT_PER_MINUTE="100000000",
        COMPTOIR_DISPATCHER="off",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_comptoir(
    database_url: str, log: Path, *, workers: int = 1, **extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comptoir.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-dispatcher",
        ],
        env=comptoir_env(database_url, **extra),
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/healthz", proc)
    return proc, base


def start_bare(log: Path, *, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """A bare FastAPI app with one small JSON endpoint, served by uvicorn exactly as `comptoir serve` does."""
    port = free_port()
    code = (
        f"import uvicorn; uvicorn.run('bench._bare:app', host='127.0.0.1', port={port}, workers={workers}, "
        "log_config=None, access_log=False, proxy_headers=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/bare", proc)
    return proc, base


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index] * 1000


async def _run_load(
    url: str, headers: dict[str, str], duration: float, connections: int, warmup: float
) -> tuple[list[float], int, float]:
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    target = parsed.raw_path.decode()
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    stop_at = measure_from + duration

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        perf = time.perf_counter
        try:
            while True:
                now = loop.time()
                if now >= stop_at:
                    return
                t0 = perf()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                        break
                if length:
                    await reader.readexactly(length)
                if now >= measure_from:
                    if status == 200:
                        latencies.append(perf() - t0)
                    else:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return latencies, errors, duration


def _load_process(
    url: str, headers: dict[str, str], duration: float, connections: int, warmup: float, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_run_load(url, headers, duration, connections, warmup)))


def load(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    duration: float = 10.0,
    connections: int = 32,
    warmup: float = 1.0,
) -> LoadResult:
    """Hammer ``url`` with GETs from a separate process; latencies of 200 answers, errors for the rest."""
    queue: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    proc = mp.get_context("spawn").Process(
        target=_load_process, args=(url, headers or {}, duration, connections, warmup, queue)
    )
    proc.start()
    latencies, errors, seconds = queue.get(timeout=duration + warmup + 120)
    proc.join()
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=_percentile(latencies, 0.50),
        p95_ms=_percentile(latencies, 0.95),
        p99_ms=_percentile(latencies, 0.99),
    )


@dataclass(frozen=True)
class Interleaved:
    """One endpoint's rounds of :func:`interleaved`."""

    rounds: list[LoadResult]

    @property
    def rps(self) -> float:
        """Median requests/s over the rounds."""
        return statistics.median(r.rps for r in self.rounds)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.rounds)

    @property
    def p99_ms(self) -> float:
        """The worst round's 99th percentile."""
        return max(r.p99_ms for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)


def interleaved(
    targets: dict[str, tuple[str, dict[str, str]]],
    *,
    rounds: int,
    duration: float,
    connections: int,
) -> dict[str, Interleaved]:
    """Load each target (name → (url, headers)) for ``duration`` seconds, one after the other, and do
    that ``rounds`` times: every endpoint meets the same drift of a shared machine (other work, CPU
    frequency), so the ratio of medians compares like with like."""
    results: dict[str, list[LoadResult]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            results[name].append(load(url, headers=headers, duration=duration, connections=connections))
    return {name: Interleaved(found) for name, found in results.items()}

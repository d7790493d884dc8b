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
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
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


def comptoir_env(database_url: str, *, root: Path = ROOT, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(
        COMPTOIR_DATABASE_URL=database_url,
        COMPTOIR_ENV="test",
        COMPTOIR_SECRET_KEY="bench-secret-key-0123456789-0123456789",
        COMPTOIR_LOG_LEVEL="WARNING",
        COMPTOIR_DEFAULT_RATE_LIMIT_PER_MINUTE="100000000",
        COMPTOIR_DISPATCHER="off",
        # This tree's own source first, whatever is installed (so another checkout can be measured).
        PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]),
    )
    env.update(extra)
    return env


def start_comptoir(
    database_url: str, log: Path, *, workers: int = 1, **extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    proc, base = spawn_comptoir(database_url, log, workers=workers, **extra)
    wait_ready(f"{base}/healthz", proc)
    return proc, base


def spawn_comptoir(
    database_url: str, log: Path, *, workers: int = 1, root: Path = ROOT, **extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``comptoir serve`` started, not yet waited for (several start side by side faster), from the
    source tree ``root`` (this one by default; another checkout to measure before and after)."""
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
        env=comptoir_env(database_url, root=root, **extra),
        cwd=root,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


def start_bare(log: Path, *, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """A bare FastAPI app with one small JSON endpoint, served by uvicorn exactly as `comptoir serve` does."""
    port = free_port()
    code = (
        f"import uvicorn; uvicorn.run('bench._bare:app', host='127.0.0.1', port={port}, workers={workers}, "
        "log_config=None, access_log=False, proxy_headers=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
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
    # The server's CPU seconds (user + system, all threads) over the whole job, warm-up included, and
    # the answers it gave meanwhile: CPU per request hardly moves with the rest of the machine's load.
    server_cpu_seconds: float | None = None
    answered: int = 0

    @property
    def server_cpu_us_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.answered:
            return None
        return self.server_cpu_seconds / self.answered * 1e6

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index] * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


TargetPath = str | tuple[str, dict[str, str]]
"""A path (and query) on the target's host, alone or with headers of its own (a customer's token)."""


def _requests(url: str, headers: dict[str, str], paths: list[TargetPath] | None) -> list[bytes]:
    """The raw GET requests to send: one for ``url``, or one per path of ``paths`` on its host (with
    that path's own headers after the common ones)."""
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    found = []
    for entry in paths or [parsed.raw_path.decode()]:
        target, own = (entry, {}) if isinstance(entry, str) else entry
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in {**headers, **own}.items()]
        found.append(("\r\n".join(lines) + "\r\n\r\n").encode())
    return found


async def _run_load(
    url: str,
    headers: dict[str, str],
    duration: float,
    connections: int,
    warmup: float,
    paths: list[TargetPath] | None = None,
) -> tuple[list[float], int, float, int]:
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80
    requests = _requests(url, headers, paths)
    latencies: list[float] = []
    errors = 0
    answered = 0  # warm-up included: what the server did while its CPU time was read
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    stop_at = measure_from + duration

    async def one_connection(seed: int) -> None:
        nonlocal errors, answered
        reader, writer = await asyncio.open_connection(host, port)
        perf = time.perf_counter
        draw = random.Random(seed).choice
        try:
            while True:
                now = loop.time()
                if now >= stop_at:
                    return
                request = draw(requests)  # one request drawn per call, each connection its own sequence
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
                answered += 1
                if now >= measure_from:
                    if status == 200:
                        latencies.append(perf() - t0)
                    else:
                        errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection(seed) for seed in range(connections)))
    return latencies, errors, duration, answered


Job = tuple[str, dict[str, str], float, int, float, "list[TargetPath] | None"]


def _load_process(jobs: mp.Queue, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """Runs load jobs (url, headers, duration, connections, warmup, paths) until it gets ``None``."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    while (job := jobs.get()) is not None:
        out.put(asyncio.run(_run_load(*job)))


class LoadGenerator:
    """The load generator's process, started once and given one job after another (a process per
    job cost a second of start-up each)."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.jobs: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        self.out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        self.proc = ctx.Process(target=_load_process, args=(self.jobs, self.out), daemon=True)
        self.proc.start()

    def load(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        duration: float = 10.0,
        connections: int = 32,
        warmup: float = 1.0,
        paths: list[TargetPath] | None = None,
        server_pid: int | None = None,
    ) -> LoadResult:
        """Hammer ``url`` with GETs; latencies of 200 answers, errors for the rest; with
        ``server_pid`` (the one process serving ``url``), the CPU time it spent meanwhile.

        With ``paths`` (path and query, on ``url``'s host), each request is one of them drawn at random."""
        cpu_before = cpu_seconds(server_pid) if server_pid else None
        self.jobs.put((url, headers or {}, duration, connections, warmup, paths))
        latencies, errors, seconds, answered = self.out.get(timeout=duration + warmup + 120)
        cpu = cpu_seconds(server_pid) - cpu_before if server_pid and cpu_before is not None else None
        latencies.sort()
        return LoadResult(
            requests=len(latencies),
            errors=errors,
            seconds=seconds,
            p50_ms=_percentile(latencies, 0.50),
            p95_ms=_percentile(latencies, 0.95),
            p99_ms=_percentile(latencies, 0.99),
            server_cpu_seconds=cpu,
            answered=answered,
        )

    def close(self) -> None:
        self.jobs.put(None)
        self.proc.join(timeout=30)


def load(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    duration: float = 10.0,
    connections: int = 32,
    warmup: float = 1.0,
    paths: list[TargetPath] | None = None,
) -> LoadResult:
    """One :meth:`LoadGenerator.load` in a load generator of its own."""
    generator = LoadGenerator()
    try:
        return generator.load(
            url, headers=headers, duration=duration, connections=connections, warmup=warmup, paths=paths
        )
    finally:
        generator.close()


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

    @property
    def server_cpu_us_per_request(self) -> float | None:
        """Median over the rounds of the server's CPU time per answer."""
        found = [r.server_cpu_us_per_request for r in self.rounds]
        return statistics.median(x for x in found if x is not None) if None not in found else None


def print_load(name: str, result: Interleaved) -> None:
    """The figures every load benchmark prints for one endpoint, as ``name: value`` lines:
    ``<name>_rps``, ``_p50_ms``, ``_p99_ms``, ``_errors`` and, when read, the server's CPU per request."""
    print(f"{name}_rps: {result.rps:.0f}")
    print(f"{name}_p50_ms: {result.p50_ms:.2f}")
    print(f"{name}_p99_ms: {result.p99_ms:.2f}")
    print(f"{name}_errors: {result.errors}")
    cpu = result.server_cpu_us_per_request
    if cpu is not None:
        print(f"{name}_server_cpu_us_per_request: {cpu:.0f}")


@dataclass(frozen=True)
class Target:
    """What :func:`interleaved` loads: ``url``, or with ``paths`` one of them drawn per request on its host."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    paths: list[TargetPath] | None = None
    server_pid: int | None = None  # the single process serving it, to read its CPU time


def interleaved(
    targets: dict[str, Target],
    *,
    rounds: int,
    duration: float,
    connections: int,
    warmup: float = 1.0,
) -> dict[str, Interleaved]:
    """Load each target for ``duration`` seconds, one after the other, and do that ``rounds`` times:
    every endpoint meets the same drift of a shared machine (other work, CPU frequency), so the ratio
    of medians compares like with like."""
    results: dict[str, list[LoadResult]] = {name: [] for name in targets}
    generator = LoadGenerator()
    try:
        for _ in range(rounds):
            for name, target in targets.items():
                results[name].append(
                    generator.load(
                        target.url,
                        headers=target.headers,
                        paths=target.paths,
                        server_pid=target.server_pid,
                        duration=duration,
                        connections=connections,
                        warmup=warmup,
                    )
                )
    finally:
        generator.close()
    return {name: Interleaved(found) for name, found in results.items()}

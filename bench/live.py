"""Live: WebSocket connections one API process holds, the memory each costs, and WebRTC signalling between
an advisor's console and a customer's page connected to two different API processes, on PostgreSQL.

A scratch database with a studio open day and night and one advisor always on duty (the retailer of
``tests/live/test_processes.py``), and N customers waiting in the live queue (their talk-now requests
written straight into ``live_requests``, each with the ticket the API would have given: asking through the
API would route each one and take minutes to set up).

- ``websocket_connections``: N customers' pages (``/v1/live/ws/customer?ticket=…``) open at once on ONE
  ``comptoir serve`` (one worker), held for a while, each sending its heartbeat every
  ``heartbeat_seconds`` as the page does; the figure is how many stayed open and had every heartbeat
  answered (the request's state: place in the queue, wait estimate, from the database).
  ``heartbeat_p50_ms``/``_p99_ms``: heartbeat to answer meanwhile; ``connect_seconds``: opening them all.
- ``memory_per_connection_kib``: the server's RSS (``/proc/<pid>/status`` VmRSS) with the N connections
  open less its RSS before any (the baseline: the same server, warmed up by a few connections closed
  since), divided by N. ``bare_memory_per_connection_kib`` is the same for a bare FastAPI WebSocket served
  by uvicorn the same way (what the framework and the protocol cost by themselves).
- ``signalling_latency_p50_ms``/``_p99_ms``: the advisor's console on process A, the customer's page on
  process B, a session between them; signal messages sent from the console at a negotiation's pace (an
  ICE candidate every 25 ms, every tenth an SDP-sized 6 KB message) until M were sent, each timed from
  the console's send to the page receiving it (both sockets in this process: one clock);
  ``signalling_back_p99_ms`` the page's answers the other way. The baseline, ``hub_latency_p50_ms``/
  ``_p99_ms``: the hub's raw latency between two processes on the same database (a message published
  in one, heard by a subscriber in the other, ``tests/support/pubsub_latency.py``). The goal:
  ``signalling_latency_p99_ms`` < 50 on a 2-core machine.

    .venv/bin/python bench/live.py            # 1,000 connections held 30 s, 400 signals
    .venv/bin/python bench/live.py --quick    # 1,000 connections held 10.5 s, 150 signals (under 60 s)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fastapi import WebSocket, WebSocketDisconnect  # noqa: E402  (the bare app's, resolved at module level)

from bench._db import reachable, scratch_database, server_url  # noqa: E402

CONNECT_AT_ONCE = 50  # connections being opened at any moment (a crowd arriving, not a SYN flood)
SIGNAL_PACE_SECONDS = 0.025


def bare_app() -> Any:
    """The baseline server (``uvicorn --factory bench.live:bare_app``): a WebSocket answering each message
    with a small JSON object — no auth, no database, no hub."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
                await websocket.send_text('{"type":"state","status":"waiting","position":1}')
        except WebSocketDisconnect:
            return

    return app


def rss_kib(pid: int) -> int:
    """The resident set of process ``pid``, in KiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def raise_fd_limit() -> None:
    """Thousands of sockets: the soft limit up to the hard one (the servers started after inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


def percentile_ms(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (seconds), in milliseconds (as ``bench/_http.py``)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


# --- the retailer and the waiting customers ---------------------------------------------------------


def setup(url: str, customers: int, secret: str) -> tuple[str, str, list[str]]:
    """The round-the-clock studio (an advisor's staff session, the live publishable key) and ``customers``
    waiting requests with their tickets."""
    from argon2 import PasswordHasher
    from tests.live.test_processes import round_the_clock

    from comptoir.core import staff
    from comptoir.core.db import Database

    staff._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # one person: no need to wait
    db = Database(url, pool_size=1)
    try:
        staff_token, key = round_the_clock(db)
        tickets = waiting_customers(db, customers, secret)
    finally:
        db.dispose()
    return staff_token, key, tickets


def waiting_customers(db: Any, count: int, secret: str) -> list[str]:
    """``count`` anonymous visitors waiting in the queue (rows as ``queue.ask`` writes them), a second
    apart, and the ticket each page would hold."""
    from comptoir.core import clock
    from comptoir.core.ids import new_id
    from comptoir.core.uow import UnitOfWork
    from comptoir.live import tickets
    from comptoir.live.models import Request

    now = clock.now()
    rows = [
        Request(
            id=new_id("lrq"),
            customer_id=None,
            visitor_name=f"Visiteur {n}",
            topic="robe",
            language="fr",
            channel="web",
            status="waiting",
            passed=[],
            postcode="",
            created_at=now - timedelta(seconds=count - n),
            ended_at=None,
        )
        for n in range(count)
    ]
    with UnitOfWork(db) as uow:
        uow.session.add_all(rows)
        uow.commit()
    return [tickets.issue(secret, row.id, None, 4) for row in rows]


def leave_queue(url: str) -> None:
    """The waiting customers give up (the signalling session must not wait behind them)."""
    from sqlalchemy import update

    from comptoir.core import clock
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.live.models import Request

    db = Database(url, pool_size=1)
    with UnitOfWork(db) as uow:
        uow.session.execute(
            update(Request)
            .where(Request.status == "waiting")
            .values(status="cancelled", ended_at=clock.now())
        )
        uow.commit()
    db.dispose()


# --- the servers ---------------------------------------------------------------------------------------


@contextmanager
def servers(url: str, logs: Path, count: int) -> Iterator[list[tuple[subprocess.Popen[bytes], str]]]:
    """``count`` ``comptoir serve`` processes (one worker each) on ``url``, started side by side."""
    from bench._http import spawn_comptoir, stop, wait_ready

    started = [spawn_comptoir(url, logs / f"serve-{n}.log") for n in range(count)]
    try:
        for proc, base in started:
            wait_ready(f"{base}/healthz", proc)
        yield started
    finally:
        for proc, _ in started:
            stop(proc)


@contextmanager
def bare_server(logs: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The baseline's uvicorn, served as ``comptoir serve`` serves (one worker, no access log)."""
    from bench._http import free_port, stop, wait_ready

    port = free_port()
    code = (
        f"import uvicorn; uvicorn.run('bench.live:bare_app', factory=True, host='127.0.0.1', port={port}, "
        "workers=1, log_config=None, access_log=False, proxy_headers=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        cwd=ROOT,
        stdout=(logs / "bare.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


# --- many connections held open ---------------------------------------------------------------------


@dataclass
class Held:
    """What holding the connections found."""

    opened: int = 0
    failed: int = 0
    connect_seconds: float = 0.0
    rss_before_kib: int = 0
    rss_open_kib: int = 0
    heartbeats: list[float] = field(default_factory=list)  # seconds from heartbeat to answer
    unanswered: int = 0  # heartbeats with no answer in time
    dropped: int = 0  # connections closed under us while held
    broken: int = 0  # connections that missed at least one heartbeat
    cpu_share: float = 0.0  # the server's CPU time over the hold / its duration (1.0: one core busy)
    cpu_seconds: float = 0.0  # the server's CPU time over the hold

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_open_kib - self.rss_before_kib) / max(1, self.opened)

    @property
    def all_answering(self) -> int:
        """Connections held to the end with every heartbeat answered."""
        return self.opened - self.dropped - self.broken


async def _open(uri: str, gate: asyncio.Semaphore) -> Any:
    import websockets

    async with gate:
        socket = await websockets.connect(uri, open_timeout=60, max_size=2**20)
        await asyncio.wait_for(socket.recv(), 60)  # the page's first state (or the bare server's nothing)
        return socket


async def _open_bare(uri: str, gate: asyncio.Semaphore) -> Any:
    import websockets

    async with gate:
        return await websockets.connect(uri, open_timeout=60, max_size=2**20)


async def _heartbeats(socket: Any, every: float, until: float, held: Held) -> None:
    """One page: a heartbeat every ``every`` seconds (starting at a random point of the first period, as
    pages opened at different moments do), each answer awaited before the next."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.uniform(0, every))
    missed = False
    while loop.time() < until:
        sent = time.perf_counter()
        try:
            await socket.send('{"type":"heartbeat"}')
            while json.loads(await asyncio.wait_for(socket.recv(), every * 2))["type"] != "state":
                pass
        except TimeoutError:
            held.unanswered += 1
            missed = True
            continue
        except Exception:
            held.dropped += 1
            return
        held.heartbeats.append(time.perf_counter() - sent)
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - sent)))
    held.broken += missed


async def hold(uris: list[str], pid: int, every: float, seconds: float, *, bare: bool = False) -> Held:
    """Open a connection per URI on the server ``pid`` (RSS read before and once all are open), hold them
    ``seconds`` with heartbeats, close them."""
    from bench._http import cpu_seconds

    held = Held()
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    opener = _open_bare if bare else _open
    for warm in await asyncio.gather(*(opener(uri, gate) for uri in uris[:20])):  # lazy imports, pools
        await warm.close()
    await asyncio.sleep(0.5)  # the server settles (closed sockets freed, the last answers written)
    held.rss_before_kib = rss_kib(pid)
    started = time.perf_counter()
    found = await asyncio.gather(*(opener(uri, gate) for uri in uris), return_exceptions=True)
    held.connect_seconds = time.perf_counter() - started
    sockets = [s for s in found if not isinstance(s, BaseException)]
    held.opened, held.failed = len(sockets), len(found) - len(sockets)
    await asyncio.sleep(0.5)  # the server settles (closed sockets freed, the last answers written)
    held.rss_open_kib = rss_kib(pid)
    until = asyncio.get_running_loop().time() + seconds
    cpu, wall = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(_heartbeats(s, every, until, held) for s in sockets))
    held.cpu_seconds = cpu_seconds(pid) - cpu
    held.cpu_share = held.cpu_seconds / (time.perf_counter() - wall)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return held


# --- signalling across two processes ---------------------------------------------------------------


async def _next(socket: Any, wanted: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
        if message["type"] == wanted:
            return dict(message)


async def _session(console: Any, page_base: str, console_base: str, staff_token: str, key: str) -> Any:
    """The customer asks on process B, the advisor (console on A) accepts: the page, opened on B, and the
    session's id."""
    import httpx
    import websockets

    await _next(console, "hello")
    await console.send(json.dumps({"type": "presence", "status": "available"}))
    await _next(console, "presence")
    async with httpx.AsyncClient(base_url=page_base, headers={"Authorization": f"Bearer {key}"}) as api:
        asked = await api.post("/v1/live/requests", json={"topic": "robe", "language": "fr"})
    assert asked.status_code == 201, asked.text
    request = asked.json()
    await _next(console, "offer")
    ws = page_base.replace("http://", "ws://")
    page = await websockets.connect(f"{ws}/v1/live/ws/customer?ticket={request['ticket']}", max_size=2**20)
    await _next(page, "state")
    async with httpx.AsyncClient(base_url=console_base) as api:
        taken = await api.post(
            f"/v1/live/requests/{request['id']}/accept", headers={"Authorization": f"Bearer {staff_token}"}
        )
    assert taken.status_code == 201, taken.text
    session_id = taken.json()["id"]
    assert (await _next(page, "session"))["session_id"] == session_id
    return page, session_id


def _payload(n: int, sdp: str) -> dict[str, Any]:
    if n % 10 == 0:
        return {"n": n, "sdp": {"type": "offer", "sdp": sdp}}
    return {
        "n": n,
        "candidate": {"candidate": f"candidate:{n} 1 udp 2122260223 192.0.2.{n % 250} {9000 + n} typ host"},
    }


async def _send_paced(socket: Any, session_id: str, count: int, sent: dict[int, float], sdp: str) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n * SIGNAL_PACE_SECONDS - loop.time()))
        sent[n] = time.perf_counter()
        await socket.send(json.dumps({"type": "signal", "session_id": session_id, "data": _payload(n, sdp)}))


async def _receive(socket: Any, count: int, sent: dict[int, float], into: list[float]) -> None:
    while len(into) < count:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
        if message["type"] == "signal":
            into.append(time.perf_counter() - sent[int(message["data"]["n"])])


async def signalling(
    a: str, b: str, staff_token: str, key: str, count: int
) -> tuple[list[float], list[float]]:
    """Seconds from the console's send (on A) to the page's receipt (on B), and back, ``count`` each way."""
    import websockets
    from tests.support.pubsub_latency import fake_sdp

    sdp = fake_sdp(6000)
    ws = a.replace("http://", "ws://")
    async with websockets.connect(
        f"{ws}/v1/live/ws/advisor?access_token={staff_token}", max_size=2**20
    ) as console:
        page, session_id = await _session(console, b, a, staff_token, key)
        forth: list[float] = []
        back: list[float] = []
        sent_forth: dict[int, float] = {}
        sent_back: dict[int, float] = {}
        try:
            await asyncio.gather(
                _send_paced(console, session_id, count, sent_forth, sdp),
                _send_paced(page, session_id, count, sent_back, sdp[:1500]),
                _receive(page, count, sent_forth, forth),
                _receive(console, count, sent_back, back),
            )
        finally:
            await page.close()
    return forth, back


def hub_latency(url: str, count: int) -> list[float]:
    """The baseline: the hub's one-way latency between this process and a peer, on the same database."""
    from tests.support.pubsub_latency import measure_between_processes

    one_way, _, _ = asyncio.run(measure_between_processes("postgres", url, count, payload_bytes=200))
    return one_way


# --- the run ---------------------------------------------------------------------------------------------


def connections_phase(
    proc: subprocess.Popen[bytes], base: str, tickets: list[str], every: float, seconds: float
) -> None:
    """Phase 1: the customers' pages on one process (``proc``, serving ``base``)."""
    ws = base.replace("http://", "ws://")
    uris = [f"{ws}/v1/live/ws/customer?ticket={t}" for t in tickets]
    held = asyncio.run(hold(uris, proc.pid, every, seconds))
    print(f"websocket_connections: {held.all_answering}")
    print(f"connections_opened: {held.opened}")
    print(f"connections_failed: {held.failed}")
    print(f"connections_dropped: {held.dropped}")
    print(f"connect_seconds: {held.connect_seconds:.1f}")
    print(f"heartbeats_answered: {len(held.heartbeats)}")
    print(f"heartbeats_unanswered: {held.unanswered}")
    print(f"heartbeat_p50_ms: {percentile_ms(held.heartbeats, 0.50):.2f}")
    print(f"heartbeat_p99_ms: {percentile_ms(held.heartbeats, 0.99):.2f}")
    print(f"server_cpu_cores_held: {held.cpu_share:.2f}")
    print(f"server_cpu_ms_per_heartbeat: {held.cpu_seconds / max(1, len(held.heartbeats)) * 1000:.2f}")
    print(f"server_rss_baseline_mib: {held.rss_before_kib / 1024:.1f}")
    print(f"server_rss_connected_mib: {held.rss_open_kib / 1024:.1f}")
    print(f"memory_per_connection_kib: {held.kib_per_connection:.1f}")


def bare_phase(logs: Path, count: int, every: float, seconds: float) -> None:
    """The baseline of phase 1: as many connections to a bare FastAPI WebSocket, one heartbeat round."""
    with bare_server(logs) as (proc, base):
        uris = [f"{base.replace('http://', 'ws://')}/ws"] * count
        baseline = asyncio.run(hold(uris, proc.pid, every, min(seconds, every + 1), bare=True))
    print(f"bare_memory_per_connection_kib: {baseline.kib_per_connection:.1f}")
    print(f"bare_heartbeat_p99_ms: {percentile_ms(baseline.heartbeats, 0.99):.2f}")
    print(f"bare_cpu_ms_per_heartbeat: {baseline.cpu_seconds / max(1, len(baseline.heartbeats)) * 1000:.2f}")


def signalling_phase(a: str, b: str, staff_token: str, key: str, count: int) -> tuple[float, float]:
    """Phase 2: the console on process A, the page on process B; answers the p50 and p99 (ms)."""
    forth, back = asyncio.run(signalling(a, b, staff_token, key, count))
    print(f"signals: {len(forth)}")
    print(f"signalling_latency_p50_ms: {percentile_ms(forth, 0.50):.2f}")
    print(f"signalling_latency_p99_ms: {percentile_ms(forth, 0.99):.2f}")
    print(f"signalling_back_p50_ms: {percentile_ms(back, 0.50):.2f}")
    print(f"signalling_back_p99_ms: {percentile_ms(back, 0.99):.2f}")
    return percentile_ms(forth, 0.50), percentile_ms(forth, 0.99)


def hub_phase(url: str, count: int, signalling_ms: tuple[float, float]) -> None:
    """The baseline of phase 2: the hub alone between two processes on the same database."""
    raw = hub_latency(url, count)
    print(f"hub_latency_p50_ms: {percentile_ms(raw, 0.50):.2f}")
    print(f"hub_latency_p99_ms: {percentile_ms(raw, 0.99):.2f}")
    print(f"signalling_over_hub_p50_ms: {signalling_ms[0] - percentile_ms(raw, 0.50):.2f}")
    print(f"signalling_over_hub_p99_ms: {signalling_ms[1] - percentile_ms(raw, 0.99):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="hold 10.5 s, 150 signals, no bare baseline")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--heartbeat-seconds", type=float, default=None, help="default: the live setting")
    parser.add_argument("--hold-seconds", type=float, default=None)
    parser.add_argument("--signals", type=int, default=None)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    pg = server_url(args.pg_url)
    if not reachable(pg):
        print("websocket_connections: skipped (PostgreSQL does not answer)")
        return
    from bench._http import comptoir_env
    from comptoir.live.config import LiveSettings

    raise_fd_limit()
    # the hub's peer process (tests/support/pubsub_latency.py) imports this tree's sources too
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    every = args.heartbeat_seconds or float(LiveSettings().heartbeat_seconds)
    seconds = args.hold_seconds or (every + 0.5 if args.quick else 3 * every)
    signals = args.signals or (150 if args.quick else 400)
    secret = comptoir_env("")["COMPTOIR_SECRET_KEY"]  # the servers' key: the tickets are signed with it
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(pg, label="bench_live") as url:
        logs = Path(tmp)
        print(f"database_seconds: {time.perf_counter() - started:.1f}")
        t0 = time.perf_counter()
        staff_token, key, tickets = setup(url, args.connections, secret)
        print(f"setup_seconds: {time.perf_counter() - t0:.1f}")
        # both processes started at once: A holds the connections, then signals to B
        t0 = time.perf_counter()
        with servers(url, logs, 2) as [(proc_a, a), (_, b)]:
            print(f"servers_start_seconds: {time.perf_counter() - t0:.1f}")
            connections_phase(proc_a, a, tickets, every, seconds)
            leave_queue(url)
            signalling_ms = signalling_phase(a, b, staff_token, key, signals)
        hub_phase(url, signals, signalling_ms)
        if not args.quick:
            bare_phase(logs, args.connections, every, seconds)
    print(f"bench_seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()

"""Signalling latency through the live-message hub (:mod:`comptoir.core.pubsub`), and the peer process
that the multi-process tests and the benchmark talk to.

- ``await measure_latency(hub_a, hub_b, n)``: one message at a time published on ``hub_a`` and awaited
  on ``hub_b``: seconds from the publish call to the subscriber holding the message.
- ``await measure_between_processes(kind, url, n)``: the same across two OS processes: this one
  publishes, a peer started with ``python -m tests.support.pubsub_latency echo …`` subscribes and
  answers on another topic. The one-way figure compares ``time.monotonic()`` of the two processes,
  which on Linux read the same clock (CLOCK_MONOTONIC is system-wide).
- ``python -m tests.support.pubsub_latency bench postgres <database url> [n]`` (or ``redis <redis
  url>``): prints p50 and p99 between two processes, for an ICE candidate and for an SDP offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from comptoir.core.pubsub import Hub, Subscription
from comptoir.core.pubsub_servers import PostgresHub, RedisHub
from tests.support.processes import ROOT


def make_hub(kind: str, url: str) -> Hub:
    """A hub of ``kind`` ("postgres": ``url`` is the database's; "redis": Redis's) of its own."""
    if kind == "postgres":
        from comptoir.core.db import Database

        return PostgresHub(Database(url, pool_size=1))
    if kind == "redis":
        return RedisHub(url)
    raise ValueError(f"no hub of kind {kind!r} crosses processes")


def fake_sdp(size: int) -> str:
    """Text shaped like an SDP offer (lines of attributes with random parts), about ``size`` bytes."""
    lines: list[str] = []
    length = 0
    while length < size:
        lines.append(
            f"a=candidate:{secrets.randbelow(10**9)} 1 udp {secrets.randbelow(2**31)} "
            f"192.0.2.{secrets.randbelow(255)} {secrets.randbelow(65535)} typ host generation 0 "
            f"ufrag {secrets.token_hex(4)} network-id 1"
        )
        length += len(lines[-1]) + 2
    return "\r\n".join(lines)[:size]


async def next_on(sub: Subscription, topic: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next message of ``topic`` (gap items and other topics skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            got, message = await sub.get()
            if got == topic:
                return dict(message)


async def measure_latency(hub_a: Hub, hub_b: Hub, n: int, *, payload_bytes: int = 0) -> list[float]:
    """Seconds from ``hub_a.publish`` to the message in ``hub_b``'s subscriber, ``n`` times in turn."""
    topic = f"bench.{uuid.uuid4().hex}"
    sdp = fake_sdp(payload_bytes)
    found = []
    async with hub_b.subscribe(topic) as sub:
        await hub_a.start()
        for i in range(n):
            started = time.perf_counter()
            await hub_a.publish(topic, {"i": i, "sdp": sdp})
            while (await next_on(sub, topic))["i"] != i:
                pass
            found.append(time.perf_counter() - started)
    return found


async def echo(kind: str, url: str, inbox: str, outbox: str) -> None:
    """The peer: answer each message of ``inbox`` on ``outbox`` with the time it arrived, until told to
    stop (or a minute without any: its parent is gone). Prints ``ready`` once it listens."""
    hub = make_hub(kind, url)
    async with hub.subscribe(inbox) as sub:
        print("ready", flush=True)
        with contextlib.suppress(TimeoutError):
            while True:
                topic, message = await sub.get(timeout=60)
                arrived = time.monotonic()
                if topic != inbox:
                    continue
                if message.get("stop"):
                    break
                await hub.publish(outbox, {**message, "arrived": arrived})
    await hub.stop()


def start_peer(kind: str, url: str, inbox: str, outbox: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "tests.support.pubsub_latency", "echo", kind, url, inbox, outbox]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


async def measure_between_processes(
    kind: str, url: str, n: int, *, payload_bytes: int = 0
) -> tuple[list[float], list[float], list[dict[str, Any]]]:
    """One-way latencies (here to the peer), round trips, and the messages the peer sent back."""
    inbox, outbox = f"bench.in.{uuid.uuid4().hex}", f"bench.out.{uuid.uuid4().hex}"
    peer = start_peer(kind, url, inbox, outbox)
    hub = make_hub(kind, url)
    one_way, round_trips, answers = [], [], []
    try:
        assert peer.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(peer.stdout.readline), 120)
        assert line.strip() == "ready", f"the peer did not start: {line!r}"
        sdp = fake_sdp(payload_bytes)
        async with hub.subscribe(outbox) as sub:
            for i in range(n):
                sent = time.monotonic()
                await hub.publish(inbox, {"i": i, "sent": sent, "sdp": sdp})
                answer = await next_on(sub, outbox)
                round_trips.append(time.monotonic() - sent)
                one_way.append(answer["arrived"] - sent)
                answers.append(answer)
            await hub.publish(inbox, {"stop": True})
        await asyncio.to_thread(peer.wait, 30)
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait()
        if peer.stdout is not None:
            peer.stdout.close()
        await hub.stop()
        if isinstance(hub, PostgresHub):
            hub.db.dispose()
    return one_way, round_trips, answers


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {statistics.median(values) * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms"


def bench(kind: str, url: str, n: int) -> None:
    for name, size in (("ICE candidate (~200 B)", 200), ("SDP offer (6 KB)", 6000)):
        one_way, round_trips, _ = asyncio.run(measure_between_processes(kind, url, n, payload_bytes=size))
        print(f"{kind}, {name}, {n} messages between two processes")
        print(f"  one way:    {percentiles(one_way)}")
        print(f"  round trip: {percentiles(round_trips)}")


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        asyncio.run(echo(*sys.argv[2:6]))
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1000)
    else:
        sys.exit("usage: python -m tests.support.pubsub_latency bench postgres|redis URL [n]")

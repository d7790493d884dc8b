"""Two API processes on one PostgreSQL: the advisor's console is connected to one, the customer's page
to the other. The customer's request reaches the advisor as an offer, the session starts on the page, and
WebRTC signalling crosses between the processes both ways — through PostgreSQL's LISTEN/NOTIFY, nothing in
one process's memory."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AdvisorIn, ServiceIn
from comptoir.core import staff
from comptoir.core.access import Role
from comptoir.core.db import Base, Database
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from tests.conftest import create_empty_database, drop_database, make_key
from tests.stores.factories import place_in
from tests.support.processes import ROOT, launch_server, stop, wait_ready
from tests.support.staff import make_person, open_session

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STUDIO = "st_studio_nuit"


def round_the_clock(db: Database) -> tuple[str, str]:
    """A studio open day and night and one advisor always on duty: the servers run on the real clock."""
    person = make_person(db, Role.ADVISOR, [STUDIO], email="nadia@comptoir.example")
    with UnitOfWork(db) as uow:
        hours = [{"day": d, "opens": "00:00", "closes": "24:00"} for d in DAYS]
        stores.create_place(uow, place_in(STUDIO, name="Studio de nuit", hours={"weekly": hours}))
        appointments.create_service(
            uow,
            ServiceIn(
                code="consultation-video",
                kind="video",
                names={"fr": "Consultation vidéo", "en": "Video consultation"},
                duration_min=30,
                channels=["web", "live"],
                skills=["video"],
                languages=["fr"],
                location="virtual",
            ),
        )
        weekly = [{"day": d, "start": "00:00", "end": "24:00", "place_id": STUDIO} for d in DAYS]
        appointments.put_advisor(
            uow, person.id, AdvisorIn(skills=["video"], languages=["fr"], place_ids=[STUDIO], weekly=weekly)
        )
        uow.commit()
    return open_session(db, person).token, make_key(db, ["live:write"], channel="live")


async def _next(socket: Any, wanted: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
        if message["type"] == wanted:
            return dict(message)


async def _journey(console_base: str, page_base: str, staff_token: str, key: str) -> list[float]:
    import websockets

    ws = console_base.replace("http://", "ws://")
    async with websockets.connect(f"{ws}/v1/live/ws/advisor?access_token={staff_token}") as console:
        await _next(console, "hello")
        await console.send(json.dumps({"type": "presence", "status": "available"}))
        await _next(console, "presence")
        async with httpx.AsyncClient(
            base_url=page_base, headers={"Authorization": f"Bearer {key}"}
        ) as page_api:
            asked = await page_api.post("/v1/live/requests", json={"topic": "robe", "language": "fr"})
            assert asked.status_code == 201, asked.text
        request = asked.json()
        offer = await _next(console, "offer")  # published by the page's process, heard by the console's
        assert offer["request_id"] == request["id"]
        page_ws = page_base.replace("http://", "ws://")
        async with websockets.connect(f"{page_ws}/v1/live/ws/customer?ticket={request['ticket']}") as page:
            await _next(page, "state")
            async with httpx.AsyncClient(base_url=console_base) as console_api:
                taken = await console_api.post(
                    f"/v1/live/requests/{request['id']}/accept",
                    headers={"Authorization": f"Bearer {staff_token}"},
                )
            assert taken.status_code == 201, taken.text
            session_id = taken.json()["id"]
            assert (await _next(page, "session"))["session_id"] == session_id
            latencies = []
            for n in range(20):
                sent = time.perf_counter()
                data = {"candidate": {"candidate": f"candidate:{n} 1 udp 1 127.0.0.1 {9000 + n} typ host"}}
                await console.send(json.dumps({"type": "signal", "session_id": session_id, "data": data}))
                heard = await _next(page, "signal")
                latencies.append(time.perf_counter() - sent)
                assert heard["data"] == data and heard["from"] == "advisor"
                await page.send(json.dumps({"type": "signal", "session_id": session_id, "data": {"n": n}}))
                assert (await _next(console, "signal"))["data"] == {"n": n}
            return latencies


@pytest.mark.postgres
@pytest.mark.slow
def test_presence_offers_and_signalling_cross_two_api_processes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    url = create_empty_database("postgresql", tmp_path)
    servers = []
    try:
        db = Database(url, pool_size=1)
        Base.metadata.create_all(db.engine)
        staff_token, key = round_the_clock(db)
        db.dispose()
        # this checkout's sources first, whichever checkout the environment was installed from
        path = f"{ROOT / 'src'}:{ROOT}"
        servers = [launch_server(url, tmp_path / f"serve-{n}.log", PYTHONPATH=path) for n in (1, 2)]
        for n, (proc, base) in enumerate(servers, start=1):
            wait_ready(proc, base, tmp_path / f"serve-{n}.log")
        (_, console_base), (_, page_base) = servers
        latencies = asyncio.run(_journey(console_base, page_base, staff_token, key))
        assert len(latencies) == 20
    finally:
        for proc, _ in servers:
            stop(proc)
        drop_database(url)

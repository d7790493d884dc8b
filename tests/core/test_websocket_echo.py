"""``/v1/ws/echo``: WebSockets reach the application through its middleware and area dispatch, with an API
key (header or ``?access_token=``), in one process and across ``comptoir serve --workers 2``."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect

from comptoir.core.db import Base, Database
from comptoir.core.uow import UnitOfWork
from tests.conftest import create_empty_database, drop_database, make_key
from tests.support.processes import start_server, stop


def _closed_with(client, url: str, **options: object) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with client.websocket_connect(url, **options) as socket, pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_text()
    return closed.value.code, closed.value.reason


def test_a_key_in_the_authorization_header_opens_the_echo(client, db) -> None:  # type: ignore[no-untyped-def]
    # Given a valid key, When a client sends text and bytes, Then each comes back as it was sent
    headers = {"Authorization": f"Bearer {make_key(db, ['inventory:read'])}"}
    with client.websocket_connect("/v1/ws/echo", headers=headers) as socket:
        socket.send_text("bonjour")
        assert socket.receive_text() == "bonjour"
        socket.send_bytes(b"\x00\x01")
        assert socket.receive_bytes() == b"\x00\x01"


def test_a_browser_passes_its_key_as_access_token(client, db) -> None:  # type: ignore[no-untyped-def]
    token = make_key(db, ["inventory:read"], channel="web")
    with client.websocket_connect(f"/v1/ws/echo?access_token={token}") as socket:
        socket.send_text("à bientôt")
        assert socket.receive_text() == "à bientôt"


def test_no_key_or_a_bad_one_closes_with_4401(client, db) -> None:  # type: ignore[no-untyped-def]
    assert _closed_with(client, "/v1/ws/echo")[0] == 4401
    code, reason = _closed_with(client, "/v1/ws/echo?access_token=cpt_000000000000.not-a-real-secret-at-all")
    assert (code, reason) == (4401, "The API key is unknown or revoked.")
    assert _closed_with(client, "/v1/ws/echo", headers={"Authorization": "Basic abc"})[0] == 4401


def test_a_revoked_key_closes_with_4401(client, db) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.auth import revoke_key

    token = make_key(db, ["*"])
    with UnitOfWork(db) as uow:
        revoke_key(uow, "key_" + token[4:16])
        uow.commit()
    assert _closed_with(client, f"/v1/ws/echo?access_token={token}")[0] == 4401


def test_a_valid_key_over_its_rate_limit_closes_with_4403(client, db) -> None:  # type: ignore[no-untyped-def]
    # Given a key allowed one request a minute, When it opens a second connection, Then it is refused
    token = make_key(db, ["*"], rate_limit=1)
    with client.websocket_connect(f"/v1/ws/echo?access_token={token}") as socket:
        socket.send_text("one")
        assert socket.receive_text() == "one"
    assert _closed_with(client, f"/v1/ws/echo?access_token={token}")[0] == 4403


# -- two worker processes ----------------------------------------------------------------------------------


def _worker_of(server_pid: int, client_port: int) -> int | None:
    """The worker process (a child of ``comptoir serve``) holding the server side of a client's TCP
    connection, from /proc: the socket whose remote port is the client's, then its file descriptor."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == client_port and fields[3] == "01":  # ESTABLISHED
            inode = fields[9]
    for child in children:
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(child)
            except OSError:
                continue
    return None


async def _echo_through_both_workers(base: str, token: str, server_pid: int) -> dict[int, list[str]]:
    import websockets

    url = base.replace("http://", "ws://") + "/v1/ws/echo"
    answered: dict[int, list[str]] = {}
    sockets = []
    try:
        # Connections are held open, so the kernel hands new ones to whichever worker accepts next — on a
        # busy machine one worker may win many accepts in a row: a pause between connections lets the
        # other one wait in accept too. Bounded in count and time.
        deadline = asyncio.get_running_loop().time() + 60
        for n in range(400):
            if n and asyncio.get_running_loop().time() > deadline:
                break
            if n >= 10:
                await asyncio.sleep(0.05)
            socket = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"})
            sockets.append(socket)
            await socket.send(f"message {n}")
            echoed = str(await asyncio.wait_for(socket.recv(), timeout=10))
            worker = _worker_of(server_pid, socket.local_address[1])
            assert worker is not None
            answered.setdefault(worker, []).append(echoed)
            if len(answered) == 2 and n >= 3:
                break
    finally:
        for socket in sockets:
            await socket.close()
    return answered


@pytest.mark.postgres
@pytest.mark.slow
def test_comptoir_serve_with_two_workers_echoes_through_both(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Given `comptoir serve --workers 2` on PostgreSQL and a valid key
    url = create_empty_database("postgresql", tmp_path)
    server = None
    try:
        db = Database(url, pool_size=1)
        Base.metadata.create_all(db.engine)  # the schema at once (migrations are tested elsewhere)
        token = make_key(db, ["*"])
        db.dispose()
        server, base = start_server(url, tmp_path / "serve.log", workers=2)
        # When clients open WebSockets until both workers hold some
        answered = asyncio.run(_echo_through_both_workers(base, token, server.pid))
        # Then both workers echoed every message they were sent
        assert len(answered) == 2, answered
        for echoed in answered.values():
            assert all(text.startswith("message ") for text in echoed)
        assert sum(len(e) for e in answered.values()) == len({t for e in answered.values() for t in e})
    finally:
        if server is not None:
            stop(server)
        drop_database(url)

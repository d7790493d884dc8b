"""Races on PostgreSQL: many API processes, many clients, the last units of a SKU."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service
from comptoir.inventory.schemas import ReserveIn, ReserveLine
from tests.conftest import make_key
from tests.inventory.factories import ledger_balances, level, network, receive
from tests.support.processes import launch_server, stop, wait_ready

pytestmark = pytest.mark.postgres

SKU = "ROBE-LIN-S-BLEU"
CLIENTS = 16
SERVERS = 3


def _start_servers(url: str, tmp_path: Path, count: int) -> list[tuple[subprocess.Popen[bytes], str]]:
    """API servers started together, then waited for."""
    servers = [launch_server(url, tmp_path / f"server-{i}.log") for i in range(count)]
    try:
        for i, (proc, base) in enumerate(servers):
            wait_ready(proc, base, tmp_path / f"server-{i}.log")
    except RuntimeError:
        for other, _ in servers:
            stop(other)
        raise
    return servers


def _last_five_units(db: Database) -> None:
    """12 on hand, 7 already held by an earlier order: 5 left to promise."""
    network(db)
    receive(db, SKU, "st_opera", 12)
    with UnitOfWork(db) as uow:
        service.reserve(
            uow,
            ReserveIn(
                reference="order-earlier",
                kind="order",
                lines=[ReserveLine(sku=SKU, place_id="st_opera", quantity=7)],
            ),
        )
        uow.commit()


def test_sixteen_clients_on_three_api_processes_take_exactly_the_last_five_units(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("PostgreSQL only")
    # Given the last 5 units of a SKU at a store, and three API server processes
    _last_five_units(db)
    headers = {"Authorization": f"Bearer {make_key(db, ['inventory:read', 'inventory:write'])}"}
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[tuple[int, int | None]] = [(0, None)] * CLIENTS
    negative_seen: list[tuple[int, int]] = []
    done = threading.Event()

    def client(index: int) -> None:
        base = servers[index % len(servers)][1]
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            http.get("/readyz")
            barrier.wait(timeout=30)
            held = http.post(
                "/v1/inventory/reservations",
                json={
                    "reference": f"cart-{index}",
                    "kind": "cart",
                    "lines": [{"sku": SKU, "place_id": "st_opera", "quantity": 1}],
                },
            )
            fulfilled = None
            if held.status_code == 201:
                fulfilled = http.post(
                    f"/v1/inventory/reservations/cart-{index}/fulfil",
                    json={"movement_reference": f"sale-{index}"},
                ).status_code
            outcomes[index] = (held.status_code, fulfilled)

    def watch() -> None:
        with db.engine.connect() as conn:
            while not done.is_set():
                row = conn.execute(
                    text(
                        "SELECT on_hand, on_hand - reserved - safety_stock FROM inventory_stock WHERE sku = :s AND place_id = 'st_opera'"
                    ),
                    {"s": SKU},
                ).one()
                if row[0] < 0 or row[1] < 0:
                    negative_seen.append((row[0], row[1]))
                conn.rollback()
                time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    try:
        servers.extend(_start_servers(db.url, tmp_path, SERVERS))
        watcher.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        done.set()
        if watcher.is_alive():
            watcher.join(timeout=10)
        for proc, _ in servers:
            stop(proc)

    # Then exactly 5 clients got a unit and sold it, 11 were told "out of stock"
    assert sorted(outcomes).count((201, 200)) == 5
    assert sorted(outcomes).count((409, None)) == 11
    # stock never went negative, and the ledger balances
    assert negative_seen == []
    assert level(db, SKU, "st_opera") == (7, 7, 0)
    assert ledger_balances(db)
    with db.engine.connect() as conn:
        sales = conn.execute(
            text(
                "SELECT COUNT(*), SUM(delta), MIN(on_hand_after) FROM inventory_movements WHERE kind = 'sale' AND sku = :s"
            ),
            {"s": SKU},
        ).one()
    assert tuple(sales) == (5, -5, 7)


def test_racing_releases_and_expiry_give_the_units_back_once(db) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("PostgreSQL only")
    _last_five_units(db)
    with UnitOfWork(db) as uow:
        service.reserve(
            uow, ReserveIn(reference="cart-x", lines=[ReserveLine(sku=SKU, place_id="st_opera", quantity=5)])
        )
        uow.commit()
    barrier = threading.Barrier(8)

    def releaser() -> None:
        with UnitOfWork(db) as uow:
            barrier.wait(timeout=10)
            service.release(uow, "cart-x")
            uow.commit()

    threads = [threading.Thread(target=releaser) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert level(db, SKU, "st_opera") == (12, 7, 5)
    assert ledger_balances(db)

"""Two API processes on one PostgreSQL: each caches the promotions, and a change made through one is
priced by the other at once (the cache is checked against the version row on every quote)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from comptoir.core.db import Database
from tests.conftest import make_key
from tests.support.processes import start_server, stop

pytestmark = pytest.mark.postgres


def test_a_promotion_created_in_one_process_is_priced_by_another(shop: Database, tmp_path: Path) -> None:
    if not shop.is_postgres:
        pytest.skip("several API processes share a database on PostgreSQL")
    headers = {"Authorization": f"Bearer {make_key(shop, ['pricing:read', 'pricing:write'])}"}
    first, base_a = start_server(shop.url, tmp_path / "a.log")
    try:
        second, base_b = start_server(shop.url, tmp_path / "b.log")
        try:
            body = {"channel": "web", "lines": [{"line_id": "a", "sku": "TSHIRT-M", "quantity": 1}]}
            with httpx.Client(headers=headers, timeout=10) as client:
                # given both processes priced (and cached) a cart with no promotion
                assert client.post(f"{base_a}/v1/pricing/quote", json=body).json()["total"] == "19.90"
                assert client.post(f"{base_b}/v1/pricing/quote", json=body).json()["total"] == "19.90"
                # when a promotion is created through the first process
                created = client.post(
                    f"{base_a}/v1/pricing/promotions",
                    json={"name": "-50 %", "kind": "percent_off", "params": {"percent": "50"}},
                )
                assert created.status_code == 201
                # then the second prices with it at once, and stops when it is stopped through the first
                assert client.post(f"{base_b}/v1/pricing/quote", json=body).json()["total"] == "9.95"
                client.post(f"{base_a}/v1/pricing/promotions/{created.json()['id']}/stop")
                assert client.post(f"{base_b}/v1/pricing/quote", json=body).json()["total"] == "19.90"
        finally:
            stop(second)
    finally:
        stop(first)

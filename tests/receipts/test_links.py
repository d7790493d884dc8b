"""A receipt's signed link expires and can be revoked (a link sent to the wrong address)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.receipts import service
from comptoir.receipts.policies import LINK_SECONDS
from tests.orders.conftest import LIN_S
from tests.receipts.conftest import sell


def path_of(url: str) -> str:
    return urlparse(url).path


def test_a_revoked_link_stops_working_and_a_fresh_one_works(
    client, stocked, till, settings, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    # given a sale's receipt and its link
    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        receipt = service.receipt_for_order(uow, sale["id"], settings)
    assert receipt is not None and client.get(path_of(receipt.url)).status_code == 200
    # when staff revoke its links
    revoked = client.post(f"/v1/receipts/{receipt.id}/links/revoke", headers=till)
    assert revoked.status_code == 200
    # then the old link (HTML and PDF) is refused and the fresh one in the answer opens the receipt
    assert client.get(path_of(receipt.url)).status_code == 404
    assert client.get(path_of(receipt.pdf_url)).status_code == 404
    assert client.get(path_of(revoked.json()["url"])).status_code == 200
    assert client.post("/v1/receipts/rct_unknown/links/revoke", headers=till).status_code == 404


def test_a_link_expires(client, stocked, till, settings, dispatcher) -> None:  # type: ignore[no-untyped-def]
    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        receipt = service.receipt_for_order(uow, sale["id"], settings)
    assert receipt is not None
    later = clock.now() + timedelta(seconds=LINK_SECONDS + 60)
    clock.set_clock(lambda: later)
    try:
        assert client.get(path_of(receipt.url)).status_code == 404
    finally:
        clock.set_clock(None)
    assert client.get(path_of(receipt.url)).status_code == 200

"""The sandbox provider as a real separate HTTP service (``comptoir payments sandbox``): the HTTP adapter
speaks to it, it sends signed events to a webhook URL, and a checkout process killed with SIGKILL after
the card authorisation leaves no money held once reconciliation runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.payments import compensation, providers, service
from comptoir.payments.config import SANDBOX_SECRET
from comptoir.payments.providers.http import HttpCardProvider
from tests.payments.conftest import authorise_in, card
from tests.support.processes import ROOT, comptoir_env, free_port, start, stop
from tests.support.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {SANDBOX_SECRET}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def sandbox_url(db: Database, receiver: Receiver, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = start(
        ["payments", "sandbox", "--port", str(port), "--webhook-url", receiver.url],
        comptoir_env(db.url),
        tmp_path / "sandbox.log",
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError((tmp_path / "sandbox.log").read_text()[-2000:])
        time.sleep(0.1)
    previous = providers.register_provider(HttpCardProvider.connect("sandbox", base, SANDBOX_SECRET))
    yield base
    providers.unregister_provider("sandbox", previous)
    stop(proc)


def wait_for(receiver: Receiver, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(receiver.requests) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.requests)} events arrived"
        time.sleep(0.05)


def test_3ds_confirmed_by_a_signed_event_from_the_sandbox_process(
    db: Database, client: TestClient, admin_headers: dict[str, str], sandbox_url: str, receiver: Receiver
) -> None:
    # given a card that needs 3-D Secure, authorised through the HTTP adapter
    with UnitOfWork(db) as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("64.90", "tok_3ds")))
        uow.commit()
    assert p.state == "pending" and p.next_action == {
        "type": "redirect",
        "url": f"{sandbox_url}/3ds/{p.provider_reference}",
    }
    # when the customer authenticates at the provider
    httpx.post(
        f"{sandbox_url}/v1/test_helpers/payment_intents/{p.provider_reference}/authenticate",
        json={"outcome": "success"},
        headers=AUTH,
    ).raise_for_status()
    # then the provider POSTs a signed event; delivered to Comptoir, it authorises the payment
    wait_for(receiver, 1)
    delivery = receiver.requests[-1]
    assert delivery["json"]["type"] == "payment_intent.amount_capturable_updated"
    headers = {k: v for k, v in delivery["headers"].items() if k.startswith("webhook-")}
    ack = client.post("/v1/payments/providers/sandbox/events", content=delivery["body"], headers=headers)
    assert ack.status_code == 200 and ack.json()["state"] == "authorised"
    # and the capture goes to the provider
    with UnitOfWork(db) as uow:
        assert service.capture_order(uow, "ord_1")[0].state == "captured"
        uow.commit()
    intent = httpx.get(f"{sandbox_url}/v1/payment_intents/{p.provider_reference}", headers=AUTH).json()
    assert (intent["status"], intent["amount_captured"]) == ("succeeded", "64.90")


def test_checkout_killed_after_authorisation_leaves_no_hold(
    db: Database, sandbox_url: str, tmp_path: Path
) -> None:
    # given a checkout process that authorises a card and is killed before committing
    script = textwrap.dedent(
        """
        import os, signal, sys
        from decimal import Decimal
        from comptoir.core.db import Database
        from comptoir.core.uow import UnitOfWork
        from comptoir.payments import service
        from comptoir.payments.schemas import AuthoriseIn, TenderIn

        with UnitOfWork(Database(os.environ["COMPTOIR_DATABASE_URL"])) as uow:
            [p] = service.authorise(uow, AuthoriseIn(order_id="ord_killed", customer_id=None, currency="EUR",
                channel="web", tenders=[TenderIn(method="card", amount=Decimal("99"), details={"card_token": "tok_visa"})]))
            print(p.provider_reference, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = comptoir_env(db.url, COMPTOIR_PAYMENTS_PROVIDER_URL=sandbox_url)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -9, done.stderr
    reference = done.stdout.strip()
    held = httpx.get(f"{sandbox_url}/v1/payment_intents/{reference}", headers=AUTH).json()
    assert held["status"] == "requires_capture"
    with UnitOfWork(db) as uow:
        assert service.payments_of(uow, "ord_killed") == []
    # when the reconciliation job runs (its delay shortened for the test)
    with UnitOfWork(db) as uow:
        voided = compensation.void_abandoned_authorisations(uow, older_than=timedelta(seconds=-5))
        uow.commit()
    # then the provider no longer holds the customer's money
    assert voided == [held["metadata"]["payment_id"]]
    assert (
        httpx.get(f"{sandbox_url}/v1/payment_intents/{reference}", headers=AUTH).json()["status"]
        == "canceled"
    )

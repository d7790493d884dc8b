"""A receipt's e-mail leaves after the handler's transaction, through the outbound queue: the receipt is
"pending" until the mail server accepts it, "sent" then, "failed" when it was given up — and staff can
send it again."""

from __future__ import annotations

import smtplib
from pathlib import Path

from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import FileMailer
from comptoir.core.uow import UnitOfWork
from comptoir.receipts import service
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_S, MARIE, RIVOLI
from tests.receipts.conftest import mails, sell
from tests.support.staff import sign_in_pages


class RefusingMailer:
    def __init__(self) -> None:
        self.tried: list[str] = []

    def deliver(self, message: bytes, recipient: str) -> None:
        self.tried.append(recipient)
        raise smtplib.SMTPDataError(554, b"message refused")


def test_a_refused_receipt_is_marked_failed_and_can_be_sent_again(  # type: ignore[no-untyped-def]
    app, client, stocked, marie, till, settings
) -> None:
    state = app.state.comptoir
    refusing = RefusingMailer()
    # given a mail server that refuses every message (two attempts allowed)
    worker = Dispatcher(
        state.db,
        state.bus,
        DispatcherConfig(mail_max_attempts=2, backoff_base_seconds=0.0),
        mailer=refusing,
    )
    # when a sale asks for its receipt by e-mail and the worker runs until nothing is due
    sale = sell(client, till, [(LIN_S, 1)], customer_id=marie, email=MARIE["email"], receipt_by_email=True)
    worker.drain()
    # then the server was tried twice, and the receipt is marked failed, with its failure published
    assert refusing.tried == [MARIE["email"], MARIE["email"]]
    with UnitOfWork(stocked) as uow:
        receipt = service.receipt_for_order(uow, sale["id"], settings)
    assert receipt is not None and (receipt.send_status, receipt.sent_at) == ("failed", None)
    [failed] = recorded(stocked, "receipts.receipt_send_failed")
    assert (failed["receipt_id"], failed["email"]) == (receipt.id, MARIE["email"])
    assert recorded(stocked, "receipts.receipt_sent") == []
    # and the shop's receipts page says so, in French, to a seller of the shop signed in
    sign_in_pages(client, stocked, "seller", [RIVOLI])
    listing = client.get("/pages/receipts?lang=fr")
    assert listing.status_code == 200 and f"Non remis à {MARIE['email']}" in listing.text
    # when the staff send it again once the server accepts mail
    again = client.post(f"/v1/receipts/{receipt.id}/send", json={}, headers=till)
    assert again.status_code == 200 and again.json()["send_status"] == "pending"
    repaired = FileMailer(Path(settings.mail_url[len("file://") :]))
    Dispatcher(state.db, state.bus, DispatcherConfig(), mailer=repaired).drain()
    # then it is sent, and marked so with the Message-ID the customer received
    [message] = mails(settings)
    with UnitOfWork(stocked) as uow:
        resent = service.receipt_for_order(uow, sale["id"], settings)
    assert resent is not None and resent.send_status == "sent"
    [sent] = recorded(stocked, "receipts.receipt_sent")
    assert sent["message_id"] == message["Message-ID"]

"""E-receipts end to end: a till sale → the receipt issued by the handler → the e-mail (HTML body and
PDF attachment) written → the signed link without a key → consent for the next receipts."""

from __future__ import annotations

from urllib.parse import urlparse

from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.receipts import service
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_S, MARIE, RIVOLI, SOIE_S
from tests.receipts.conftest import check_pdf, mails, parts, sell


def path_of(url: str) -> str:
    return urlparse(url).path


def test_a_till_sale_sends_its_receipt_in_french_with_the_pdf(  # type: ignore[no-untyped-def]
    client, stocked, marie, till, settings, dispatcher
) -> None:
    with UnitOfWork(stocked) as uow:
        loyalty.set_programme(uow, carte_comptoir())
        uow.commit()
    # given Marie at the Rivoli till buying a linen dress and a silk dress, asking for an e-receipt
    sale = sell(
        client,
        till,
        [(LIN_S, 1), (SOIE_S, 1)],
        customer_id=marie,
        email=MARIE["email"],
        receipt_by_email=True,
    )
    assert mails(settings) == []  # nothing is sent inside the sale's transaction
    # when the worker handles the sale's events
    dispatcher.drain()
    # then one e-mail went to her, in French, HTML and text, with the receipt as a PDF attachment
    [message] = mails(settings)
    assert message["To"] == MARIE["email"]
    assert message["Subject"] == f"Votre ticket T-{sale['number']} – Comptoir Rivoli"
    text, html, attachments = parts(message)
    assert "Détail de la TVA" in html and "Merci de votre visite." in html
    assert "59,90\u00a0€" in html and "89,00\u00a0€" in html and "148,90\u00a0€" in html
    assert (
        "Taux de TVA" in html and "20\u00a0%" in html and "124,08\u00a0€" in html and "24,82\u00a0€" in html
    )
    assert "148,90\u00a0€" in text
    # with the points the sale earned and her balance (loyalty's handler ran before the e-mail left)
    with UnitOfWork(stocked) as uow:
        balance = loyalty.account(uow, marie).balance
    assert balance > 0
    assert f"Points gagnés : {balance}" in html and f"Solde de points : {balance}" in html
    [(name, pdf)] = attachments
    assert name == f"T-{sale['number']}.pdf"
    assert check_pdf(pdf) == 1
    assert b"148,90" in pdf and b"Ticket T-" + sale["number"].encode() in pdf
    # and the receipt is filed with the sale, sent, and findable by its number on Marie's record
    with UnitOfWork(stocked) as uow:
        receipt = service.receipt_for_order(uow, sale["id"], settings)
        assert receipt is not None
        assert (receipt.send_status, receipt.email, receipt.customer_id) == ("sent", MARIE["email"], marie)
    identifiers = client.get(f"/v1/customers/{marie}/identifiers", headers=till).json()
    assert [(i["kind"], i["value"]) for i in identifiers] == [("receipt", receipt.number)]
    [sent] = recorded(stocked, "receipts.receipt_sent")
    assert sent["receipt_id"] == receipt.id and sent["email"] == MARIE["email"]
    # and the e-mail's link opens the receipt without any API key, in HTML and PDF
    assert receipt.url in html
    page = client.get(path_of(receipt.url))
    assert (
        page.status_code == 200 and "148,90\u00a0€" in page.text and "noindex" in page.headers["x-robots-tag"]
    )
    as_pdf = client.get(path_of(receipt.pdf_url))
    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    assert check_pdf(as_pdf.content) == 1


def test_an_english_receipt_formats_amounts_the_english_way(
    client, stocked, till, settings, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    # given an anonymous sale; when the till asks for the receipt in English for a tourist's e-mail
    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    response = client.post(
        "/v1/receipts",
        json={"order_id": sale["id"], "email": "jane@example.co.uk", "locale": "en"},
        headers=till,
    )
    assert response.status_code == 201, response.text
    dispatcher.drain()
    # then the e-mail is in English with amounts as €59.90, and so is its PDF
    [message] = mails(settings)
    assert message["Subject"] == f"Your receipt T-{sale['number']} from Comptoir Rivoli"
    _, html, [(_, pdf)] = parts(message)
    assert "VAT breakdown" in html and "€59.90" in html and "€49.92" in html and "€9.98" in html
    assert "59,90" not in html
    assert check_pdf(pdf) == 1 and b"59.90" in pdf and b"Receipt T-" in pdf
    # and the receipt is tied to a customer found or created from that e-mail (source eticket)
    receipt = response.json()
    assert receipt["customer_id"] is not None and receipt["locale"] == "en"
    with UnitOfWork(stocked) as uow:
        assert customers.get_customer(uow, receipt["customer_id"]).email == "jane@example.co.uk"


def test_a_tampered_or_forged_link_is_refused(client, stocked, till, settings, dispatcher) -> None:  # type: ignore[no-untyped-def]
    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    with UnitOfWork(stocked) as uow:
        receipt = service.receipt_for_order(uow, sale["id"], settings)
    assert receipt is not None
    path = path_of(receipt.url)
    _body, _, mac = path.rsplit("/", 1)[1].partition(".")
    # a changed signature, a payload signed with another key, and a consent token used as a receipt link
    altered = path.replace(mac, mac[:-2] + ("AA" if not mac.endswith("AA") else "BB"))
    from comptoir.core import tokens

    forged = "/pages/receipts/r/" + tokens.sign(
        "another-key-0123456789-0123456789", "receipt", {"r": receipt.id}, None
    )
    wrong_purpose = "/pages/receipts/r/" + tokens.sign(
        settings.secret_key, "receipt-consent", {"r": receipt.id, "c": "x"}, 60
    )
    for bad in (altered, forged, wrong_purpose, altered + ".pdf", "/pages/receipts/r/garbage"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert "T-" + sale["number"] not in response.text
    assert client.get(path).status_code == 200


def test_consent_from_the_email_link_sends_the_next_receipts_without_asking(  # type: ignore[no-untyped-def]
    client, stocked, marie, till, settings, dispatcher
) -> None:
    # given a first sale where Marie typed her e-mail; she has not consented to e-receipts
    sell(client, till, [(LIN_S, 1)], customer_id=marie, email=MARIE["email"], receipt_by_email=True)
    dispatcher.drain()
    [first] = mails(settings)
    _, html, _ = parts(first)
    assert "Oui, envoyez-moi mes tickets par e-mail" in html
    consent_url = next(word.split('"')[1] for word in html.split("<a ") if "/pages/receipts/consent/" in word)
    # when a later sale links her but nobody types an e-mail: no consent → no e-mail
    second = sell(client, till, [(SOIE_S, 1)], customer_id=marie)
    dispatcher.drain()
    assert len(mails(settings)) == 1
    with UnitOfWork(stocked) as uow:
        not_sent = service.receipt_for_order(uow, second["id"], settings)
    assert not_sent is not None and not_sent.send_status == "not_sent"
    # when she follows the consent link and confirms
    form = client.get(path_of(consent_url))
    assert form.status_code == 200 and "Souhaitez-vous recevoir" in form.text
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = client.post(path_of(consent_url), data={"csrf_token": csrf})
    assert done.status_code == 200 and "vos prochains tickets vous seront envoyés" in done.text
    with UnitOfWork(stocked) as uow:
        assert customers.may_contact(uow, marie, "e-receipt", "email")
    # then the next sale's receipt goes to her e-mail without asking, and no longer asks for consent
    third = sell(client, till, [(LIN_S, 1)], customer_id=marie)
    dispatcher.drain()
    messages = mails(settings)
    assert len(messages) == 2 and messages[1]["To"] == MARIE["email"]
    _, html3, _ = parts(messages[1])
    assert f"T-{third['number']}" in html3 and "/pages/receipts/consent/" not in html3


def test_the_staff_can_send_a_receipt_again_and_see_it(
    client, stocked, till, settings, dispatcher, db
) -> None:  # type: ignore[no-untyped-def]
    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    [receipt] = client.get(f"/v1/receipts?order_id={sale['id']}", headers=till).json()["items"]
    assert receipt["send_status"] == "not_sent" and receipt["place_id"] == RIVOLI
    # one representation of a rate: the percent as a plain decimal string, in the order and the receipt
    assert [line["vat_rate"] for line in sale["lines"]] == ["20"]
    assert [line["vat_rate"] for line in receipt["document"]["lines"]] == ["20"]
    assert [row["rate"] for row in receipt["document"]["vat"]] == ["20"]
    no_email = client.post(f"/v1/receipts/{receipt['id']}/send", json={}, headers=till)
    assert no_email.status_code == 422 and no_email.json()["errors"][0]["pointer"] == "#/email"
    again = client.post(f"/v1/receipts/{receipt['id']}/send", json={"email": "paul@example.fr"}, headers=till)
    assert again.status_code == 200 and again.json()["send_status"] == "pending"
    dispatcher.drain()
    [message] = mails(settings)
    assert message["To"] == "paul@example.fr"
    from tests.support.staff import sign_in_pages

    sign_in_pages(client, db, "seller", [RIVOLI])
    listing = client.get("/pages/receipts?lang=fr")
    assert (
        listing.status_code == 200 and receipt["number"] in listing.text and "paul@example.fr" in listing.text
    )


def test_only_store_sales_get_a_receipt(client, stocked, marie, till) -> None:  # type: ignore[no-untyped-def]
    unknown = client.post("/v1/receipts", json={"order_id": "ord_nope"}, headers=till)
    assert unknown.status_code == 404
    assert client.get("/v1/receipts/orders/ord_nope", headers=till).status_code == 404

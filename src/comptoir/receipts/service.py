"""receipts: the domain's operations (its public interface with schemas.py and events.py).

A receipt is issued once per store sale — when orders publishes ``orders.store_sale_completed`` or
when the till asks — as a frozen document. Issuing ties the sale to the customer record (by the
customer on the sale, or by the e-mail typed at the till through ``customers.ingest`` with source
``eticket``) and decides whether to send it: the e-mail typed at the till always gets *this* receipt;
otherwise only customers who consented to e-receipts get it. ``receipts.receipt_issued`` with an e-mail
starts engagement's e-receipt journey, which writes the e-mail from :func:`e_receipt` (the PDF attached,
:func:`receipt_pdf`) and queues it as its handler commits; the mail queue sends it after that commit —
never inside a transaction, let alone the one that made the sale. What became of it comes back as
engagement's ``message_sent`` / ``message_not_sent``, told here as ``receipts.receipt_sent`` /
``receipts.receipt_send_failed`` (:func:`e_receipt_sent`, :func:`e_receipt_not_sent`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from comptoir.catalog import service as catalog_service
from comptoir.core import clock, tokens
from comptoir.core.errors import InvalidInput, NotFound, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, paginate
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.loyalty import service as loyalty_service
from comptoir.orders import service as orders_service
from comptoir.orders.schemas import OrderOut
from comptoir.receipts import policies, render
from comptoir.receipts.events import EReceiptConsentGiven, ReceiptIssued, ReceiptSendFailed, ReceiptSent
from comptoir.receipts.models import Receipt
from comptoir.receipts.schemas import (
    IssueReceiptIn,
    ReceiptDocument,
    ReceiptLine,
    ReceiptLoyalty,
    ReceiptMail,
    ReceiptOut,
    ReceiptPayment,
    SendReceiptIn,
    StoreDetails,
    VatLine,
)
from comptoir.stores import service as stores_service

LINK_PURPOSE = "receipt"
CONSENT_PURPOSE = "receipt-consent"
CONSENT_LINK_SECONDS = 180 * 86400

__all__ = [
    "consent_claims",
    "customer_section",
    "e_receipt",
    "e_receipt_not_sent",
    "e_receipt_sent",
    "get_receipt",
    "grant_consent",
    "issue_receipt",
    "mark_send_failed",
    "mark_sent",
    "receipt_by_token",
    "receipt_for_order",
    "receipt_pdf",
    "receipts_of",
    "receipts_page",
    "request_send",
    "revoke_links",
]


# --- links --------------------------------------------------------------------------------------------
def signed_link(settings: Settings, row: Receipt) -> str:
    """A link that expires ``policies.LINK_SECONDS`` after the sale (the same link each time it is
    given) and dies when its receipt's links are revoked (the generation it carries moves on)."""
    claims = {"r": row.id, "g": row.link_generation or 0}
    expires = int(row.created_at.timestamp()) + policies.LINK_SECONDS
    token = tokens.sign(settings.secret_key, LINK_PURPOSE, claims, expires - int(clock.now().timestamp()))
    return f"{settings.base_url.rstrip('/')}/pages/receipts/r/{token}"


def revoke_links(uow: UnitOfWork, settings: Settings, receipt_id: str) -> ReceiptOut:
    """Every link given so far to this receipt stops working; the answer carries a fresh one."""
    row = uow.session.get(Receipt, receipt_id, with_for_update=True)
    if row is None:
        raise not_found("Receipt", receipt_id)
    row.link_generation = (row.link_generation or 0) + 1
    row.updated_at = clock.now()
    uow.session.flush()
    return _out(row, settings)


def consent_link(settings: Settings, receipt_id: str, customer_id: str) -> str:
    token = tokens.sign(
        settings.secret_key, CONSENT_PURPOSE, {"r": receipt_id, "c": customer_id}, CONSENT_LINK_SECONDS
    )
    return f"{settings.base_url.rstrip('/')}/pages/receipts/consent/{token}"


def _out(row: Receipt, settings: Settings) -> ReceiptOut:
    url = signed_link(settings, row)
    return ReceiptOut(
        id=row.id,
        number=row.number,
        order_id=row.order_id,
        place_id=row.place_id,
        customer_id=row.customer_id,
        email=row.email,
        locale=row.locale,
        send_status=row.send_status,
        sent_at=row.sent_at,
        url=url,
        pdf_url=f"{url}.pdf",
        document=ReceiptDocument.model_validate(row.document),
        created_at=row.created_at,
    )


# --- reading -----------------------------------------------------------------------------------------------
def receipt_for_order(uow: UnitOfWork, order_id: str, settings: Settings | None = None) -> ReceiptOut | None:
    """The sale's receipt (number, signed link), or None when none was issued."""
    row = uow.session.scalars(select(Receipt).where(Receipt.order_id == order_id)).first()
    return None if row is None else _out(row, settings or get_settings())


def get_receipt(uow: UnitOfWork, receipt_id: str, settings: Settings) -> ReceiptOut:
    row = uow.session.get(Receipt, receipt_id)
    if row is None:
        raise not_found("Receipt", receipt_id)
    return _out(row, settings)


def receipts_of(
    uow: UnitOfWork,
    settings: Settings,
    *,
    customer_id: str | None = None,
    place_id: str | None = None,
    limit: int = 50,
) -> list[ReceiptOut]:
    query = select(Receipt)
    if customer_id is not None:
        query = query.where(Receipt.customer_id == customer_id)
    if place_id is not None:
        query = query.where(Receipt.place_id == place_id)
    rows = uow.session.scalars(
        query.order_by(Receipt.created_at.desc(), Receipt.id.desc()).limit(limit)
    ).all()
    return [_out(r, settings) for r in rows]


def receipts_page(
    uow: UnitOfWork,
    settings: Settings,
    *,
    customer_id: str | None = None,
    place_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ReceiptOut]:
    """Receipts newest first (ids are time-ordered), a page after ``cursor``."""
    query = select(Receipt)
    if customer_id is not None:
        query = query.where(Receipt.customer_id == customer_id)
    if place_id is not None:
        query = query.where(Receipt.place_id == place_id)
    return paginate(
        uow.session,
        query,
        Receipt.id,
        cursor=cursor,
        limit=limit,
        descending=True,
        convert=lambda r: _out(r, settings),
    )


def receipt_by_token(uow: UnitOfWork, settings: Settings, token: str) -> ReceiptOut | None:
    """The receipt a signed link points at; None for a forged, altered or unknown link."""
    claims = tokens.verify(settings.secret_key, LINK_PURPOSE, token)
    if claims is None or not isinstance(claims.get("r"), str):
        return None
    row = uow.session.get(Receipt, claims["r"])
    if row is None or claims.get("g", 0) != (row.link_generation or 0):
        return None
    if "exp" not in claims and not policies.link_alive(row.created_at, clock.now()):
        return None  # a link from before links carried their expiry: it lasts as long from the sale
    return _out(row, settings)


# --- building ------------------------------------------------------------------------------------------------
def _store(uow: UnitOfWork, place_id: str) -> StoreDetails:
    place = stores_service.get_place(uow, place_id)
    address = [*place.address.lines, f"{place.address.postal_code} {place.address.locality}".strip()]
    return StoreDetails(
        place_id=place.id,
        name=place.name,
        address_lines=[line for line in address if line],
        phone=place.phone,
        email=place.email,
        timezone=place.timezone,
    )


def _sale_place(order: OrderOut) -> str:
    for fulfilment in order.fulfilments:
        return fulfilment.place_id
    if order.channel.startswith("store:"):
        return order.channel.split(":", 1)[1]
    raise InvalidInput(f"Order {order.number} has no store to print on its receipt.", field="order_id")


def _loyalty(uow: UnitOfWork, order_id: str, customer_id: str | None) -> ReceiptLoyalty | None:
    if customer_id is None:
        return None
    account = loyalty_service.account(uow, customer_id)
    earned = [
        e.points
        for e in loyalty_service.history(uow, customer_id, limit=20).items
        if e.order_id == order_id and e.kind == "earn"
    ]
    return ReceiptLoyalty(
        points_earned=sum(earned) if earned else None, balance=account.balance, tier=account.tier_name
    )


def build_document(uow: UnitOfWork, order: OrderOut, customer_id: str | None) -> ReceiptDocument:
    skus = [line.sku for line in order.lines]
    names = {lang: catalog_service.get_variants(uow, skus, lang) for lang in policies.SUPPORTED}
    lines = [
        ReceiptLine(
            line_id=line.line_id,
            sku=line.sku,
            label=names["fr"][line.sku].name if line.sku in names["fr"] else line.sku,
            labels={
                lang: names[lang][line.sku].name for lang in policies.SUPPORTED if line.sku in names[lang]
            },
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            total=line.total,
            vat_rate=line.vat_rate,
        )
        for line in order.lines
    ]
    vat = policies.vat_breakdown(
        [policies.TaxedAmount(Decimal(line.vat_rate), Decimal(line.total)) for line in order.lines],
        order.currency,
    )
    return ReceiptDocument(
        number=policies.receipt_number(order.number),
        order_id=order.id,
        order_number=order.number,
        sold_at=order.paid_at or order.created_at,
        currency=order.currency,
        store=_store(uow, _sale_place(order)),
        lines=lines,
        vat=[VatLine(rate=r.rate * 100, base=r.base, vat=r.vat, total=r.total) for r in vat],
        subtotal=order.totals.subtotal,
        discount_total=order.totals.discount_total,
        total=order.totals.total,
        payments=[
            ReceiptPayment(method=p.method, amount=p.amount) for p in order.payments if p.state != "voided"
        ],
        loyalty=_loyalty(uow, order.id, customer_id),
        seller_id=order.seller_id,
    )


# --- issuing -----------------------------------------------------------------------------------------------------
def _customer_for(
    uow: UnitOfWork, order: OrderOut, email: str | None, number: str, locale: str | None
) -> str | None:
    """The customer the sale belongs to: the one on the sale, else the one the e-mail finds or creates."""
    customer_id = order.customer_id
    if customer_id is None and email:
        result = customers_service.ingest(
            uow, "eticket", CustomerRecord(email=email, source_ref=f"receipt:{number}", locale=locale)
        )
        customer_id = result.customer_id
    if customer_id is not None:
        customers_service.add_identifier(uow, customer_id, "receipt", number)
    return customer_id


def issue_receipt(uow: UnitOfWork, settings: Settings, command: IssueReceiptIn) -> ReceiptOut:
    """Make the receipt of a store sale (once: a second call returns it, sending it to a new e-mail if
    one is given) and decide whether to send it."""
    existing = uow.session.scalars(select(Receipt).where(Receipt.order_id == command.order_id)).first()
    if existing is not None:
        if command.email and (
            command.email != existing.email or existing.send_status in ("not_sent", "failed")
        ):
            if existing.customer_id is None:
                # An anonymous sale's receipt asked for afterwards: the e-mail ties it to a customer.
                order = orders_service.get_order(uow, command.order_id)
                existing.customer_id = _customer_for(
                    uow, order, command.email, existing.number, command.locale
                )
                consented = customers_service.may_contact(
                    uow, existing.customer_id or "", "e-receipt", "email"
                )
                existing.ask_consent = command.ask_consent and policies.should_ask_consent(consented)
            return request_send(
                uow, settings, existing.id, SendReceiptIn(email=command.email, locale=command.locale)
            )
        return _out(existing, settings)
    order = orders_service.get_order(uow, command.order_id)
    if order.mode != "store_sale":
        raise InvalidInput(
            f"Order {order.number} is not a store sale: its confirmation is its receipt.", field="order_id"
        )
    number = policies.receipt_number(order.number)
    customer_id = _customer_for(uow, order, command.email, number, command.locale)
    customer = customers_service.get_customer(uow, customer_id) if customer_id else None
    consented = bool(customer_id) and customers_service.may_contact(
        uow, customer_id or "", "e-receipt", "email"
    )
    decision = policies.whom_to_send(command.email, customer.email if customer else None, consented)
    lang = policies.receipt_language(
        command.locale, customer.locale if customer else None, settings.default_locale
    )
    now = clock.now()
    row = Receipt(
        id=new_id("rcp"),
        number=number,
        order_id=order.id,
        place_id=_sale_place(order),
        customer_id=customer_id,
        email=decision.email,
        locale=lang,
        ask_consent=command.ask_consent
        and customer_id is not None
        and policies.should_ask_consent(consented),
        document=build_document(uow, order, customer_id).model_dump(mode="json"),
        send_status="pending" if decision.email else "not_sent",
        send_attempts=1 if decision.email else 0,
        message_id=None,
        sent_at=None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(_issued(row))
    return _out(row, settings)


def _issued(row: Receipt) -> ReceiptIssued:
    return ReceiptIssued(
        receipt_id=row.id,
        number=row.number,
        order_id=row.order_id,
        place_id=row.place_id,
        customer_id=row.customer_id,
        email=row.email if row.send_status == "pending" else None,
        locale=row.locale,
        sequence=row.send_attempts,
    )


def request_send(uow: UnitOfWork, settings: Settings, receipt_id: str, command: SendReceiptIn) -> ReceiptOut:
    """Send (again) a receipt, to the e-mail given or the one it has (engagement's e-receipt journey writes
    it). An anonymous sale's receipt is tied to the customer the e-mail finds or makes (source eticket),
    as at the till."""
    row = uow.session.get(Receipt, receipt_id)
    if row is None:
        raise not_found("Receipt", receipt_id)
    email = command.email or row.email
    if not email:
        raise InvalidInput("This receipt has no e-mail address: give one.", field="email")
    if row.customer_id is None:
        order = orders_service.get_order(uow, row.order_id)
        row.customer_id = _customer_for(uow, order, email, row.number, command.locale)
    row.email = email
    if command.locale:
        row.locale = command.locale
    row.send_status = "pending"
    row.send_attempts += 1
    row.updated_at = clock.now()
    uow.session.flush()
    uow.record(_issued(row))
    return _out(row, settings)


# --- the e-mail (written by engagement's e-receipt journey) ----------------------------------------------------
def _refreshed(uow: UnitOfWork, row: Receipt) -> ReceiptDocument:
    """The document, with the points the sale earned if they are in by now (loyalty's own handler of the
    payment earns them, maybe after the receipt was issued)."""
    document = ReceiptDocument.model_validate(row.document)
    if row.customer_id and document.loyalty is not None and document.loyalty.points_earned is None:
        document = document.model_copy(update={"loyalty": _loyalty(uow, row.order_id, row.customer_id)})
        row.document = document.model_dump(mode="json")
    return document


def e_receipt(uow: UnitOfWork, settings: Settings, receipt_id: str, lang: str) -> ReceiptMail | None:
    """What the receipt's e-mail shows in ``lang`` (see :class:`ReceiptMail`); None when it is gone."""
    row = uow.session.get(Receipt, receipt_id)
    if row is None:
        return None
    document = _refreshed(uow, row)
    url = signed_link(settings, row)
    consent = consent_link(settings, row.id, row.customer_id) if row.ask_consent and row.customer_id else None
    language = "en" if lang == "en" else "fr"
    return ReceiptMail(
        receipt_id=row.id,
        number=row.number,
        language=language,
        store_name=document.store.name,
        store_address=document.store.address_lines,
        store_phone=document.store.phone,
        timezone=document.store.timezone,
        sold_at=document.sold_at,
        currency=document.currency,
        subtotal=document.subtotal,
        discount_total=document.discount_total,
        total=document.total,
        url=url,
        pdf_url=f"{url}.pdf",
        pdf_name=f"{row.number}.pdf",
        consent_url=consent,
        **render.mail_view(document, language),
    )


def receipt_pdf(uow: UnitOfWork, receipt_id: str, lang: str) -> bytes | None:
    """The receipt as a PDF in ``lang`` (the e-mail's attachment); None when it is gone."""
    row = uow.session.get(Receipt, receipt_id)
    if row is None:
        return None
    return render.pdf(_refreshed(uow, row), "en" if lang == "en" else "fr")


def _awaited(uow: UnitOfWork, receipt_id: str, sequence: int) -> Receipt | None:
    """The receipt whose ``sequence``-th sending this is, if it is still the one awaited."""
    row = uow.session.scalars(select(Receipt).where(Receipt.id == receipt_id).with_for_update()).first()
    if row is None or row.send_status != "pending" or row.send_attempts != sequence or not row.email:
        return None  # another receipt's, erased, or asked for again since (the later sending counts)
    return row


def e_receipt_sent(uow: UnitOfWork, receipt_id: str, sequence: int, message_id: str) -> None:
    """The mail server accepted the receipt's e-mail (engagement's e-receipt journey says so): published
    as ``receipts.receipt_sent``, which marks the receipt."""
    row = _awaited(uow, receipt_id, sequence)
    if row is None or row.email is None:
        return
    uow.record(
        ReceiptSent(
            receipt_id=row.id,
            number=row.number,
            order_id=row.order_id,
            customer_id=row.customer_id,
            email=row.email,
            message_id=message_id[:255],
        )
    )


def e_receipt_not_sent(uow: UnitOfWork, receipt_id: str, sequence: int, message_id: str) -> None:
    """The receipt's e-mail was given up (a bounce, a refusal, retries spent, an address that bounced
    before): published as ``receipts.receipt_send_failed``; staff may send it again."""
    row = _awaited(uow, receipt_id, sequence)
    if row is None or row.email is None:
        return
    uow.record(
        ReceiptSendFailed(receipt_id=row.id, number=row.number, email=row.email, message_id=message_id[:255])
    )


def mark_sent(uow: UnitOfWork, event: ReceiptSent) -> None:
    """The mail server accepted the receipt's e-mail (unless it was since re-sent to another address)."""
    row = uow.session.scalars(select(Receipt).where(Receipt.id == event.receipt_id).with_for_update()).first()
    if row is None or row.email != event.email:
        return
    row.send_status = "sent"
    row.message_id = event.message_id
    row.sent_at = row.updated_at = event.occurred_at


def mark_send_failed(uow: UnitOfWork, event: ReceiptSendFailed) -> None:
    """The e-mail was given up: the address bounced, the server refused the message, or its retries ran out;
    staff may send it again."""
    row = uow.session.scalars(select(Receipt).where(Receipt.id == event.receipt_id).with_for_update()).first()
    if row is None or row.email != event.email or row.send_status != "pending":
        return
    row.send_status = "failed"
    row.updated_at = clock.now()


# --- consent ----------------------------------------------------------------------------------------------------------
def consent_claims(settings: Settings, token: str) -> dict[str, Any] | None:
    claims = tokens.verify(settings.secret_key, CONSENT_PURPOSE, token)
    if claims is None or not isinstance(claims.get("r"), str) or not isinstance(claims.get("c"), str):
        return None
    return claims


def grant_consent(uow: UnitOfWork, settings: Settings, token: str) -> ReceiptOut:
    """The customer followed the e-mail's link and confirmed: e-receipts by e-mail from now on."""
    claims = consent_claims(settings, token)
    if claims is None:
        raise NotFound("This link is invalid or has expired.", slug="receipt-link-invalid")
    row = uow.session.get(Receipt, claims["r"])
    if row is None:
        raise NotFound("This link is invalid or has expired.", slug="receipt-link-invalid")
    customers_service.record_consents(
        uow,
        claims["c"],
        [
            ConsentIn(
                purpose="e-receipt",
                channel="email",
                granted=True,
                proof={"form": "e-receipt-email-link", "receipt": row.number},
            )
        ],
        "eticket",
    )
    row.ask_consent = False
    row.updated_at = clock.now()
    uow.record(EReceiptConsentGiven(receipt_id=row.id, customer_id=claims["c"]))
    return _out(row, settings)


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: the latest receipts, from every till and site."""
    rows = uow.session.scalars(
        select(Receipt).where(Receipt.customer_id == customer_id).order_by(Receipt.id.desc()).limit(10)
    ).all()
    return {
        "recent_receipts": [
            {
                "id": r.id,
                "number": r.number,
                "order_id": r.order_id,
                "place_id": r.place_id,
                "total": str(r.document.get("total", "")),
                "currency": r.document.get("currency"),
                "send_status": r.send_status,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]
    }


def sale_of_receipt(uow: UnitOfWork, number: str) -> tuple[str, str | None] | None:
    """(order id, customer id or None) of the sale whose receipt is numbered ``number`` (``T-CMD-…``, case, spaces and
    dashes forgiven); None when no receipt has it."""
    from comptoir.receipts import lookup

    return lookup.sale_of_receipt(uow, number)

"""engagement: the e-receipt — a shop's receipt e-mailed to the address typed at the till or to a customer
who asked for e-receipts (a :class:`~.mail_types.Family`).

Its facts are the receipt as the receipts domain prints it (:class:`comptoir.receipts.schemas.ReceiptMail`:
the lines named in the receipt's language, the VAT, the payments and the loyalty lines in the receipt's
words) and its PDF, attached. Amounts are formatted by locale, the sale's time in the shop's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale, format_money
from comptoir.core.mail import Attachment
from comptoir.engagement.mail_types import DAY, TRANSACTIONAL, Copy, Family, MessageContext
from comptoir.receipts.schemas import ReceiptMail, ReceiptMailLine, ReceiptMailPayment, ReceiptMailVat


@dataclass(frozen=True)
class ReceiptFacts:
    receipt: ReceiptMail
    pdf: bytes  # the receipt as a PDF, in the e-mail's language


def _check(template: str, facts: Any) -> None:
    if not isinstance(facts, ReceiptFacts):
        raise ValueError("the e-receipt needs its receipt's facts")
    if not facts.receipt.lines:
        raise ValueError("a receipt has at least one line")


def _links(facts: Any) -> list[str | None]:
    r = facts.receipt
    return [r.url, r.pdf_url, r.consent_url]


def _attachments(facts: Any, lang: str) -> list[Attachment]:
    if not isinstance(facts, ReceiptFacts):
        return []
    return [Attachment(facts.receipt.pdf_name, facts.pdf, "application/pdf")]


def _values(t: NullTranslations, facts: ReceiptFacts, lang: str) -> dict[str, Any]:
    r, locale = facts.receipt, babel_locale(lang)
    local = r.sold_at.astimezone(ZoneInfo(r.timezone))
    day = str(format_date(local.date(), DAY, locale=locale))
    at = str(format_time(local, "short", locale=locale))

    def money(amount: Decimal) -> str:
        return format_money(amount, r.currency, lang)

    return {
        "number": r.number,
        "store": r.store_name,
        "store_address": r.store_address,
        "store_phone": r.store_phone or "",
        "day": day,
        "when": t.gettext("%(date)s at %(time)s") % {"date": day, "time": at},
        "lines": [
            {
                "name": line.label,
                "sku": line.sku,
                "times": f"×\u00a0{line.quantity}",
                "unit_price": money(line.unit_price),
                "discount": money(-line.discount) if line.discount else "",
                "total": money(line.total),
            }
            for line in r.lines
        ],
        "discount_total": money(-r.discount_total) if r.discount_total else "",
        "total": money(r.total),
        "vat": [
            {"rate": row.rate, "base": money(row.base), "vat": money(row.vat), "total": money(row.total)}
            for row in r.vat
        ],
        "payments": [{"label": p.label, "amount": money(p.amount)} for p in r.payments],
        "loyalty": r.loyalty,
        "url": r.url,
        "pdf_url": r.pdf_url,
        "consent_url": r.consent_url,
    }


def _copy(t: NullTranslations, v: dict[str, Any]) -> Copy:
    r = v["receipt"]
    words = {"number": r["number"], "store": r["store"], "total": r["total"], "url": r["url"]}
    return Copy(
        subject=t.gettext("Your receipt %(number)s from %(store)s") % words,
        preheader=t.gettext("%(total)s at %(store)s on %(date)s. Your receipt is attached as a PDF.")
        % (words | {"date": r["day"]}),
        sms=t.gettext("%(store)s: your receipt %(number)s (%(total)s): %(url)s") % words,
        push_title=t.gettext("Your receipt from %(store)s") % words,
        push_body=t.gettext("%(total)s, receipt %(number)s.") % words,
    )


# -- the preview's sample ----------------------------------------------------------------------------------

_SITE = "https://www.maison-lumiere.fr"


def _sample(template: str, lang: str) -> MessageContext:
    """Claire's purchase at Maison Lumière Marais on Tuesday 9 March 2027 at 11:20 (Paris time): a pendant
    on offer and three bulbs, paid by card, with her points; the receipt asks for e-receipts from now on."""
    english = lang == "en"
    lines = [
        (
            "SUSP-OPALINE",
            "Opaline pendant" if english else "Suspension Opaline",
            1,
            "239.00",
            "50.00",
            "189.00",
        ),
        (
            "AMP-E27",
            "E27 LED filament bulb" if english else "Ampoule à filament LED E27",
            3,
            "12.90",
            "0",
            "38.70",
        ),
    ]
    link = f"{_SITE}/pages/receipts/r/eyJyIjoicmNwXzAxSlE3WksifQ.5f1c9a2e"
    receipt = ReceiptMail(
        receipt_id="rcp_01JQ7ZK4M2",
        number="T-CMD-2027-000187",
        language="en" if english else "fr",
        store_name="Maison Lumière Marais",
        store_address=["12 rue des Francs-Bourgeois", "75003 Paris"],
        store_phone="+33 1 42 72 00 00",
        timezone="Europe/Paris",
        sold_at=datetime(2027, 3, 9, 10, 20, tzinfo=UTC),
        currency="EUR",
        lines=[
            ReceiptMailLine(
                label=name,
                sku=sku,
                quantity=quantity,
                unit_price=Decimal(unit),
                discount=Decimal(discount),
                total=Decimal(total),
            )
            for sku, name, quantity, unit, discount, total in lines
        ],
        vat=[
            ReceiptMailVat(
                rate="20%" if english else "20\u00a0%",
                base=Decimal("189.75"),
                vat=Decimal("37.95"),
                total=Decimal("227.70"),
            )
        ],
        subtotal=Decimal("277.70"),
        discount_total=Decimal("50.00"),
        total=Decimal("227.70"),
        payments=[
            ReceiptMailPayment(label="Card" if english else "Carte bancaire", amount=Decimal("227.70"))
        ],
        loyalty=["Points earned: 227", "Points balance: 1,267"]
        if english
        else ["Points gagnés : 227", "Solde de points : 1\u202f267"],
        url=link,
        pdf_url=f"{link}.pdf",
        pdf_name="T-CMD-2027-000187.pdf",
        consent_url=f"{_SITE}/pages/receipts/consent/eyJyIjoicmNwIn0.9b3e77d1",
    )
    return MessageContext(
        brand="Maison Lumière",
        first_name="Claire",
        purpose=TRANSACTIONAL,
        unsubscribe_url=None,
        preferences_url=f"{_SITE}/shop/account/preferences",
        extra={"receipt": ReceiptFacts(receipt, b"%PDF-1.4\n%%EOF\n")},
    )


FAMILIES: tuple[Family, ...] = (
    Family(
        key="receipt",
        copies={"e_receipt": _copy},
        check=_check,
        values=_values,
        sample=_sample,
        links=_links,
        attachments=_attachments,
    ),
)

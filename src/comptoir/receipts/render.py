"""Render a receipt: the HTML page (also the e-mail's body), the plain-text part and the PDF.

Every text goes through the package's catalogue; amounts and dates are formatted for the receipt's
language with Babel (``59,90 €`` in French, ``€59.90`` in English), dates in the store's time zone.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from babel.numbers import format_percent

from comptoir.core.i18n import N_, babel_locale, format_money, format_number, format_when, translations
from comptoir.core.web import Pages
from comptoir.receipts import policies
from comptoir.receipts.schemas import ReceiptDocument, ReceiptMailLine, ReceiptMailPayment, ReceiptMailVat

pages = Pages(__package__ or "comptoir.receipts")
PACKAGE = "comptoir.receipts"


METHODS = {
    "card": N_("Card"),
    "pay_in_store": N_("Paid at the till"),
    "pay_at_pickup": N_("Paid at pickup"),
    "gift_card": N_("Gift card"),
    "loyalty_points": N_("Loyalty points"),
}


def percent(rate: Decimal, lang: str) -> str:
    """``5.5`` (a percent, as the API gives rates; an older receipt's fraction ``0.055`` too) → ``5,5 %``
    in French, ``5.5%`` in English."""
    return str(
        format_percent(policies.rate_fraction(rate), locale=babel_locale(lang), decimal_quantization=False)
    )


def line_label(line: Any, lang: str) -> str:
    labels: dict[str, str] = line.labels or {}
    return labels.get(lang) or line.label or line.sku


def context(
    document: ReceiptDocument, lang: str, *, url: str | None, consent_url: str | None
) -> dict[str, Any]:
    return {
        "doc": document,
        "url": url,
        "pdf_url": f"{url}.pdf" if url else None,
        "consent_url": consent_url,
        "methods": METHODS,
        "percent": lambda rate: percent(Decimal(rate), lang),
        "label": lambda line: line_label(line, lang),
        "tz": document.store.timezone,
    }


def html(
    document: ReceiptDocument, lang: str, *, url: str | None = None, consent_url: str | None = None
) -> str:
    return pages.render(
        "receipts/receipt.html", lang=lang, **context(document, lang, url=url, consent_url=consent_url)
    )


def text(
    document: ReceiptDocument, lang: str, *, url: str | None = None, consent_url: str | None = None
) -> str:
    return pages.render(
        "receipts/receipt.txt", lang=lang, **context(document, lang, url=url, consent_url=consent_url)
    )


def subject(document: ReceiptDocument, lang: str) -> str:
    t = translations(PACKAGE, lang)
    return t.gettext("Your receipt %(number)s from %(store)s") % {
        "number": document.number,
        "store": document.store.name,
    }


def _pdf_text(value: str) -> str:
    # The PDF's standard fonts have no narrow no-break space (French thousands): use a no-break space.
    return escape(value.replace("\u202f", "\u00a0"))


def pdf(document: ReceiptDocument, lang: str) -> bytes:
    """An A4 PDF of the receipt (uncompressed and reproducible, so the same receipt gives the same bytes)."""
    # Imported here: the PDF library is only needed when a receipt is rendered, not to start a process.
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _ = translations(PACKAGE, lang).gettext
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Receipt %(number)s") % {"number": document.number},
        author=document.store.name,
        invariant=1,
        pageCompression=0,
    )
    story = _pdf_heading(document, lang, styles)
    story += [_pdf_lines(document, lang, styles), Spacer(1, 5 * mm)]
    story += [Paragraph(_("VAT breakdown"), styles["Heading3"]), _pdf_vat(document, lang), Spacer(1, 5 * mm)]
    story += _pdf_payments(document, lang, styles)
    story += [Spacer(1, 6 * mm), Paragraph(_pdf_text(_("Thank you for your visit.")), styles["Italic"])]
    doc.build(story)
    return buffer.getvalue()


def _pdf_money(amount: Decimal | str, document: ReceiptDocument, lang: str) -> str:
    return _pdf_text(format_money(Decimal(amount), document.currency, lang))


def _pdf_heading(document: ReceiptDocument, lang: str, styles: Any) -> list[Any]:
    """The store (name, address, phone), the receipt's number and the date of the sale."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    _ = translations(PACKAGE, lang).gettext
    story: list[Any] = [
        Paragraph(_pdf_text(document.store.name), styles["Title"]),
        Paragraph("<br/>".join(_pdf_text(x) for x in document.store.address_lines), styles["Normal"]),
    ]
    if document.store.phone:
        story.append(Paragraph(_pdf_text(document.store.phone), styles["Normal"]))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(_pdf_text(_("Receipt %(number)s") % {"number": document.number}), styles["Heading2"]),
        Paragraph(
            _pdf_text(format_when(document.sold_at, lang, "medium", document.store.timezone)),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    return story


def _pdf_lines(document: ReceiptDocument, lang: str, styles: Any) -> Any:
    """The table of the receipt's lines and its total."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    _ = translations(PACKAGE, lang).gettext
    rows: list[list[Any]] = [[_("Item"), _("Qty"), _("Unit price"), _("Discount"), _("Total")]]
    for line in document.lines:
        rows.append(
            [
                Paragraph(
                    _pdf_text(line_label(line, lang)) + f"<br/><font size=7>{escape(line.sku)}</font>",
                    styles["Normal"],
                ),
                str(line.quantity),
                _pdf_money(line.unit_price, document, lang),
                _pdf_money(-line.discount, document, lang) if line.discount else "",
                _pdf_money(line.total, document, lang),
            ]
        )
    rows.append(["", "", "", _("Total"), _pdf_money(document.total, document, lang)])
    table = Table(rows, colWidths=[78 * mm, 14 * mm, 28 * mm, 26 * mm, 28 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _pdf_vat(document: ReceiptDocument, lang: str) -> Any:
    """The VAT breakdown table: base, VAT and total per rate."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    _ = translations(PACKAGE, lang).gettext
    vat_rows: list[list[Any]] = [[_("VAT rate"), _("Excl. VAT"), _("VAT"), _("Incl. VAT")]]
    for row in document.vat:
        vat_rows.append(
            [
                _pdf_text(percent(Decimal(row.rate), lang)),
                _pdf_money(row.base, document, lang),
                _pdf_money(row.vat, document, lang),
                _pdf_money(row.total, document, lang),
            ]
        )
    vat = Table(vat_rows, colWidths=[30 * mm, 34 * mm, 30 * mm, 34 * mm])
    vat.setStyle(
        TableStyle([("ALIGN", (0, 0), (-1, -1), "RIGHT"), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")])
    )
    return vat


def _pdf_payments(document: ReceiptDocument, lang: str, styles: Any) -> list[Any]:
    """The payments by method, then the loyalty points earned and the balance if the customer has any."""
    from reportlab.platypus import Paragraph

    _ = translations(PACKAGE, lang).gettext
    story: list[Any] = [Paragraph(_("Payments"), styles["Heading3"])]
    for payment in document.payments:
        story.append(
            Paragraph(
                f"{_pdf_text(_(METHODS.get(payment.method, payment.method)))}: "
                f"{_pdf_money(payment.amount, document, lang)}",
                styles["Normal"],
            )
        )
    if document.loyalty is not None:
        story.append(Paragraph(_("Loyalty"), styles["Heading3"]))
        if document.loyalty.points_earned is not None:
            story.append(
                Paragraph(
                    _pdf_text(_("Points earned: %(points)s") % {"points": document.loyalty.points_earned}),
                    styles["Normal"],
                )
            )
        if document.loyalty.balance is not None:
            story.append(
                Paragraph(
                    _pdf_text(_("Points balance: %(points)s") % {"points": document.loyalty.balance}),
                    styles["Normal"],
                )
            )
    return story


def mail_view(document: ReceiptDocument, lang: str) -> dict[str, Any]:
    """The receipt as printed, in ``lang``, for its e-mail: the lines named in that language, the VAT rates,
    the payment methods and the loyalty lines in the receipt's words (the PDF's and the page's)."""
    _ = translations(PACKAGE, lang).gettext
    loyalty = []
    if document.loyalty is not None and document.loyalty.points_earned is not None:
        loyalty.append(
            _("Points earned: %(points)s") % {"points": format_number(document.loyalty.points_earned, lang)}
        )
    if document.loyalty is not None and document.loyalty.balance is not None:
        loyalty.append(
            _("Points balance: %(points)s") % {"points": format_number(document.loyalty.balance, lang)}
        )
    return {
        "lines": [
            ReceiptMailLine(
                label=line_label(line, lang),
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                total=line.total,
            )
            for line in document.lines
        ],
        "vat": [
            ReceiptMailVat(rate=percent(Decimal(row.rate), lang), base=row.base, vat=row.vat, total=row.total)
            for row in document.vat
        ],
        "payments": [
            ReceiptMailPayment(label=_(METHODS.get(p.method, p.method)), amount=p.amount)
            for p in document.payments
        ],
        "loyalty": loyalty,
    }

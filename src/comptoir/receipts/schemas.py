"""receipts: pydantic types in and out — with service.py and events.py, the public interface.

A receipt is built once from a store sale (``orders.store_sale_completed`` or a call from the till):
the store's details, the lines, the VAT breakdown, the payments and the loyalty points. It is kept as
that document, reachable at a signed link (HTML and PDF) and sent by e-mail when the till asked for it
or the customer consented to e-receipts.
"""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, EmailStr, Field

from comptoir.core.money import DecimalStr, Percent
from comptoir.core.types import Schema

ReceiptLocale = Literal["fr", "en"]
SendStatus = Literal["pending", "sent", "failed", "not_sent"]


class IssueReceiptIn(Schema):
    """From the till: make (or find) the receipt of a sale and e-mail it."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64)
    email: EmailStr | None = Field(default=None, description="Typed at the till; sends this receipt")
    locale: ReceiptLocale | None = Field(default=None, description="Default: the customer's or the store's")
    ask_consent: bool = Field(default=True, description="Ask in the e-mail for e-receipts from now on")


class SendReceiptIn(Schema):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr | None = Field(default=None, description="Default: the receipt's e-mail")
    locale: ReceiptLocale | None = None


class StoreDetails(Schema):
    place_id: str
    name: str
    address_lines: list[str]
    phone: str | None = None
    email: str | None = None
    legal: str | None = Field(default=None, description="Company id, VAT number… when the store has them")
    timezone: str = "Europe/Paris"


class ReceiptLine(Schema):
    line_id: str
    sku: str
    label: str
    labels: dict[str, str] = Field(default_factory=dict, description="The product's name per language")
    quantity: int
    unit_price: DecimalStr
    discount: DecimalStr
    total: DecimalStr
    vat_rate: Percent


class VatLine(Schema):
    rate: Percent
    base: DecimalStr = Field(description="Amount excluding VAT")
    vat: DecimalStr
    total: DecimalStr = Field(description="Amount including VAT")


class ReceiptPayment(Schema):
    method: str
    amount: DecimalStr
    reference: str | None = Field(default=None, description="e.g. the gift card or the card's last digits")


class ReceiptLoyalty(Schema):
    points_earned: int | None = None
    balance: int | None = None
    tier: str | None = None


class ReceiptDocument(Schema):
    """Everything printed on the receipt, frozen at issue (a later price change does not alter it)."""

    number: str
    order_id: str
    order_number: str
    sold_at: datetime
    currency: str
    store: StoreDetails
    lines: list[ReceiptLine]
    vat: list[VatLine]
    subtotal: DecimalStr
    discount_total: DecimalStr
    total: DecimalStr
    payments: list[ReceiptPayment]
    loyalty: ReceiptLoyalty | None = None
    seller_id: str | None = None


class ReceiptOut(Schema):
    id: str
    number: str
    order_id: str
    place_id: str
    customer_id: str | None
    email: str | None
    locale: ReceiptLocale
    send_status: SendStatus
    sent_at: datetime | None
    url: str = Field(description="Signed link to the receipt (HTML); add .pdf for the PDF")
    pdf_url: str
    document: ReceiptDocument
    created_at: datetime


class ReceiptMailLine(Schema):
    label: str = Field(description="The product's name in the e-mail's language")
    sku: str
    quantity: int
    unit_price: DecimalStr
    discount: DecimalStr
    total: DecimalStr


class ReceiptMailVat(Schema):
    rate: str = Field(description="The rate as the receipt prints it in the language, e.g. 20 %")
    base: DecimalStr
    vat: DecimalStr
    total: DecimalStr


class ReceiptMailPayment(Schema):
    label: str = Field(description="The method as the receipt prints it in the language")
    amount: DecimalStr


class ReceiptMail(Schema):
    """What a receipt's e-mail shows, in its language: the document as printed (the lines, the VAT, the
    payments, the loyalty lines), its signed links, and the link asking for e-receipts from now on when
    the receipt asks it."""

    receipt_id: str
    number: str
    language: ReceiptLocale
    store_name: str
    store_address: list[str]
    store_phone: str | None
    timezone: str
    sold_at: datetime
    currency: str
    lines: list[ReceiptMailLine]
    vat: list[ReceiptMailVat]
    subtotal: DecimalStr
    discount_total: DecimalStr
    total: DecimalStr
    payments: list[ReceiptMailPayment]
    loyalty: list[str] = Field(description="The loyalty lines as printed: points earned, balance")
    url: str = Field(description="The signed link to the receipt (HTML)")
    pdf_url: str
    pdf_name: str = Field(description="The PDF attachment's file name")
    consent_url: str | None = Field(description="Asks for e-receipts from now on; none when not to ask")

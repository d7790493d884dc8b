"""pricing: tables (named ``pricing_*``).

Price lists and promotions are few and read on every cart: they are cached in each process and the
cache is checked against ``pricing_state.version`` (one cheap read per pricing), which every change of
a price list, promotion or coupon definition bumps — so several API processes stay correct. Prices are
many and are read per cart in one batched query. Counters that must hold under concurrency (coupon
uses, per-customer uses, promotion budgets) are changed only by guarded UPDATEs in ``locking.py``.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, Index, Integer, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned

Amount = Numeric(14, 4)


class PricingState(Base):
    """One row per cached set (``catalogue``): its version is bumped by every definition change."""

    __tablename__ = "pricing_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    # A fresh random number per change (not a counter): tests empty the tables, and a counter starting
    # again could meet a version some process still holds in its cache.
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)


class PriceList(Versioned, Provenance, Base):
    """Prices for a currency, restricted to channels, stores and customer groups (empty = all).

    Resolution picks, among the lists that apply, the most specific one (customer group, then store,
    then channel), then the highest priority, then the lowest price."""

    __tablename__ = "pricing_price_lists"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    channels: Mapped[list[Any]]  # ["web", "app", "store", "store:<id>", "call-centre", "live"]
    store_ids: Mapped[list[Any]]
    customer_groups: Mapped[list[Any]]  # customer segments
    priority: Mapped[int] = mapped_column(Integer, default=0)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sale: Mapped[bool] = mapped_column(Boolean, default=False)  # its prices are discounts (Omnibus)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Price(Base):
    """The current price of one SKU in one list (its past lives in ``pricing_price_history``)."""

    __tablename__ = "pricing_prices"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    price_list_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    compare_at: Mapped[Decimal | None] = mapped_column(Amount)
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # overrides the product's tax class
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PriceHistory(Base):
    """Every price a SKU had in a list, with the time it was in force (``effective_until`` NULL = now)."""

    __tablename__ = "pricing_price_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    price_list_id: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Amount)
    compare_at: Mapped[Decimal | None] = mapped_column(Amount)
    effective_from: Mapped[datetime]
    effective_until: Mapped[datetime | None]
    changed_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_pricing_price_history_sku_list", "sku", "price_list_id", "effective_from"),)


class SkuFacts(Base):
    """What pricing needs of a SKU from the catalogue (category path, tax class), kept from its events."""

    __tablename__ = "pricing_sku_facts"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), index=True)
    category_ids: Mapped[str] = mapped_column(Text, default="")  # "root/child/leaf"
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")


class CustomerFacts(Base):
    """What pricing targets of a customer: the loyalty tier (from ``loyalty.tier_changed``) and the
    segments (from ``customers.customer_updated``), kept so pricing never calls loyalty (which calls
    pricing for its vouchers). ``segments`` None: not copied yet (pricing asks the customers domain)."""

    __tablename__ = "pricing_customer_facts"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(40))
    segments: Mapped[list[Any] | None]
    updated_at: Mapped[datetime]


class Promotion(Versioned, Provenance, Base):
    __tablename__ = "pricing_promotions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200))  # what the customer reads on the receipt
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft | active | stopped
    currency: Mapped[str] = mapped_column(String(3))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer, default=0)
    stacking: Mapped[str] = mapped_column(String(12), default="stackable")
    channels: Mapped[list[Any]]
    segments: Mapped[list[Any]]
    tiers: Mapped[list[Any]]
    params: Mapped[dict[str, Any]]
    requires_coupon: Mapped[bool] = mapped_column(Boolean, default=False)
    budget: Mapped[Decimal | None] = mapped_column(Amount)
    budget_used: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    exhausted: Mapped[bool] = mapped_column(Boolean, default=False)
    started_announced: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_announced: Mapped[bool] = mapped_column(Boolean, default=False)


class Coupon(Base):
    __tablename__ = "pricing_coupons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    promotion_id: Mapped[str] = mapped_column(String(40), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)  # personal coupon
    label: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[Decimal | None] = mapped_column(Amount)  # vouchers: a fixed amount off
    currency: Mapped[str | None] = mapped_column(String(3))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_customer: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | disabled
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]


class CouponCustomerUse(Base):
    """How many times one customer used one coupon (guarded per-customer limit)."""

    __tablename__ = "pricing_coupon_customer_uses"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class Redemption(Base):
    """A promotion (and its coupon) used by a placed order: budget and uses consumed, until released."""

    __tablename__ = "pricing_redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    promotion_id: Mapped[str] = mapped_column(String(40), index=True)
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    committed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("order_id", "promotion_id"),)


def table(model: type[Base]) -> Table:
    """A model's Core table (typed), for the hot paths and guarded UPDATEs."""
    return cast(Table, model.__table__)

"""loyalty: pydantic types in and out — with service.py and events.py, the public interface.

Points are whole numbers. A ledger entry's ``points`` is signed: positive when the customer gains
points (earned, refunded redemption, adjustment up, merged in), negative when they lose them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from comptoir.core.money import DecimalStr, iso_currency
from comptoir.core.types import AwareDatetime, Schema

EntryKind = Literal["earn", "redeem", "refund", "expire", "reverse", "adjust", "merge_in", "merge_out"]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# -- operations other domains call --------------------------------------------------------------------------


class RedeemPointsIn(Schema):
    """Spend points (as a payment tender or for a reward). Idempotent by ``reference``."""

    customer_id: str = Field(min_length=1, max_length=40)
    points: int = Field(gt=0, le=10_000_000)
    reference: Reference = Field(description="Caller-chosen; replaying it returns the first entry")
    channel: str = Field(min_length=1, max_length=64, description="web, app, store:<id>, call-centre, live")
    order_id: str | None = Field(
        default=None, max_length=40, description="The order paid with the points: it earns none on that part"
    )


class LedgerEntryOut(Schema):
    id: str
    customer_id: str
    kind: EntryKind
    points: int = Field(description="Signed: positive credits, negative debits")
    balance_after: int
    reference: str | None
    order_id: str | None
    channel: str | None
    reason: str | None
    expires_at: datetime | None = Field(description="For earned points: when they expire")
    occurred_at: datetime


class ExpiringPointsOut(Schema):
    points: int
    expires_at: datetime


class LoyaltyAccountOut(Schema):
    customer_id: str
    programme: str = Field(description="The programme's name, e.g. Carte Comptoir")
    balance: int
    value: DecimalStr = Field(description="What the balance is worth when paying, in the programme currency")
    currency: str
    tier: str | None = Field(description="Tier code, e.g. privilege; null when the programme has no tiers")
    tier_name: str | None
    tier_since: datetime | None
    qualifying_points: int = Field(description="Points counted for the tier over the qualification window")
    next_tier: str | None
    points_to_next_tier: int | None
    lifetime_points: int
    expiring_soon: list[ExpiringPointsOut] = Field(
        description="Lots expiring in the next 90 days, soonest first"
    )
    history_url: str


# -- programme rules ---------------------------------------------------------------------------------------


class TierRule(Schema):
    code: Code
    name: Label
    threshold: int = Field(ge=0, description="Qualifying points over the window needed to reach the tier")
    multiplier: Decimal = Field(default=Decimal(1), ge=0, le=100)


class CategoryMultiplier(Schema):
    category_id: str = Field(min_length=1, max_length=40)
    multiplier: Decimal = Field(ge=0, le=100)


class OperationRule(Schema):
    """A time-limited multiplier (``double points week``), optionally only for some channels or tiers."""

    code: Code
    label: Label
    multiplier: Decimal = Field(gt=0, le=100)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    channels: list[str] = Field(default_factory=list, description="Empty: every channel")
    tiers: list[str] = Field(default_factory=list, description="Empty: every tier")
    category_ids: list[str] = Field(default_factory=list, description="Empty: every category")

    @model_validator(mode="after")
    def _period(self) -> OperationRule:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("give starts_at and ends_at with a time zone")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class RewardRule(Schema):
    """A voucher in the rewards catalogue: ``points`` buy a personal coupon of ``amount``."""

    code: Code
    label: Label
    points: int = Field(gt=0)
    amount: DecimalStr = Field(gt=0)
    valid_days: int = Field(default=90, gt=0, le=3660)
    active: bool = True


class BirthdayGift(Schema):
    """A voucher each customer receives for their birthday, once a year (e.g. 10 € for 30 days)."""

    label: Label
    amount: DecimalStr = Field(gt=0)
    valid_days: int = Field(default=30, gt=0, le=366)


class ProgrammeRules(Schema):
    """The loyalty programme. One programme per installation, in one currency."""

    name: Label = "Carte Comptoir"
    currency: str = "EUR"
    points_per_unit: DecimalStr = Field(
        default=Decimal(1), ge=0, le=1000, description="Points earned per unit of currency paid"
    )
    point_value: DecimalStr = Field(
        default=Decimal("0.02"), gt=0, le=1000, description="What one point is worth when paying"
    )
    min_redemption: int = Field(default=1, ge=1, description="Fewest points accepted in one redemption")
    expiry_months: int | None = Field(default=24, ge=1, le=240, description="Null: points never expire")
    qualification_months: int = Field(default=12, ge=1, le=60)
    tiers: list[TierRule] = Field(default_factory=list, description="Sorted by threshold, first at 0")
    category_multipliers: list[CategoryMultiplier] = Field(default_factory=list)
    operations: list[OperationRule] = Field(default_factory=list)
    rewards: list[RewardRule] = Field(default_factory=list)
    birthday_gift: BirthdayGift | None = Field(
        default=None, description="A voucher for each customer's birthday (none: no gift)"
    )

    _currency = field_validator("currency")(iso_currency)

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, tiers: list[TierRule]) -> list[TierRule]:
        if not tiers:
            return tiers
        ordered = sorted(tiers, key=lambda t: t.threshold)
        if ordered[0].threshold != 0:
            raise ValueError("the first tier must start at 0 qualifying points")
        if len({t.code for t in tiers}) != len(tiers):
            raise ValueError("tier codes must be unique")
        if len({t.threshold for t in tiers}) != len(tiers):
            raise ValueError("tier thresholds must be different")
        return ordered

    @field_validator("rewards")
    @classmethod
    def _rewards(cls, rewards: list[RewardRule]) -> list[RewardRule]:
        if len({r.code for r in rewards}) != len(rewards):
            raise ValueError("reward codes must be unique")
        return rewards

    @field_validator("operations")
    @classmethod
    def _operations(cls, operations: list[OperationRule]) -> list[OperationRule]:
        if len({o.code for o in operations}) != len(operations):
            raise ValueError("operation codes must be unique")
        return operations


class ProgrammeOut(ProgrammeRules):
    version: int
    updated_at: datetime | None


# -- API bodies --------------------------------------------------------------------------------------------


class RedeemIn(Schema):
    """``POST /v1/loyalty/accounts/{customer_id}/redemptions``: the channel is the caller's."""

    points: int = Field(gt=0, le=10_000_000)
    reference: Reference


class AdjustmentIn(Schema):
    """A staff correction (goodwill gesture, mistake); the reason is kept in the ledger."""

    points: int = Field(description="Signed: positive adds, negative removes", ge=-10_000_000, le=10_000_000)
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]
    reference: Reference | None = None

    @field_validator("points")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        return value


class RewardExchangeIn(Schema):
    reward: Code
    reference: Reference


class RewardOut(Schema):
    code: str
    label: str
    points: int
    amount: DecimalStr
    currency: str
    valid_days: int


class RewardExchangeOut(Schema):
    entry: LedgerEntryOut
    reward: RewardOut
    coupon_code: str = Field(description="The personal single-use coupon to give at checkout, on any channel")
    promotion_id: str | None
    valid_until: datetime | None


class ExpiryRunOut(Schema):
    accounts: int
    points: int


__all__ = [
    "AdjustmentIn",
    "CategoryMultiplier",
    "EntryKind",
    "ExpiringPointsOut",
    "ExpiryRunOut",
    "LedgerEntryOut",
    "LoyaltyAccountOut",
    "OperationRule",
    "ProgrammeOut",
    "ProgrammeRules",
    "RedeemIn",
    "RedeemPointsIn",
    "RewardExchangeIn",
    "RewardExchangeOut",
    "RewardOut",
    "RewardRule",
    "TierRule",
]

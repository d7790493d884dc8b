"""loyalty: the domain's operations (its public interface with schemas.py and events.py).

Every function takes a unit of work, never commits, and returns schemas. The work is done in the
modules named below; this module is the loyalty domain's public surface, in one place:

* ``programme`` — the programme's rules and the rewards catalogue;
* ``ledger`` — the one place that locks points (the account row) and writes balance, lots and entries;
* ``spending`` — redemptions, rewards exchanged for vouchers, refunds of redemptions, staff adjustments;
* ``earning`` — points earned by a paid order and taken back on cancellation or refund;
* ``merges`` — accounts merged and unmerged with their customers;
* ``periodic`` — expiry and the yearly tier review;
* ``gifts`` — the birthday voucher;
* ``reads`` — account, tier, history and the 360° section.
"""

from __future__ import annotations

from comptoir.loyalty.earning import earn_for_order, reverse_for_order
from comptoir.loyalty.gifts import birthday_gift
from comptoir.loyalty.ledger import InsufficientPoints, ReferenceReused
from comptoir.loyalty.merges import merge_accounts, unmerge_accounts
from comptoir.loyalty.periodic import expire_points, review_tiers
from comptoir.loyalty.programme import (
    PROGRAMME_ID,
    RewardUnavailable,
    get_programme,
    get_reward,
    programme_rules,
    rewards,
    set_programme,
)
from comptoir.loyalty.reads import (
    MAX_HISTORY_PAGE,
    account,
    customer_section,
    history,
    resolve_customer,
    tier_of,
    tiers_of,
)
from comptoir.loyalty.spending import (
    adjust,
    exchange_reward,
    points_for_amount,
    points_value,
    redeem_points,
    refund_points,
)

__all__ = [
    "MAX_HISTORY_PAGE",
    "PROGRAMME_ID",
    "InsufficientPoints",
    "ReferenceReused",
    "RewardUnavailable",
    "account",
    "adjust",
    "birthday_gift",
    "customer_section",
    "earn_for_order",
    "exchange_reward",
    "expire_points",
    "get_programme",
    "get_reward",
    "history",
    "merge_accounts",
    "points_for_amount",
    "points_value",
    "programme_rules",
    "redeem_points",
    "refund_points",
    "resolve_customer",
    "reverse_for_order",
    "review_tiers",
    "rewards",
    "set_programme",
    "tier_of",
    "tiers_of",
    "unmerge_accounts",
]

# Read for the back office (appended).
from comptoir.loyalty.reporting import TierStats, members_by_tier

__all__ += ["TierStats", "members_by_tier"]

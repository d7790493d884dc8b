"""engagement: the message templates of the customer's life — welcome (and, a week later, what the brand
offers), a new loyalty tier, birthday, and the e-receipt (:mod:`comptoir.engagement.mail_receipts`) —
each a :class:`~.mail_types.Family`.

Their facts are read when the message is sent (:mod:`comptoir.engagement.facts_customers`): the loyalty
programme and the customer's account as they are then, the birthday voucher's coupon, the receipt. Amounts
are formatted by locale (a whole amount without its cents: « 10 € », "€10"), dates in the customer's time
zone. :func:`sample` is the preview's: Claire, a customer of Maison Lumière, a lighting shop in the Marais.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale
from comptoir.engagement import mail_receipts
from comptoir.engagement.mail_types import DAY, Copy, Family, MessageContext

# -- the facts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    """The loyalty programme as a welcome presents it, with the customer's account."""

    name: str  # "Carte Comptoir"
    points_per_unit: Decimal  # points earned per unit of the currency spent
    currency: str  # ISO 4217
    tier_name: str | None  # the customer's tier
    balance: int
    reward_points: int | None = None  # the first reward of the catalogue: these points…
    reward_amount: Decimal | None = None  # …buy a voucher of this amount
    birthday_amount: Decimal | None = None  # the birthday voucher, when the programme gives one


@dataclass(frozen=True)
class Links:
    """Where the brand's messages send the customer (absolute)."""

    shop_url: str
    account_url: str
    appointments_url: str
    loyalty_url: str

    @property
    def all(self) -> list[str | None]:
        return [self.shop_url, self.account_url, self.appointments_url, self.loyalty_url]


@dataclass(frozen=True)
class WelcomeFacts:
    links: Links
    programme: Programme | None  # None: no loyalty programme set up


@dataclass(frozen=True)
class TierFacts:
    links: Links
    programme: str  # the programme's name
    tier_name: str
    multiplier: Decimal  # the tier's points multiplier (1: none)
    balance: int
    next_tier_name: str | None
    points_to_next: int | None
    currency: str
    offers: tuple[str, ...] = ()  # the running promotions reserved for the tier, as customers read them


@dataclass(frozen=True)
class Voucher:
    code: str
    label: str
    amount: Decimal
    currency: str
    valid_until: datetime | None  # aware


@dataclass(frozen=True)
class BirthdayFacts:
    links: Links
    timezone: str  # the customer's: the voucher's last day is theirs
    voucher: Voucher | None = None


def whole_money(amount: Decimal, currency: str, lang: str) -> str:
    """An amount by locale, without its cents when it has none: « 10 € », "€10"; « 12,50 € »."""
    locale = babel_locale(lang)
    if amount != amount.to_integral_value():
        return str(format_currency(amount, currency, locale=locale))
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    return str(format_currency(amount, currency, locale=locale, format=pattern, currency_digits=False))


def _day(moment: datetime, zone: str, lang: str) -> str:
    return str(format_date(moment.astimezone(ZoneInfo(zone)).date(), DAY, locale=babel_locale(lang)))


# -- checks and values --------------------------------------------------------------------------------------

_KINDS: dict[str, type] = {
    "welcome": WelcomeFacts,
    "welcome_discover": WelcomeFacts,
    "new_tier": TierFacts,
    "birthday": BirthdayFacts,
}


def _check(template: str, facts: Any) -> None:
    expected = _KINDS[template]
    if not isinstance(facts, expected):
        raise ValueError(f"{template} needs its facts ({expected.__name__}), not {type(facts).__name__}")


def _links(facts: Any) -> list[str | None]:
    return facts.links.all if hasattr(facts, "links") else []


def _programme_values(t: NullTranslations, p: Programme, lang: str) -> dict[str, Any]:
    points = format_decimal(p.points_per_unit, locale=babel_locale(lang))
    unit = whole_money(Decimal(1), p.currency, lang)
    earn = t.ngettext(
        "%(points)s point for every %(unit)s spent",
        "%(points)s points for every %(unit)s spent",
        int(p.points_per_unit) if p.points_per_unit == p.points_per_unit.to_integral_value() else 2,
    ) % {"points": points, "unit": unit}
    reward = ""
    if p.reward_points is not None and p.reward_amount is not None:
        reward = t.gettext("%(points)s points give you a %(amount)s voucher.") % {
            "points": format_decimal(p.reward_points, locale=babel_locale(lang)),
            "amount": whole_money(p.reward_amount, p.currency, lang),
        }
    birthday = ""
    if p.birthday_amount is not None:
        birthday = t.gettext("a %(amount)s gift on your birthday") % {
            "amount": whole_money(p.birthday_amount, p.currency, lang)
        }
    return {
        "name": p.name,
        "earn": earn,
        "reward": reward,
        "birthday": birthday,
        "tier": p.tier_name or "",
        "balance": t.ngettext("%(n)s point", "%(n)s points", p.balance)
        % {"n": format_decimal(p.balance, locale=babel_locale(lang))},
    }


def _welcome_values(t: NullTranslations, facts: WelcomeFacts, lang: str) -> dict[str, Any]:
    return {
        **vars(facts.links),
        "programme": _programme_values(t, facts.programme, lang) if facts.programme else None,
    }


def _tier_values(t: NullTranslations, facts: TierFacts, lang: str) -> dict[str, Any]:
    locale = babel_locale(lang)
    multiplier = ""
    if facts.multiplier > 1:
        multiplier = t.gettext("Your points now count ×%(multiplier)s on every purchase.") % {
            "multiplier": format_decimal(facts.multiplier, locale=locale)
        }
    next_tier = ""
    if facts.next_tier_name and facts.points_to_next:
        next_tier = t.ngettext(
            "%(n)s more point and you reach %(tier)s.",
            "%(n)s more points and you reach %(tier)s.",
            facts.points_to_next,
        ) % {"n": format_decimal(facts.points_to_next, locale=locale), "tier": facts.next_tier_name}
    return {
        **vars(facts.links),
        "programme": facts.programme,
        "tier": facts.tier_name,
        "multiplier": multiplier,
        "balance": t.ngettext("%(n)s point", "%(n)s points", facts.balance)
        % {"n": format_decimal(facts.balance, locale=locale)},
        "next_tier": next_tier,
        "offers": list(facts.offers),
    }


def _birthday_values(t: NullTranslations, facts: BirthdayFacts, lang: str) -> dict[str, Any]:
    voucher = None
    if facts.voucher is not None:
        v = facts.voucher
        voucher = {
            "code": v.code,
            "label": v.label,
            "amount": whole_money(v.amount, v.currency, lang),
            "until": _day(v.valid_until, facts.timezone, lang) if v.valid_until else "",
        }
    return {**vars(facts.links), "voucher": voucher}


def _values(t: NullTranslations, facts: Any, lang: str) -> dict[str, Any]:
    if isinstance(facts, WelcomeFacts):
        return _welcome_values(t, facts, lang)
    if isinstance(facts, TierFacts):
        return _tier_values(t, facts, lang)
    return _birthday_values(t, facts, lang)


# -- each message's subject, preheader, SMS and push texts --------------------------------------------------


def _welcome(t: NullTranslations, v: dict[str, Any]) -> Copy:
    w, name, brand = v["welcome"], v["first_name"], v["brand"]
    subject = (
        t.gettext("Welcome to %(brand)s, %(name)s") % {"brand": brand, "name": name}
        if name
        else t.gettext("Welcome to %(brand)s") % {"brand": brand}
    )
    return Copy(
        subject=subject,
        preheader=t.gettext("Your account is ready: here is what it brings you."),
        sms=t.gettext("%(brand)s: welcome! Your account is ready: %(url)s")
        % {"brand": brand, "url": w["account_url"]},
        push_title=t.gettext("Welcome to %(brand)s") % {"brand": brand},
        push_body=t.gettext("Your account is ready: here is what it brings you."),
    )


def _discover(t: NullTranslations, v: dict[str, Any]) -> Copy:
    w, brand = v["welcome"], v["brand"]
    return Copy(
        subject=t.gettext("Make the most of %(brand)s") % {"brand": brand},
        preheader=t.gettext("Advice in our shops, your loyalty card and what you hear from us."),
        sms=t.gettext("%(brand)s: book a moment with one of our advisors, in the shop: %(url)s")
        % {"brand": brand, "url": w["appointments_url"]},
        push_title=t.gettext("Make the most of %(brand)s") % {"brand": brand},
        push_body=t.gettext("Advice in our shops, your loyalty card and what you hear from us."),
    )


def _new_tier(t: NullTranslations, v: dict[str, Any]) -> Copy:
    tier = v["new_tier"]
    words = {
        "brand": v["brand"],
        "tier": tier["tier"],
        "programme": tier["programme"],
        "url": tier["loyalty_url"],
    }
    return Copy(
        subject=t.gettext("Congratulations, you reach %(tier)s!") % words,
        preheader=t.gettext("Your new %(programme)s benefits, as a %(tier)s member.") % words,
        sms=t.gettext("%(brand)s: congratulations, you reach %(tier)s! Your new benefits: %(url)s") % words,
        push_title=t.gettext("Congratulations, you reach %(tier)s!") % words,
        push_body=t.gettext("Discover your new %(programme)s benefits.") % words,
    )


def _birthday(t: NullTranslations, v: dict[str, Any]) -> Copy:
    b, name, brand = v["birthday"], v["first_name"], v["brand"]
    subject = (
        t.gettext("Happy birthday, %(name)s!") % {"name": name} if name else t.gettext("Happy birthday!")
    )
    voucher = b["voucher"]
    if voucher:
        gift = t.gettext("A %(amount)s gift for you, until %(until)s.") % voucher
        sms = t.gettext("%(brand)s: happy birthday! A %(amount)s gift for you with the code %(code)s.") % (
            {"brand": brand} | voucher
        )
    else:
        gift = t.gettext("The whole %(brand)s team wishes you a wonderful day.") % {"brand": brand}
        sms = t.gettext("%(brand)s: happy birthday! The whole team wishes you a wonderful day.") % {
            "brand": brand
        }
    return Copy(subject=subject, preheader=gift, sms=sms, push_title=subject, push_body=gift)


# -- the preview's samples ----------------------------------------------------------------------------------

_SITE = "https://www.maison-lumiere.fr"
SAMPLE_LINKS = Links(
    shop_url=f"{_SITE}/shop",
    account_url=f"{_SITE}/shop/account",
    appointments_url=f"{_SITE}/shop/appointments",
    loyalty_url=f"{_SITE}/shop/account/loyalty",
)


def sample_context(purpose: str, key: str, facts: Any) -> MessageContext:
    """Claire's context at Maison Lumière, with ``facts`` under ``key``."""
    return MessageContext(
        brand="Maison Lumière",
        first_name="Claire",
        purpose=purpose,
        unsubscribe_url=None
        if purpose == "transactional"
        else f"{_SITE}/pages/engagement/unsubscribe/q8Zr4LmT2x",
        preferences_url=f"{_SITE}/shop/account/preferences",
        extra={key: facts},
    )


def _programme_sample() -> Programme:
    return Programme(
        name="Carte Lumière",
        points_per_unit=Decimal(1),
        currency="EUR",
        tier_name="Essentielle",
        balance=0,
        reward_points=500,
        reward_amount=Decimal(10),
        birthday_amount=Decimal(10),
    )


def _sample(template: str, lang: str) -> MessageContext:
    """Claire joined Maison Lumière's Carte Lumière; she reaches its Lumière tier; her birthday's gift, a
    10 € voucher until Friday 9 April 2027 (Paris time)."""
    if template == "new_tier":
        offers = ("−15 % sur les suspensions",) if lang == "fr" else ("15% off pendant lights",)
        facts: Any = TierFacts(
            links=SAMPLE_LINKS,
            programme="Carte Lumière",
            tier_name="Lumière",
            multiplier=Decimal("1.25"),
            balance=1040,
            next_tier_name="Éclat",
            points_to_next=1960,
            currency="EUR",
            offers=offers,
        )
        return sample_context("marketing", "new_tier", facts)
    if template == "birthday":
        voucher = Voucher(
            code="V-7KQ2M9TX4B",
            label="Cadeau d'anniversaire" if lang == "fr" else "Birthday gift",
            amount=Decimal(10),
            currency="EUR",
            valid_until=datetime(2027, 4, 9, 21, 59, tzinfo=UTC),
        )
        facts = BirthdayFacts(links=SAMPLE_LINKS, timezone="Europe/Paris", voucher=voucher)
        return sample_context("marketing", "birthday", facts)
    return sample_context("marketing", "welcome", WelcomeFacts(SAMPLE_LINKS, _programme_sample()))


FAMILIES: tuple[Family, ...] = (
    Family(
        key="welcome",
        copies={"welcome": _welcome, "welcome_discover": _discover},
        check=_check,
        values=_values,
        sample=_sample,
        links=_links,
    ),
    Family(
        key="new_tier",
        copies={"new_tier": _new_tier},
        check=_check,
        values=_values,
        sample=_sample,
        links=_links,
    ),
    Family(
        key="birthday",
        copies={"birthday": _birthday},
        check=_check,
        values=_values,
        sample=_sample,
        links=_links,
    ),
    *mail_receipts.FAMILIES,
)

"""engagement: the journeys' messages for every channel — e-mail (HTML and plain text), SMS and push — in
French or English, from one :class:`MessageContext`: an appointment's, and an order's
(:mod:`comptoir.engagement.rendering_orders` formats its facts).

Each message is a pair of templates under ``templates/engagement/mail/`` (``<name>.html`` on the e-mail
layout, ``<name>.txt`` with every link written out); its subject, preheader, SMS and push texts are written
here. Times are shown in the place's time zone, dates and prices formatted by locale (Babel). The HTML's
CSS is inlined (:mod:`css_inline`), only the media queries stay in a ``<style>``; it loads nothing but the
products' images. Every purpose but ``transactional`` is commercial: the e-mail's footer carries the
unsubscribe link (one without it is refused) and the SMS the opt-out mention. A discounted product shows
its reference price (the Omnibus rule) struck through and the discount on it, rounded down so that it is
never overstated. SMS texts travel in GSM-7 when they can (160 characters an SMS instead of 70): plain
spaces, quotes and dashes, and letters outside the GSM alphabet (ê, ç, œ …) without their accent when
that makes the whole text fit it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
from babel.dates import format_date, format_time
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale, language_of, translations
from comptoir.core.messaging import GSM7_BASIC, GSM7_EXTENSION
from comptoir.core.web import Pages
from comptoir.engagement import mail_carts, mail_customers, mail_launches, mail_live, mail_surveys
from comptoir.engagement.mail_types import DAY, PRODUCT_KINDS, TRANSACTIONAL, Copy, Family, offer
from comptoir.engagement.mail_types import AppointmentFacts as AppointmentFacts  # re-exported
from comptoir.engagement.mail_types import MessageContext as MessageContext
from comptoir.engagement.mail_types import ProductBlock as ProductBlock
from comptoir.engagement.mail_types import Rendered as Rendered
from comptoir.engagement.rendering_orders import ORDER_TEMPLATES, check_order, order_values, sample_order
from comptoir.engagement.rendering_orders import OrderFacts as OrderFacts  # re-exported for the sender
from comptoir.engagement.rendering_orders import OrderLine as OrderLine

APPOINTMENT_TEMPLATES: tuple[str, ...] = (
    "appointment_confirmation",
    "appointment_reminder",
    "appointment_report",
    "appointment_follow_up",
)
# The template families of other modules (see :class:`~.mail_types.Family`), by template.
_FAMILY_LIST: tuple[Family, ...] = (
    mail_surveys.FAMILIES
    + mail_customers.FAMILIES
    + mail_carts.FAMILIES
    + mail_launches.FAMILIES
    + mail_live.FAMILIES
)
FAMILIES: dict[str, Family] = {template: f for f in _FAMILY_LIST for template in f.templates}
TEMPLATES: tuple[str, ...] = APPOINTMENT_TEMPLATES + ORDER_TEMPLATES + tuple(FAMILIES)
_PACKAGE = __package__ or "comptoir.engagement"
_pages = Pages(_PACKAGE)
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_SMS_PLAIN = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}
    | {"…": "...", "œ": "oe", "Œ": "OE"}
)


class UnknownTemplate(KeyError, ValueError):
    """No message template has this name (a ``KeyError`` and a ``ValueError``, for either kind of caller)."""

    def __str__(self) -> str:
        return f"unknown message template {self.args[0]!r}: one of {', '.join(TEMPLATES)}"


# -- rendering ---------------------------------------------------------------------------------------------


def render(template: str, lang: str, context: MessageContext) -> Rendered:
    """The message ``template`` for ``context`` in ``lang`` (``fr`` or ``en``; any other language gets
    French). Raises :class:`UnknownTemplate` for a name not in :data:`TEMPLATES` and ``ValueError`` for a
    context it cannot be written from (no appointment or no order for its messages, a pickup message for a
    home delivery, a commercial message without unsubscribe link, a link that is not an http(s) address)."""
    if template not in TEMPLATES:
        raise UnknownTemplate(template)
    _check(template, context)
    lang = language_of(lang)
    t = translations(_PACKAGE, lang)
    values = _values(t, context, lang)
    family = FAMILIES.get(template)
    if family is not None:
        values[family.key] = family.values(t, context.extra[family.key], lang)
    copy = (family.copies if family else _COPIES)[template](t, values)
    values |= {"subject": copy.subject, "preheader": copy.preheader}
    html = _pages.render(f"engagement/mail/{template}.html", lang=lang, **values)
    text = _pages.render(f"engagement/mail/{template}.txt", lang=lang, **values)
    opt_out = t.gettext("Reply STOP to opt out")
    sms = f"{copy.sms} {opt_out}" if values["commercial"] else copy.sms
    return Rendered(
        subject=copy.subject,
        html=_inliner.inline(html),
        text=re.sub(r"\n{3,}", "\n\n", text).strip() + "\n",
        sms=_gsm_friendly(sms),
        push_title=copy.push_title,
        push_body=copy.push_body,
    )


def _check(template: str, context: MessageContext) -> None:
    family = FAMILIES.get(template)
    if family is not None:
        family.check(template, context.extra.get(family.key))
    elif template in ORDER_TEMPLATES:
        check_order(template, context.order)
    elif context.appointment is None:
        raise ValueError("the appointment messages need the appointment's facts")
    if context.purpose != TRANSACTIONAL and not context.unsubscribe_url:
        raise ValueError(f"a {context.purpose} message needs an unsubscribe link")
    a, order = context.appointment, context.order
    links = [context.preferences_url, context.unsubscribe_url]
    links += [a.invitation_url, a.manage_url] if a else []
    links += order.links if order else []
    links += family.links(context.extra.get(family.key)) if family else []
    for product in context.products:
        links += [product.url, product.image_url]
    for link in links:
        if link is not None and not link.startswith(("https://", "http://")):
            raise ValueError(f"{link!r} is not an absolute http(s) address")


def _values(t: NullTranslations, context: MessageContext, lang: str) -> dict[str, Any]:
    """What the templates and the texts are written from: the facts formatted for ``lang``."""
    first_name = (context.first_name or "").strip()
    hello = t.gettext("Hello %(name)s,") % {"name": first_name} if first_name else t.gettext("Hello,")
    a, order = context.appointment, context.order
    return {
        "brand": context.brand,
        "first_name": first_name,
        "greeting": hello,
        "commercial": context.purpose != TRANSACTIONAL,
        "unsubscribe_url": context.unsubscribe_url,
        "preferences_url": context.preferences_url,
        "appointment": _appointment(t, a, lang) if a else None,
        "order": order_values(t, order, lang) if order else None,
        "advisor_message": [line.strip() for line in context.advisor_message.splitlines() if line.strip()],
        "products": {
            kind: [offer(p, lang) for p in context.products if p.kind == kind] for kind in PRODUCT_KINDS
        },
    }


def _appointment(t: NullTranslations, a: AppointmentFacts, lang: str) -> dict[str, str]:
    local = a.starts_at.astimezone(ZoneInfo(a.timezone))
    locale = babel_locale(lang)
    day = str(format_date(local.date(), DAY, locale=locale))
    at = str(format_time(local, "short", locale=locale))
    return {
        "service": a.service_name,
        "place_name": a.place_name,
        "place_address": a.place_address,
        "place": ", ".join(part for part in (a.place_name, a.place_address) if part),
        "day": day,
        "time": at,
        "starts": t.gettext("%(date)s at %(time)s") % {"date": day, "time": at},
        "advisor": a.advisor_name.strip(),
        "invitation_url": a.invitation_url,
        "manage_url": a.manage_url,
    }


def _gsm_friendly(text: str) -> str:
    """``text`` for an SMS: plain spaces, quotes and dashes; accents outside the GSM-7 alphabet dropped
    when the whole text then fits it (an emoji, say, keeps the text in UCS-2, and its accents with it)."""
    plain = re.sub(r"\s*»", '"', re.sub(r"«\s*", '"', text)).translate(_SMS_PLAIN)
    if _is_gsm7(plain):
        return plain
    stripped = "".join(
        c if c in GSM7_BASIC else unicodedata.normalize("NFD", c)[0]
        for c in unicodedata.normalize("NFC", plain)
    )
    return stripped if _is_gsm7(stripped) else plain


def _is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


# -- each message's subject, preheader, SMS and push texts --------------------------------------------------


def _summary(t: NullTranslations, v: dict[str, Any]) -> str:
    a = v["appointment"]
    return t.gettext("%(service)s on %(when)s, %(place)s") % {
        "service": a["service"],
        "when": a["starts"],
        "place": a["place_name"],
    }


def _confirmation(t: NullTranslations, v: dict[str, Any]) -> Copy:
    a = v["appointment"]
    sms = t.gettext(
        "%(brand)s: your appointment on %(when)s is confirmed, %(place)s. Move or cancel: %(url)s"
    )
    return Copy(
        subject=t.gettext("Your appointment on %(date)s is confirmed") % {"date": a["day"]},
        preheader=t.gettext("We look forward to seeing you on %(when)s.") % {"when": a["starts"]},
        sms=sms % {"brand": v["brand"], "when": a["starts"], "place": a["place"], "url": a["manage_url"]},
        push_title=t.gettext("Your appointment is confirmed"),
        push_body=_summary(t, v),
    )


def _reminder(t: NullTranslations, v: dict[str, Any]) -> Copy:
    a = v["appointment"]
    sms = t.gettext(
        "%(brand)s: a reminder of your appointment on %(when)s, %(place)s. Move or cancel: %(url)s"
    )
    return Copy(
        subject=t.gettext("Reminder: your appointment on %(when)s") % {"when": a["starts"]},
        preheader=_summary(t, v),
        sms=sms % {"brand": v["brand"], "when": a["starts"], "place": a["place"], "url": a["manage_url"]},
        push_title=t.gettext("Your appointment is coming up"),
        push_body=_summary(t, v),
    )


def _report(t: NullTranslations, v: dict[str, Any]) -> Copy:
    advisor, products = v["appointment"]["advisor"], v["products"]
    lead = (products["recommended"] or products["shown"] or [None])[0]
    if lead is None:
        sms = t.gettext("%(brand)s: thank you for your visit, we hope to see you again soon!") % {
            "brand": v["brand"]
        }
    else:
        sms = t.gettext(
            "%(brand)s: thank you for your visit! We recommend %(product)s (%(price)s): %(url)s"
        ) % {
            "brand": v["brand"],
            "product": lead["name"],
            "price": lead["price"],
            "url": lead["url"],
        }
    if advisor:
        subject = t.gettext("Your selection from %(advisor)s") % {"advisor": advisor}
        body = t.gettext("%(advisor)s has gathered the products from your visit.") % {"advisor": advisor}
    else:
        subject = t.gettext("Your personal selection")
        body = t.gettext("The products from your visit, all in one place.")
    return Copy(
        subject=subject,
        preheader=t.gettext("Thank you for your visit: here are the products we talked about."),
        sms=sms,
        push_title=t.gettext("Your selection is ready"),
        push_body=body,
    )


def _follow_up(t: NullTranslations, v: dict[str, Any]) -> Copy:
    name = v["first_name"]
    subject = (
        t.gettext("%(name)s, how is everything going?") % {"name": name}
        if name
        else t.gettext("How is everything going?")
    )
    sms = t.gettext(
        "%(brand)s: a month after your visit, how is everything going? See our new arrivals and book again: %(url)s"
    )
    return Copy(
        subject=subject,
        preheader=t.gettext("A month after your visit, discover our new arrivals."),
        sms=sms % {"brand": v["brand"], "url": v["appointment"]["manage_url"]},
        push_title=t.gettext("How is everything going?"),
        push_body=t.gettext("Discover our new arrivals and book your next appointment."),
    )


def _order_confirmation(t: NullTranslations, v: dict[str, Any]) -> Copy:
    o = v["order"]
    sms = t.gettext("%(brand)s: thank you for your order %(number)s (%(total)s)! %(next)s Track it: %(url)s")
    return Copy(
        subject=t.gettext("Thank you for your order %(number)s") % o,
        preheader=o["next_step"],
        sms=sms % ({"brand": v["brand"], "next": o["next_step"]} | o),
        push_title=t.gettext("Thank you for your order"),
        push_body=t.gettext("Your order %(number)s (%(total)s) is confirmed.") % o,
    )


def _collect(t: NullTranslations, o: dict[str, Any]) -> str:
    if o["deadline"]:
        return t.gettext("Collect it at %(place_name)s until %(deadline)s.") % o
    return t.gettext("Collect it at %(place_name)s.") % o


def _ready(t: NullTranslations, v: dict[str, Any]) -> Copy:
    o = v["order"]
    if o["deadline"]:
        sms = t.gettext("%(brand)s: your order %(number)s is ready at %(place)s. Collect it by %(deadline)s.")
    else:
        sms = t.gettext("%(brand)s: your order %(number)s is ready at %(place)s.")
    if o["pay_at_pickup"]:
        sms += " " + t.gettext("To pay at the shop: %(total)s.")
    return Copy(
        subject=t.gettext("Your order %(number)s is ready") % o,
        preheader=_collect(t, o),
        sms=sms % ({"brand": v["brand"]} | o),
        push_title=t.gettext("Your order is ready"),
        push_body=_collect(t, o),
    )


def _pickup_reminder(t: NullTranslations, v: dict[str, Any]) -> Copy:
    o = v["order"]
    if o["deadline"]:
        sms = t.gettext(
            "%(brand)s: your order %(number)s is still waiting for you at %(place_name)s until %(deadline)s."
        )
    else:
        sms = t.gettext("%(brand)s: your order %(number)s is still waiting for you at %(place_name)s.")
    return Copy(
        subject=t.gettext("Reminder: your order %(number)s is waiting for you") % o,
        preheader=_collect(t, o),
        sms=sms % ({"brand": v["brand"]} | o),
        push_title=t.gettext("Your order is waiting for you"),
        push_body=_collect(t, o),
    )


def _not_collected(t: NullTranslations, v: dict[str, Any]) -> Copy:
    o = v["order"]
    sms = t.gettext(
        "%(brand)s: your order %(number)s was not collected in time and its items are back on the shelves. "
        "Order again: %(url)s"
    )
    return Copy(
        subject=t.gettext("Your order %(number)s was not collected") % o,
        preheader=t.gettext("Its items are back on the shelves. You can order them again online."),
        sms=sms % ({"brand": v["brand"]} | o),
        push_title=t.gettext("Your order was not collected"),
        push_body=t.gettext("Its items are back on the shelves. You can order them again online."),
    )


_COPIES: dict[str, Callable[[NullTranslations, dict[str, Any]], Copy]] = {
    "appointment_confirmation": _confirmation,
    "appointment_reminder": _reminder,
    "appointment_report": _report,
    "appointment_follow_up": _follow_up,
    "order_confirmation": _order_confirmation,
    "order_ready_for_pickup": _ready,
    "order_pickup_reminder": _pickup_reminder,
    "order_not_collected": _not_collected,
}


# -- the preview's sample ----------------------------------------------------------------------------------

_SITE = "https://www.maison-lumiere.fr"
_IMAGES = "https://images.maison-lumiere.fr/assets"


def sample_context(template: str, lang: str) -> MessageContext:
    """A realistic context for ``template``, for the preview: Claire, who met Camille for a lighting
    consultation at Maison Lumière's shop in the Marais, Paris, on Tuesday 9 March 2027 at 10:00, and
    ordered three lights to collect there in July (:func:`~.rendering_orders.sample_order`)."""
    if template not in TEMPLATES:
        raise UnknownTemplate(template)
    if template in FAMILIES:
        return FAMILIES[template].sample(template, lang)
    if template in ORDER_TEMPLATES:
        return MessageContext(
            brand="Maison Lumière",
            first_name="Claire",
            purpose=TRANSACTIONAL,
            unsubscribe_url=None,
            preferences_url=f"{_SITE}/preferences",
            order=sample_order(template),
        )
    english = language_of(lang) == "en"
    starts = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)
    transactional = template in ("appointment_confirmation", "appointment_reminder")
    return MessageContext(
        brand="Maison Lumière",
        first_name="Claire",
        purpose=TRANSACTIONAL if transactional else "marketing",
        unsubscribe_url=None if transactional else f"{_SITE}/preferences/desabonnement?jeton=q8Zr4LmT2x",
        preferences_url=f"{_SITE}/preferences",
        appointment=AppointmentFacts(
            service_name="Lighting consultation" if english else "Conseil en éclairage",
            place_name="Maison Lumière Marais",
            place_address="12 rue des Francs-Bourgeois, 75003 Paris",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            timezone="Europe/Paris",
            advisor_name="Camille",
            invitation_url=f"{_SITE}/rendez-vous/apt_01JQ7ZK4M2/invitation.ics?sig=5f1c9a2e",
            manage_url=f"{_SITE}/rendez-vous/apt_01JQ7ZK4M2",
        ),
        products=_sample_products(template, english),
        advisor_message=_SAMPLE_MESSAGE[english] if template == "appointment_report" else "",
    )


_SAMPLE_MESSAGE = (
    "Merci encore pour votre visite, Claire. Comme promis, voici les luminaires que nous avons essayés "
    "ensemble pour votre séjour.\nLa suspension Opaline est à prix réduit en ce moment\u00a0: n’hésitez pas "
    "si elle vous plaît toujours.",
    "Thank you again for your visit, Claire. As promised, here are the lights we tried together for your "
    "living room.\nThe Opaline pendant is on offer at the moment, if you still like it.",
)
_OPALINE = (
    "Son verre soufflé diffuse une lumière douce au-dessus de votre table.",
    "Its blown glass casts a soft light over your dining table.",
)
_ATELIER = ("Pour votre entrée, assortie à la suspension.", "For your hallway, to match the pendant.")
_NO_NOTE = ("", "")


def _sample_products(template: str, english: bool) -> tuple[ProductBlock, ...]:
    rows = {  # slug, name, price, reference price, kind, note (fr, en)
        "appointment_report": [
            ("suspension-opaline", "Suspension Opaline", "189.00", "239.00", "shown", _OPALINE),
            ("lampe-celeste", "Lampe à poser Céleste", "89.00", None, "shown", _NO_NOTE),
            ("applique-atelier", "Applique Atelier laiton", "129.00", None, "recommended", _ATELIER),
        ],
        "appointment_follow_up": [
            ("lampadaire-arc", "Lampadaire Arc noir", "349.00", "399.00", "new", _NO_NOTE),
            ("guirlande-lucioles", "Guirlande Lucioles", "49.00", None, "new", _NO_NOTE),
        ],
    }.get(template, [])
    return tuple(
        ProductBlock(
            name=name,
            url=f"{_SITE}/produits/{slug}",
            image_url=f"{_IMAGES}/{slug}/listing",
            price=Decimal(price),
            currency="EUR",
            reference_price=Decimal(reference) if reference else None,
            note=note[english],
            kind=kind,
        )
        for slug, name, price, reference, kind, note in rows
    )

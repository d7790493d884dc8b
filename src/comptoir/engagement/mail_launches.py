"""engagement: the message templates of the journeys a retailer launches: the season's new arrivals (a
:class:`~.mail_types.Family`: ``arrivals``).

* ``new_arrivals`` announces the catalogue's newest products — those most recently published on the
  website and still sold — each named in the customer's language with an image licensed for e-mail, at the
  price the customer pays on the website now (the Omnibus reference when discounted).
* ``new_arrivals_follow_up`` (J+30) shows what has arrived since the announcement; when nothing has, the
  newest products again, worded as a reminder of the season's arrivals rather than as news.

Their facts are loaded when the message is sent (:mod:`comptoir.engagement.facts_launches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations

from comptoir.engagement.mail_types import (
    SAMPLE_SITE,
    Copy,
    Family,
    MessageContext,
    ProductBlock,
    offer,
    sample_block,
    sample_message,
)

NEW_ARRIVALS = "new_arrivals"
NEW_ARRIVALS_FOLLOW_UP = "new_arrivals_follow_up"


@dataclass(frozen=True)
class ArrivalFacts:
    """The newest products as they are when the message is sent."""

    latest: tuple[ProductBlock, ...]  # the newest products on the website, newest first
    since: tuple[ProductBlock, ...]  # of which those published after the launch (the announcement)
    shop_url: str  # absolute: the website's shop


# -- checks and links ----------------------------------------------------------------------------------------


def _check(template: str, facts: Any) -> None:
    if not isinstance(facts, ArrivalFacts) or not (facts.latest or facts.since):
        raise ValueError(f"{template} needs new products to show (none is published and sold)")


def _links(facts: Any) -> list[str | None]:
    if not isinstance(facts, ArrivalFacts):
        return []
    return [facts.shop_url] + [link for p in facts.latest + facts.since for link in (p.url, p.image_url)]


# -- values: the facts formatted for a language -------------------------------------------------------------


def _values(t: NullTranslations, facts: ArrivalFacts, lang: str) -> dict[str, Any]:
    fresh = bool(facts.since)  # the follow-up has news to tell
    shown = facts.since if fresh else facts.latest
    items = [offer(p, lang) for p in shown]
    return {
        "products": items,
        "count": len(items),
        "lead": items[0]["name"],
        "fresh": fresh,
        "url": facts.shop_url,
    }


# -- the short texts: subject, preheader, SMS, push ----------------------------------------------------------


def _announcement(t: NullTranslations, v: dict[str, Any]) -> Copy:
    arrivals = v["arrivals"]
    name = v["first_name"]
    sms = t.gettext("%(brand)s: our new arrivals are here, starting with %(product)s. Discover them: %(url)s")
    return Copy(
        subject=t.gettext("%(name)s, our new arrivals are here") % {"name": name}
        if name
        else t.gettext("Our new arrivals are here"),
        preheader=t.gettext("%(product)s and the season's other new pieces, just arrived.")
        % {"product": arrivals["lead"]},
        sms=sms % {"brand": v["brand"], "product": arrivals["lead"], "url": arrivals["url"]},
        push_title=t.gettext("New arrivals"),
        push_body=t.gettext("Discover %(product)s and the season's other new pieces.")
        % {"product": arrivals["lead"]},
    )


def _follow_up(t: NullTranslations, v: dict[str, Any]) -> Copy:
    arrivals = v["arrivals"]
    if arrivals["fresh"]:
        subject = t.gettext("Just in since our last letter")
        others = arrivals["count"] - 1
        if others:
            preheader = t.ngettext(
                "%(product)s and %(n)s other new piece have arrived this month.",
                "%(product)s and %(n)s other new pieces have arrived this month.",
                others,
            ) % {"product": arrivals["lead"], "n": others}
        else:
            preheader = t.gettext("%(product)s has arrived this month.") % {"product": arrivals["lead"]}
        sms = t.gettext("%(brand)s: more new arrivals this month, starting with %(product)s: %(url)s")
    else:
        subject = t.gettext("The season's new arrivals, in case you missed them")
        preheader = t.gettext("%(product)s and the season's other new pieces are waiting for you.") % {
            "product": arrivals["lead"]
        }
        sms = t.gettext("%(brand)s: the season's new arrivals are still here, such as %(product)s: %(url)s")
    return Copy(
        subject=subject,
        preheader=preheader,
        sms=sms % {"brand": v["brand"], "product": arrivals["lead"], "url": arrivals["url"]},
        push_title=t.gettext("New arrivals"),
        push_body=preheader,
    )


# -- the preview's sample: Claire, at Maison Lumière -----------------------------------------------------------

_SITE = SAMPLE_SITE


def sample(template: str, lang: str) -> MessageContext:
    """The spring's new lights at Maison Lumière: the Arc floor lamp (on offer: 349 € instead of 399 €), the
    Lucioles string lights and the Atelier brass wall light; a month later, the Sillage pendant and the Halo candle holder have come."""
    latest = (
        sample_block("lampadaire-arc", "Lampadaire Arc noir", "349.00", "399.00", "new"),
        sample_block("guirlande-lucioles", "Guirlande Lucioles", "49.00", None, "new"),
        sample_block("applique-atelier", "Applique Atelier laiton", "129.00", None, "new"),
    )
    since: tuple[ProductBlock, ...] = ()
    if template == NEW_ARRIVALS_FOLLOW_UP:
        since = (
            sample_block("suspension-sillage", "Suspension Sillage", "219.00", None, "new"),
            sample_block("bougeoir-halo", "Bougeoir Halo", "39.00", None, "new"),
        )
    facts = ArrivalFacts(latest=since + latest, since=since, shop_url=f"{_SITE}/nouveautes")
    return sample_message("arrivals", facts)


FAMILIES: tuple[Family, ...] = (
    Family(
        key="arrivals",
        copies={NEW_ARRIVALS: _announcement, NEW_ARRIVALS_FOLLOW_UP: _follow_up},
        check=_check,
        values=_values,
        sample=sample,
        links=_links,
    ),
)

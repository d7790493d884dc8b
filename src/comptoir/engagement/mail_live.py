"""engagement: the message templates after a live video session (a :class:`~.mail_types.Family`: ``live``).

* ``live_session_report``, an hour after the session: the products the advisor showed and the ones they
  recommend, each named in the customer's language with an image licensed for e-mail, at the price the
  customer pays on the website now (the Omnibus reference when discounted), with a link back to the live
  page to talk again or book a slot;
* ``live_follow_up``, thirty days later: the recommended products again (those still sold), and the
  invitation to another session.

The advisor's notes stay with the session (the staff's 360° view): they are not for the customer's inbox.
Facts are loaded when the message is sent (:mod:`comptoir.engagement.facts_live`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale
from comptoir.engagement.mail_types import (
    DAY,
    SAMPLE_SITE,
    Copy,
    Family,
    MessageContext,
    ProductBlock,
    offer,
    sample_block,
    sample_message,
)

REPORT = "live_session_report"
FOLLOW_UP = "live_follow_up"


@dataclass(frozen=True)
class LiveFacts:
    advisor_name: str
    started_at: datetime  # aware
    timezone: str  # the customer's: the session's day is theirs
    shown: tuple[ProductBlock, ...]
    recommended: tuple[ProductBlock, ...]
    live_url: str  # absolute: the live page (talk now or book)


def _check(template: str, facts: Any) -> None:
    if not isinstance(facts, LiveFacts):
        raise ValueError(f"{template} needs the session's facts (LiveFacts)")
    if template == FOLLOW_UP and not facts.recommended:
        raise ValueError(f"{template} needs products the advisor recommends (none is still sold)")
    if template == REPORT and not (facts.shown or facts.recommended):
        raise ValueError(f"{template} needs products from the session (none is still sold)")


def _links(facts: Any) -> list[str | None]:
    if not isinstance(facts, LiveFacts):
        return []
    return [facts.live_url] + [link for p in facts.shown + facts.recommended for link in (p.url, p.image_url)]


def _values(t: NullTranslations, facts: LiveFacts, lang: str) -> dict[str, Any]:
    day = facts.started_at.astimezone(ZoneInfo(facts.timezone)).date()
    recommended = [offer(p, lang) for p in facts.recommended]
    advised = {p.url for p in facts.recommended}  # a product recommended is not listed twice
    shown = [offer(p, lang) for p in facts.shown if p.url not in advised]
    lead = (recommended or shown)[0]["name"] if (recommended or shown) else ""
    return {
        "advisor": facts.advisor_name,
        "day": str(format_date(day, DAY, locale=babel_locale(lang))),
        "shown": shown,
        "recommended": recommended,
        "lead": lead,
        "url": facts.live_url,
    }


def _report(t: NullTranslations, v: dict[str, Any]) -> Copy:
    live = v["live"]
    if live["advisor"]:
        subject = t.gettext("Your video session with %(advisor)s") % {"advisor": live["advisor"]}
    else:
        subject = t.gettext("Your video session")
    return Copy(
        subject=subject,
        preheader=t.gettext("The products we looked at together, and those we recommend for you."),
        sms=t.gettext("%(brand)s: thank you for your video session! Our selection for you: %(url)s")
        % {"brand": v["brand"], "url": live["url"]},
        push_title=t.gettext("Your selection is ready"),
        push_body=t.gettext("%(product)s and the other products from your video session.")
        % {"product": live["lead"]},
    )


def _follow_up(t: NullTranslations, v: dict[str, Any]) -> Copy:
    live = v["live"]
    return Copy(
        subject=t.gettext("Still thinking about %(product)s?") % {"product": live["lead"]},
        preheader=t.gettext("A month ago we recommended it during your video session."),
        sms=t.gettext("%(brand)s: still thinking about %(product)s? Talk to an advisor again: %(url)s")
        % {"brand": v["brand"], "product": live["lead"], "url": live["url"]},
        push_title=t.gettext("Still thinking about it?"),
        push_body=t.gettext("%(product)s, recommended during your video session.")
        % {"product": live["lead"]},
    )


def sample(template: str, lang: str) -> MessageContext:
    """Claire's video session with Julien at Maison Lumière: he showed her the Arc floor lamp (on offer)
    and the Atelier wall light, and recommends the Sillage pendant."""
    facts = LiveFacts(
        advisor_name="Julien",
        started_at=datetime(2027, 3, 9, 17, 30, tzinfo=UTC),
        timezone="Europe/Paris",
        shown=(
            sample_block("lampadaire-arc", "Lampadaire Arc noir", "349.00", "399.00", "shown"),
            sample_block("applique-atelier", "Applique Atelier laiton", "129.00", None, "shown"),
        ),
        recommended=(
            sample_block("suspension-sillage", "Suspension Sillage", "219.00", None, "recommended"),
        ),
        live_url=f"{SAMPLE_SITE}/direct",
    )
    return sample_message("live", facts)


FAMILIES: tuple[Family, ...] = (
    Family(
        key="live",
        copies={REPORT: _report, FOLLOW_UP: _follow_up},
        check=_check,
        values=_values,
        sample=sample,
        links=_links,
    ),
)

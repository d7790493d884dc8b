"""engagement: the message templates of surveys (a :class:`~.mail_types.Family`, key ``survey``).

* ``survey_nps`` asks how likely the customer is to recommend the retailer (0 to 10), after an order
  collected or delivered;
* ``survey_csat`` how satisfied they are (1 to 5) with an appointment — and, once their domains exist,
  a live session or a service ticket (the wording is ready for each touchpoint).

The e-mail says what the survey is about (the order, the appointment with its advisor, shop and day),
asks the question and shows the scale as a row of links, one per score, each with its label for screen
readers (``aria-label``): one click answers (see :mod:`comptoir.engagement.survey_policies` for what a
click counts for). Each link is signed for the message and the score. The text version lists the scores
with their links; the SMS carries the short link of the comment page (the customer picks their score
there); the push says the question, the app answering with the message's id it carries.

Their facts are loaded when the message is sent (:mod:`comptoir.engagement.facts_surveys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale, language_of
from comptoir.engagement.mail_types import DAY, Copy, Family, MessageContext, sample_message
from comptoir.engagement.survey_policies import SCALES, TEMPLATE_KINDS

NPS, CSAT = "survey_nps", "survey_csat"


@dataclass(frozen=True)
class SurveyFacts:
    """A survey message's question and links, and what it is about (as it is when it is sent)."""

    kind: str  # nps | csat
    touchpoint: str  # order | appointment | live_session | service_ticket | …
    scale: tuple[tuple[int, str], ...]  # each score and its signed link
    comment_url: str  # the comment page, no score chosen (the SMS's short link)
    order_number: str = ""
    collected: bool = False  # an order collected at a shop (else delivered)
    place_name: str = ""  # the shop
    service_name: str = ""  # an appointment's service
    advisor_name: str = ""
    happened_at: datetime | None = None  # an appointment's start (aware)
    timezone: str = "Europe/Paris"  # where it happened: its day is shown on that clock


def _check(template: str, facts: Any) -> None:
    if not isinstance(facts, SurveyFacts):
        raise ValueError(f"{template} needs its survey's facts (the message or what it is about is gone)")
    if facts.kind != TEMPLATE_KINDS[template]:
        raise ValueError(f"{template} asks the {TEMPLATE_KINDS[template]} question, not {facts.kind}")
    if tuple(score for score, _ in facts.scale) != tuple(SCALES[facts.kind]):
        raise ValueError(f"a {facts.kind} survey's scale is every score from its first to its last")


def _links(facts: Any) -> list[str | None]:
    if not isinstance(facts, SurveyFacts):
        return []
    links: list[str | None] = [url for _, url in facts.scale]
    return [*links, facts.comment_url]


# -- the words ---------------------------------------------------------------------------------------------


def _what(t: NullTranslations, f: SurveyFacts) -> str:
    """What the survey is about, to slot into a sentence ("your order CMD-…")."""
    _ = t.gettext
    if f.touchpoint == "order":
        return _("your order %(number)s") % {"number": f.order_number} if f.order_number else _("your order")
    return {
        "appointment": _("your appointment"),
        "live_session": _("our live session"),
        "service_ticket": _("your request to our customer service"),
    }.get(f.touchpoint, _("your visit"))


def _day(f: SurveyFacts, lang: str) -> str:
    if f.happened_at is None:
        return ""
    local = f.happened_at.astimezone(ZoneInfo(f.timezone))
    return str(format_date(local.date(), DAY, locale=babel_locale(lang)))


def _intro(t: NullTranslations, f: SurveyFacts, lang: str) -> str:
    _ = t.gettext
    facts = {
        "number": f.order_number,
        "place": f.place_name,
        "advisor": f.advisor_name,
        "date": _day(f, lang),
    }
    if f.touchpoint == "order" and f.collected and f.place_name:
        return _("You collected your order %(number)s at %(place)s: thank you!") % facts
    if f.touchpoint == "order":
        return _("Your order %(number)s has been delivered: thank you!") % facts
    if f.touchpoint == "appointment" and facts["date"] and f.advisor_name and f.place_name:
        return _("Thank you for your visit on %(date)s at %(place)s with %(advisor)s.") % facts
    if f.touchpoint == "appointment" and facts["date"]:
        return _("Thank you for your visit on %(date)s.") % facts
    return {
        "live_session": _("Thank you for joining our live session."),
        "service_ticket": _("Your request to our customer service is now closed."),
    }.get(f.touchpoint, _("Thank you for your recent visit."))


def _question(t: NullTranslations, f: SurveyFacts) -> str:
    _ = t.gettext
    if f.kind == "nps":
        return _("On a scale of 0 to 10, how likely are you to recommend us to a friend or a colleague?")
    return {
        "order": _("How satisfied are you with your order?"),
        "appointment": _("How satisfied are you with your appointment?"),
        "live_session": _("How satisfied are you with our live session?"),
        "service_ticket": _("How satisfied are you with the help you received?"),
    }.get(f.touchpoint, _("How satisfied are you with your visit?"))


def _labels(t: NullTranslations, kind: str) -> dict[int, str]:
    """Each score's label, as a screen reader says it."""
    _ = t.gettext
    if kind == "nps":
        return {score: _("%(score)s out of 10") % {"score": score} for score in SCALES["nps"]}
    words = {
        1: _("very dissatisfied"),
        2: _("dissatisfied"),
        3: _("neither satisfied nor dissatisfied"),
        4: _("satisfied"),
        5: _("very satisfied"),
    }
    return {
        score: _("%(score)s out of 5: %(label)s") % {"score": score, "label": words[score]} for score in words
    }


def _values(t: NullTranslations, f: SurveyFacts, lang: str) -> dict[str, Any]:
    _ = t.gettext
    labels = _labels(t, f.kind)
    nps = f.kind == "nps"
    return {
        "kind": f.kind,
        "heading": _("Would you recommend us?") if nps else _("How did it go?"),
        "intro": _intro(t, f, lang),
        "what": _what(t, f),
        "question": _question(t, f),
        "scale": [{"score": score, "url": url, "label": labels[score]} for score, url in f.scale],
        "low": ends(t, f.kind)[0],
        "high": ends(t, f.kind)[1],
        "hint": _("One click is enough: the page it opens lets you confirm your score and tell us more."),
        "comment_url": f.comment_url,
        "first": f.scale[0][0],
        "last": f.scale[-1][0],
    }


def question(t: NullTranslations, facts: SurveyFacts) -> str:
    """The survey's question, for the comment page."""
    return _question(t, facts)


def intro(t: NullTranslations, facts: SurveyFacts, lang: str) -> str:
    """What the survey is about, in a sentence, for the comment page."""
    return _intro(t, facts, lang)


def ends(t: NullTranslations, kind: str) -> tuple[str, str]:
    """What the two ends of the scale mean."""
    _ = t.gettext
    if kind == "nps":
        return _("0: not at all likely"), _("10: extremely likely")
    return _("1: very dissatisfied"), _("5: very satisfied")


def score_labels(t: NullTranslations, kind: str) -> dict[int, str]:
    return _labels(t, kind)


def _family_values(t: NullTranslations, facts: Any, lang: str) -> dict[str, Any]:
    assert isinstance(facts, SurveyFacts)
    return _values(t, facts, lang)


# -- subject, preheader, SMS and push ------------------------------------------------------------------------


def _nps(t: NullTranslations, v: dict[str, Any]) -> Copy:
    _, s, brand = t.gettext, v["survey"], v["brand"]
    sms = _("%(brand)s: would you recommend us after %(what)s? Answer from 0 to 10: %(url)s")
    return Copy(
        subject=_("Would you recommend %(brand)s?") % {"brand": brand},
        preheader=_("One click to tell us, from 0 to 10."),
        sms=sms % {"brand": brand, "what": s["what"], "url": s["comment_url"]},
        push_title=_("A quick question"),
        push_body=_("Would you recommend %(brand)s? Answer from 0 to 10 in one tap.") % {"brand": brand},
    )


def _csat(t: NullTranslations, v: dict[str, Any]) -> Copy:
    _, s, brand = t.gettext, v["survey"], v["brand"]
    sms = _("%(brand)s: how was %(what)s? Rate it from 1 to 5: %(url)s")
    return Copy(
        subject=_("How was %(what)s?") % {"what": s["what"]},
        preheader=_("One click to tell us, from 1 to 5."),
        sms=sms % {"brand": brand, "what": s["what"], "url": s["comment_url"]},
        push_title=_("How did it go?"),
        push_body=_("Rate %(what)s from 1 to 5 in one tap.") % {"what": s["what"]},
    )


# -- the preview's sample ------------------------------------------------------------------------------------

_SITE = "https://www.maison-lumiere.fr"


def sample_facts(template: str, lang: str) -> SurveyFacts:
    """Claire's survey: after collecting her order at Maison Lumière Marais (NPS), or after her lighting
    consultation with Camille there on Tuesday 9 March 2027 (CSAT)."""
    kind = TEMPLATE_KINDS[template]
    lang = language_of(lang)
    token = "msg_0192f3c1a2b47c3e8d1f5a6b7c8d9e0f.{score}.q8Zr4LmT2xWc9Yp1Ab3dE5"
    link = f"{_SITE}/pages/engagement/surveys/{token}?lang={lang}"
    scale = tuple((score, link.format(score=score)) for score in SCALES[kind])
    if kind == "nps":
        return SurveyFacts(
            kind=kind,
            touchpoint="order",
            scale=scale,
            comment_url=link.format(score="c"),
            order_number="CMD-2027-000123",
            collected=True,
            place_name="Maison Lumière Marais",
        )
    return SurveyFacts(
        kind=kind,
        touchpoint="appointment",
        scale=scale,
        comment_url=link.format(score="c"),
        place_name="Maison Lumière Marais",
        service_name="Lighting consultation" if lang == "en" else "Conseil en éclairage",
        advisor_name="Camille",
        happened_at=datetime(2027, 3, 9, 9, 0, tzinfo=UTC),
    )


def _sample(template: str, lang: str) -> MessageContext:
    return sample_message("survey", sample_facts(template, lang), "survey")


FAMILIES: tuple[Family, ...] = (
    Family(
        key="survey",
        copies={NPS: _nps, CSAT: _csat},
        check=_check,
        values=_family_values,
        sample=_sample,
        links=_links,
    ),
)

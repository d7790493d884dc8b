"""engagement: satisfaction surveys — a survey message's signed links, the answers customers give (a click
in the message, the comment page, an app), and what each answer is about.

A survey is a journey's message whose template asks a question (``survey_nps``, ``survey_csat``; see
:mod:`comptoir.engagement.survey_policies` for the questions, what a click counts for and why). Its links
are signed for the message and a score (:func:`survey_url`): the link *is* the credential, like the
unsubscribe link, and ties the answer to the message — hence to the customer and to the journey's subject.

One answer per survey: answering again, from the same message or from another channel's message of the
same journey, changes that answer (the latest confirmed answer wins). An answer that counts ends the
survey's journey: what it had still to send (a reminder, the e-mail an app's answer came before) is
cancelled.

An answer is tied to what it is about, read when it is first given: the touchpoint (from the journey's
subject field), the subject, the shop, the employee (an appointment's advisor, an order's seller) and the
channel the customer met the retailer on — an order's from the order (its pickup shop, or the shop that
took it), the others' from the journey's facts (``place_id``, ``advisor_id``, ``channel``…), so the
live-shopping and service domains' surveys need nothing here but their journey.

At a person's erasure their answers are anonymised: the score, the question, the shop, the employee, the
channel and the time stay for the statistics (a shop's NPS does not change because a customer left); the
customer, the message, the subject and the comment go.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from comptoir.core import clock
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import audience, engine, journeys
from comptoir.engagement import survey_policies as rules
from comptoir.engagement.models import Instance, Message, SurveyAnswer
from comptoir.engagement.schemas import SurveyAnswerIn, SurveyAnswerOut
from comptoir.orders import service as orders

SIGNED = "engagement-survey"
_MAC_LENGTH = 22  # 132 bits of HMAC-SHA256, in base64url: a short link that cannot be guessed
_TOKEN = re.compile(r"^([A-Za-z0-9_]{1,40})\.(10|[0-9]|c)\.([A-Za-z0-9_-]{22})$")
COMMENT_LENGTH = 2000
_PLACE_FACTS = ("place_id", "pickup_place_id", "shop_id", "store_id")
_EMPLOYEE_FACTS = ("advisor_id", "seller_id", "host_id", "agent_id", "staff_id")


# -- the signed links ------------------------------------------------------------------------------------


def _mac(settings: Settings, payload: str) -> str:
    digest = hmac.new(settings.secret_key.encode(), f"{SIGNED}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_LENGTH]


def survey_token(settings: Settings, message_id: str, score: int | None) -> str:
    """The token of a survey link: the message, the score clicked (``c``: none, the comment page) and
    their signature. No expiry: an answer from an old e-mail is still an answer."""
    payload = f"{message_id}.{'c' if score is None else score}"
    return f"{payload}.{_mac(settings, payload)}"


def read_token(settings: Settings, token: str) -> tuple[str, int | None] | None:
    """The message and the score a token was signed for, or ``None`` when it is not one of ours."""
    found = _TOKEN.match(token) if token.isascii() else None
    if found is None:
        return None
    message_id, score, mac = found.groups()
    if not hmac.compare_digest(mac, _mac(settings, f"{message_id}.{score}")):
        return None
    return message_id, None if score == "c" else int(score)


def survey_url(settings: Settings, message_id: str, score: int | None, lang: str) -> str:
    """The link of a score in the message (``None``: the comment page, for an SMS), in its language."""
    token = survey_token(settings, message_id, score)
    return f"{settings.base_url.rstrip('/')}/pages/engagement/surveys/{token}?lang={lang}"


# -- a survey message and what it is about -----------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """What an answer is about."""

    touchpoint: str
    subject_id: str | None
    place_id: str | None
    advisor_id: str | None
    channel: str


@dataclass(frozen=True)
class Found:
    """A survey message, its journey's instance and the question it asks."""

    message: Message
    instance: Instance
    kind: rules.Kind


def survey_message(uow: UnitOfWork, message_id: str, *, lock: bool = False) -> Found | None:
    """The survey message ``message_id`` (``None``: no such message, or not a survey); ``lock`` locks its
    journey's instance, so that two answers to one survey are taken one after the other."""
    message = uow.session.get(Message, message_id)
    kind = rules.kind_of(message.template) if message is not None else None
    if message is None or kind is None:
        return None
    instance = uow.session.get(Instance, message.instance_id, with_for_update=lock)
    return None if instance is None else Found(message, instance, kind)


def _first(facts: Mapping[str, Any], names: Sequence[str]) -> str | None:
    for name in names:
        value = facts.get(name)
        if isinstance(value, str) and value:
            return value[:64]
    return None


def where_of(uow: UnitOfWork, instance: Instance) -> Where:
    """What the survey of ``instance`` is about (see the module's docstring)."""
    definition = journeys.definition_at(uow, instance.journey_code, instance.version)
    touchpoint = rules.touchpoint_of(definition.subject_field) if definition else "other"
    facts = instance.facts
    if touchpoint == "order":
        try:
            order = orders.get_order(uow, instance.subject)
        except NotFound:
            order = None
        if order is not None:
            took_it = order.channel.split(":", 1)[1] if order.channel.startswith("store:") else None
            return Where(
                touchpoint,
                order.id,
                order.pickup_place_id or took_it,
                order.seller_id,
                rules.channel_kind(order.channel),
            )
    channel = facts.get("channel")
    return Where(
        touchpoint,
        instance.subject,
        _first(facts, _PLACE_FACTS),
        _first(facts, _EMPLOYEE_FACTS),
        rules.channel_kind(channel if isinstance(channel, str) else None),
    )


def _language(uow: UnitOfWork, instance: Instance) -> str:
    try:
        customer = customers.get_customer(uow, instance.customer_id)
    except NotFound:
        customer = None
    return audience.language_for(instance.facts, customer)


# -- answers -------------------------------------------------------------------------------------------


def out(row: SurveyAnswer) -> SurveyAnswerOut:
    return SurveyAnswerOut(
        id=row.id,
        message_id=row.message_id,
        customer_id=row.customer_id,
        kind=row.kind,
        score=row.score,
        state=row.state,
        counted=rules.counts(row.state),
        comment=row.comment,
        touchpoint=row.touchpoint,
        subject_id=row.subject_id,
        place_id=row.place_id,
        advisor_id=row.advisor_id,
        channel=row.channel,
        language=row.language,
        answered_at=row.answered_at,
    )


def _answer_row(uow: UnitOfWork, instance_id: str, kind: str) -> SurveyAnswer | None:
    """The answer to the survey of ``instance_id`` (given from any of its messages)."""
    return uow.session.scalars(
        select(SurveyAnswer)
        .join(Message, Message.id == SurveyAnswer.message_id)
        .where(Message.instance_id == instance_id, SurveyAnswer.kind == kind)
    ).first()


def answer_to(uow: UnitOfWork, found: Found) -> SurveyAnswerOut | None:
    """The answer given so far to the survey of ``found`` (``None``: none yet)."""
    row = _answer_row(uow, found.instance.id, found.kind)
    return None if row is None else out(row)


Decide = Callable[[rules.Answer | None], rules.Answer]


def _apply(row: SurveyAnswer, decide: Decide, comment: str | None) -> None:
    after = decide(rules.Answer(row.state, row.score))  # type: ignore[arg-type]
    changed = (after.state, after.score) != (row.state, row.score)
    if comment is not None and comment != row.comment:
        row.comment, changed = comment, True
    if changed:
        row.state, row.score, row.answered_at = after.state, after.score, clock.now()


def _new_row(uow: UnitOfWork, found: Found, decide: Decide, comment: str | None) -> SurveyAnswer:
    first = decide(None)
    where = where_of(uow, found.instance)
    now = clock.now()
    return SurveyAnswer(
        id=new_id("sva"),
        message_id=found.message.id,
        customer_id=found.instance.customer_id,
        kind=found.kind,
        score=first.score,
        state=first.state,
        comment=comment or "",
        touchpoint=where.touchpoint,
        subject_id=where.subject_id,
        place_id=where.place_id,
        advisor_id=where.advisor_id,
        channel=where.channel,
        language=_language(uow, found.instance),
        answered_at=now,
        created_at=now,
    )


def _record(uow: UnitOfWork, found: Found, decide: Decide, comment: str | None) -> SurveyAnswerOut:
    """Record an answer to ``found``'s survey as ``decide`` says from the answer so far; end its journey
    once the answer counts."""
    row = _answer_row(uow, found.instance.id, found.kind)
    if row is None:
        fresh = _new_row(uow, found, decide, comment)
        try:
            with uow.savepoint():
                uow.session.add(fresh)
                uow.session.flush()
            row = fresh
        except IntegrityError:  # the same link opened twice at once: the other request wrote it first
            row = _answer_row(uow, found.instance.id, found.kind)
            if row is None:
                raise
            _apply(row, decide, comment)
    else:
        _apply(row, decide, comment)
    uow.session.flush()
    if rules.counts(row.state) and found.instance.state == "active":
        engine.end(uow, found.instance, "answered", state="completed")
    return out(row)


def _checked(kind: str, score: int) -> None:
    try:
        rules.check_score(kind, score)
    except ValueError as exc:
        raise InvalidInput(f"{str(exc).capitalize()}.", field="score") from exc


def _comment(text: str) -> str:
    comment = text.strip()
    if len(comment) > COMMENT_LENGTH:
        raise InvalidInput(f"A comment has at most {COMMENT_LENGTH} characters.", field="comment")
    return comment


def click(uow: UnitOfWork, found: Found, score: int) -> SurveyAnswerOut:
    """A score clicked in the message: recorded provisionally (see :func:`~.survey_policies.after_click`)."""
    _checked(found.kind, score)
    return _record(uow, found, lambda before: rules.after_click(before, score), None)


def confirm(uow: UnitOfWork, found: Found, score: int, comment: str) -> SurveyAnswerOut:
    """The customer's answer, confirmed (the comment page, an app): it replaces any answer before it."""
    _checked(found.kind, score)
    return _record(uow, found, lambda _: rules.Answer("confirmed", score), _comment(comment))


def _is_theirs(uow: UnitOfWork, found: Found, customer_id: str) -> bool:
    owner = found.instance.customer_id
    if owner == customer_id:
        return True
    try:
        return customers.resolve_id(uow, owner) == customer_id  # merged into them since
    except NotFound:
        return False


def answer_mine(uow: UnitOfWork, customer_id: str, body: SurveyAnswerIn) -> SurveyAnswerOut:
    """The signed-in customer answers one of their own survey messages (404 for another's: its existence
    is not revealed)."""
    found = survey_message(uow, body.message_id, lock=True)
    if found is None or not _is_theirs(uow, found, customer_id):
        raise NotFound(f"Survey message {body.message_id} does not exist.", slug="not-found")
    return confirm(uow, found, body.score, body.comment)


# -- a person's erasure and export -----------------------------------------------------------------------


def erase(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """Anonymise the persons' answers: the scores stay for the statistics, nothing ties them to anyone."""
    result = uow.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.customer_id.in_(list(customer_ids)))
        .values(customer_id=None, message_id=None, subject_id=None, comment="")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def export(uow: UnitOfWork, customer_id: str) -> list[dict[str, Any]]:
    """The person's answers, their comments included."""
    rows = uow.session.scalars(
        select(SurveyAnswer)
        .where(SurveyAnswer.customer_id == customer_id)
        .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)
    ).all()
    return [out(row).model_dump(mode="json") for row in rows]

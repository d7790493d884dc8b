"""engagement: what the messages of surveys are written from, read when they are sent — the survey message
itself (its links are signed for it: the sender passes its id with the journey's facts), the question its
template asks, and what it is about as it is now: the order (its number, the shop it was collected at),
the appointment (its service, advisor, shop and day); a live session or a service ticket is named by its
touchpoint alone until its domain exists. ``None`` when the message or its subject is gone (it is then not
sent)."""

from __future__ import annotations

from typing import Any

from comptoir.appointments import service as appointments
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import surveys
from comptoir.engagement.mail_surveys import SurveyFacts
from comptoir.engagement.mail_types import Loader
from comptoir.engagement.survey_policies import SCALES
from comptoir.orders import service as orders
from comptoir.stores import service as stores


def _place_name(uow: UnitOfWork, place_id: str | None) -> str:
    if not place_id:
        return ""
    try:
        return stores.get_place(uow, place_id).name
    except NotFound:
        return ""


def _about(uow: UnitOfWork, settings: Settings, found: surveys.Found) -> dict[str, Any] | None:
    """What the survey is about, as it is now (``None``: gone)."""
    where = surveys.where_of(uow, found.instance)
    subject = found.instance.subject
    if where.touchpoint == "order":
        try:
            order = orders.get_order(uow, subject)
        except NotFound:
            return None
        return {
            "touchpoint": where.touchpoint,
            "order_number": order.number,
            "collected": order.pickup_place_id is not None,
            "place_name": _place_name(uow, order.pickup_place_id),
        }
    if where.touchpoint == "appointment":
        try:
            appointment = appointments.get_appointment(uow, subject, settings)
        except NotFound:
            return None
        return {
            "touchpoint": where.touchpoint,
            "service_name": appointment.service_name,
            "advisor_name": appointment.advisor_name,
            "place_name": _place_name(uow, appointment.place_id),
            "happened_at": appointment.starts_at,
            "timezone": appointment.timezone,
        }
    return {"touchpoint": where.touchpoint, "place_name": _place_name(uow, where.place_id)}


def survey_facts(uow: UnitOfWork, settings: Settings, message_id: str, lang: str) -> SurveyFacts | None:
    """The survey message ``message_id`` as its e-mail and its comment page show it."""
    found = surveys.survey_message(uow, message_id)
    if found is None:
        return None
    about = _about(uow, settings, found)
    if about is None:
        return None
    url = surveys.survey_url
    return SurveyFacts(
        kind=found.kind,
        scale=tuple((score, url(settings, message_id, score, lang)) for score in SCALES[found.kind]),
        comment_url=url(settings, message_id, None, lang),
        **about,
    )


def load(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> SurveyFacts | None:
    message_id = facts.get("message_id")
    return survey_facts(uow, settings, message_id, lang) if isinstance(message_id, str) else None


LOADERS: dict[str, Loader] = {"survey": load}

"""engagement: the built-in journeys of surveys, and the events they follow.

* ``survey_order_collected`` and ``survey_order_delivered``: the post-purchase survey — how likely the
  customer is to recommend the retailer (NPS), two days after they collected their order at a shop or it
  was delivered to them, at 10:00 on their clock. One journey per event (a journey starts on one trigger);
  one survey per order (a journey's instance is unique per customer and order: an order split in two
  parcels is surveyed once).
* ``survey_appointment``: how satisfied the customer is with their appointment (CSAT), the next day at
  10:00 in the shop's time zone. The appointment journey's report goes an hour after the appointment and
  both are commercial, under the same caps (2 a day by default): the survey waits for the next day so that
  the two never compete for the day's room, and its priority (30) is below the report's (40) should a
  retailer's caps make them meet — it is then delayed, not dropped.

Every survey is of purpose ``survey``: it needs the customer's opt-in for satisfaction surveys
(``satisfaction-surveys`` in the customers' ledger) on its channel when it is sent, and only customers who
gave one on some channel enter (``consent_required``). They go by e-mail; a retailer may add SMS (a short
link) or push (the app answers with the message's id) by editing the journey. Answering ends the journey
(:mod:`comptoir.engagement.surveys`).

A live session (issue 21) or a closed service ticket (issue 22) is surveyed the same way once its domain
publishes its event: a journey with that trigger, its subject field (``live_session_id``, ``ticket_id``…)
and a step sending ``survey_csat`` (or ``survey_nps``) — added here, or saved as a retailer's own journey.
"""

from __future__ import annotations

from comptoir.appointments import events as appointment_events
from comptoir.core.events import DomainEvent
from comptoir.engagement.schemas import Entry, JourneyDefinition, Localised, Step, Timing
from comptoir.orders import events as order_events

SURVEY_PRIORITY = 30
_OPTED_IN = Entry(consent_required=True)


def _order_survey(code: str, trigger: str, name: Localised) -> JourneyDefinition:
    return JourneyDefinition(
        code=code,
        name=name,
        trigger=trigger,
        subject_field="order_id",
        purpose="survey",
        entry=_OPTED_IN,
        steps=[
            Step(
                key="survey",
                template="survey_nps",
                channels=["email"],
                timing=Timing(days=2, at="10:00"),
                priority=SURVEY_PRIORITY,
            )
        ],
    )


ORDER_COLLECTED = _order_survey(
    "survey_order_collected",
    "orders.fulfilment_collected",
    Localised(fr="Enquête après un retrait en boutique", en="Survey after an order collected"),
)
ORDER_DELIVERED = _order_survey(
    "survey_order_delivered",
    "orders.fulfilment_delivered",
    Localised(fr="Enquête après une livraison", en="Survey after an order delivered"),
)
APPOINTMENT = JourneyDefinition(
    code="survey_appointment",
    name=Localised(fr="Enquête après un rendez-vous", en="Survey after an appointment"),
    trigger="appointments.completed",
    subject_field="appointment_id",
    purpose="survey",
    entry=_OPTED_IN,
    steps=[
        Step(
            key="survey",
            template="survey_csat",
            channels=["email"],
            timing=Timing(days=1, at="10:00"),
            priority=SURVEY_PRIORITY,
        )
    ],
)

DEFINITIONS: tuple[JourneyDefinition, ...] = (ORDER_COLLECTED, ORDER_DELIVERED, APPOINTMENT)
EVENT_CLASSES: tuple[type[DomainEvent], ...] = (
    order_events.FulfilmentCollected,
    order_events.FulfilmentDelivered,
    appointment_events.AppointmentCompleted,
)

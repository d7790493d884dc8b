"""engagement: pydantic types in and out — with service.py and events.py, the public interface.

Vocabulary:

- a **journey** is data: the event that starts it (its *trigger*), who enters (segments, loyalty tiers,
  the event's channel), its **steps** and the events that end it (an order ends the abandoned-cart
  journey). A journey follows one *subject* (an appointment, an order, a cart) named by a field of its
  events;
- a **step** sends one template on one or more channels, when an event of the journey happens (its
  trigger by default), at a time set from an instant of the journey's facts (the event's own time, an
  appointment's start or end): a delay in minutes, or whole days later or earlier at a fixed local time
  in the customer's time zone (J-1 at 10:00);
- an **instance** is one customer in one journey about one subject; a **message** is one step on one
  channel for an instance: ``scheduled`` → ``queued`` (an e-mail handed to the mail queue) or
  ``sending`` (an SMS or a push being sent) → ``sent``, ``bounced``, ``failed``; or ``dropped`` (a cap,
  as configured), ``skipped`` (no consent, no address, a suppressed address), ``cancelled`` (the
  journey ended first). A held message stays ``scheduled``, later, with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from comptoir.core.types import Schema

Channel = Literal["email", "sms", "push"]
Purpose = Literal["transactional", "marketing", "survey"]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z_]+$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
MessageStatus = Literal[
    "scheduled", "sending", "queued", "sent", "bounced", "failed", "dropped", "skipped", "cancelled"
]


class Localised(Schema):
    fr: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Timing(Schema):
    """When a step's message is due: ``anchor`` (``"event"``: the time of the event that made the step due,
    or a field of the journey's facts holding an instant, e.g. ``"starts_at"``), then ``days`` whole days
    on the customer's local calendar (negative: before) at the local time ``at`` if given, then
    ``minutes``."""

    anchor: Literal["event"] | FieldName = "event"
    days: Annotated[int, Field(ge=-366, le=366)] = 0
    at: HHMM | None = None
    minutes: Annotated[int, Field(ge=-7 * 24 * 60, le=7 * 24 * 60)] = 0


class Step(Schema):
    key: Code
    template: Code
    channels: Annotated[list[Channel], Field(min_length=1, max_length=3)]
    on: EventType | None = Field(
        None, description="The event that makes it due (the journey's trigger by default)"
    )
    repeat: bool = Field(False, description="Due again on each such event (one message per occurrence)")
    timing: Timing = Timing()
    purpose: Purpose | None = Field(None, description="The journey's purpose by default")
    priority: Annotated[int, Field(ge=0, le=100)] = 50
    on_collision: Literal["delay", "drop"] = "delay"
    attach_invitation: bool = Field(
        False, description="Attach the appointment's iCalendar invitation (e-mail)"
    )


class Entry(Schema):
    """Who enters: every condition given must hold (an empty list: no condition)."""

    segments_any: list[Code] = []
    loyalty_tiers: list[Code] = []
    channels: list[Annotated[str, StringConstraints(max_length=64)]] = []
    consent_required: bool = Field(
        False, description="Enter only customers with an opt-in for the journey's purpose on some channel"
    )
    fields: dict[FieldName, list[Annotated[str, StringConstraints(max_length=64)]]] = Field(
        {},
        description='The trigger event\'s fields and the values that enter, e.g. {"mode": ["click_and_collect"]}',
    )


class JourneyDefinition(Schema):
    code: Code
    name: Localised
    trigger: EventType
    subject_field: FieldName = Field(description="The events' field naming what the journey is about")
    purpose: Purpose
    entry: Entry = Entry()
    steps: Annotated[list[Step], Field(min_length=1, max_length=20)]
    exit_on: list[EventType] = Field([], description="Events about the same subject that end the journey")
    active: bool = True

    @model_validator(mode="after")
    def _distinct_steps(self) -> JourneyDefinition:
        keys = [s.key for s in self.steps]
        if len(keys) != len(set(keys)):
            raise ValueError("Each step needs a key of its own.")
        if self.trigger in self.exit_on:
            raise ValueError("The trigger cannot also end the journey.")
        return self


class JourneyOut(Schema):
    code: str
    version: int = Field(description="0: the built-in definition, not edited")
    built_in: bool
    definition: JourneyDefinition


class MessageOut(Schema):
    id: str
    journey_code: str
    step: str
    occurrence: int
    channel: Channel
    customer_id: str
    template: str
    purpose: Purpose
    priority: int
    status: MessageStatus
    planned_at: datetime
    due_at: datetime
    hold_code: str = Field(description="Why it is held, dropped or skipped, as a stable code")
    hold_reason: str
    reference: str
    sent_at: datetime | None
    deliveries: list[DeliveryOut] = []


class DeliveryOut(Schema):
    kind: str
    at: datetime
    detail: str


class InstanceOut(Schema):
    id: str
    journey_code: str
    version: int
    customer_id: str
    subject: str
    state: Literal["active", "exited", "completed"]
    started_at: datetime
    ended_at: datetime | None
    exit_reason: str
    messages: list[MessageOut]


class CapIn(Schema):
    purpose: Literal["marketing", "survey"] | None = Field(
        None, description="The commercial purpose capped (none: every commercial purpose together)"
    )
    limit: Annotated[int, Field(ge=1, le=1000)]
    period: Literal["day", "week", "month"] = Field(description="A calendar period on the customer's clock")
    channel: Channel | None = Field(None, description="The channel capped (none: all channels together)")


class QuietHoursIn(Schema):
    channel: Channel
    start: HHMM
    end: HHMM = Field(description="Before start: the quiet hours cross midnight")
    transactional: bool = Field(
        False, description="Hold transactional messages too (an order ready at night…)"
    )


class Pressure(Schema):
    """What a customer may receive, across every journey and channel: caps on commercial messages, quiet
    hours on the customer's clock, and the French rules for commercial SMS (Monday to Saturday,
    08:00–20:00, never on public holidays). Transactional messages are never capped."""

    caps: Annotated[list[CapIn], Field(max_length=30)]
    quiet_hours: Annotated[list[QuietHoursIn], Field(max_length=10)]
    french_sms_rules: bool = True


class PressureOut(Pressure):
    built_in: bool = Field(description="True: the built-in rules, never edited")
    version: int


class SendReport(Schema):
    """What one run of the sender did."""

    considered: int
    queued: int
    sent: int
    held: int
    dropped: int
    skipped: int
    failed: int


MessageOut.model_rebuild()

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

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

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


# -- A/B experiments of a step's message (see comptoir.engagement.experiments) ----------------------------

VariantKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,15}$")]
ExperimentMetric = Literal["open", "click", "order"]
ExperimentPhase = Literal["testing", "decided", "inconclusive"]


class Variant(Schema):
    """One version of a step's message: its own subject and/or another template (written from the same
    facts). A variant with neither is the step's message as it is."""

    key: VariantKey
    weight: Annotated[int, Field(ge=1, le=100)] = Field(
        1, description="Its share of the test, relative to the other variants' weights"
    )
    subject: Localised | None = Field(None, description="The e-mail's subject, instead of the template's")
    template: Code | None = Field(None, description="Another template, written from the same facts")


class ExperimentDesign(Schema):
    """An A/B test of a step's message (marketing steps only). ``holdout_percent`` of the customers receive
    nothing (they measure what the message itself brings), ``test_percent`` are split between the variants
    by weight, and the rest wait for the winner: the variant significantly better on ``metric`` than every
    other (a two-proportion test at ``alpha``, Holm-corrected), each sent to at least ``min_sample``
    customers. With no winner ``decide_within_days`` after the experiment's first message was due, the rest
    receive the first variant (the control) and the test ends inconclusive."""

    variants: Annotated[list[Variant], Field(min_length=2, max_length=5)]
    holdout_percent: Annotated[int, Field(ge=0, le=50)] = 0
    test_percent: Annotated[int, Field(ge=1, le=100)] = Field(
        100, description="The share of customers in the test (100: no one waits for the winner)"
    )
    metric: ExperimentMetric = Field(
        "click",
        description="Opens are inflated by mail clients that fetch images (Apple Mail): prefer click or order",
    )
    order_window_days: Annotated[int, Field(ge=1, le=90)] = Field(
        7, description="An order counts for the message the customer last had within this many days"
    )
    min_sample: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        1000, description="Customers each variant must have been sent to before a winner is declared"
    )
    alpha: Annotated[float, Field(ge=0.001, le=0.2)] = 0.05
    decide_within_days: Annotated[int, Field(ge=1, le=60)] = 7

    @field_validator("variants")
    @classmethod
    def _distinct_variants(cls, variants: list[Variant]) -> list[Variant]:
        keys = [v.key for v in variants]
        if len(keys) != len(set(keys)):
            raise ValueError("Each variant needs a key of its own.")
        if {"holdout", "rest"} & set(keys):
            raise ValueError("holdout and rest name groups of customers, not variants.")
        return variants

    @model_validator(mode="after")
    def _shares(self) -> ExperimentDesign:
        if self.holdout_percent + self.test_percent > 100:
            raise ValueError("holdout_percent and test_percent add up to more than 100.")
        return self


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
    at_once: bool = Field(
        False,
        description="E-mail: decided and queued as the event is handled, not at the sender's next run "
        "(the e-receipt at the till)",
    )
    experiment: ExperimentDesign | None = Field(
        None, description="Variants of the message tried on the customers (marketing steps only)"
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
    address_field: FieldName | None = Field(
        None,
        description="The events' field holding the e-mail address the journey writes to (the one typed at "
        "the till), instead of the customer's; an event without one starts nothing",
    )
    purpose: Purpose
    entry: Entry = Entry()
    steps: Annotated[list[Step], Field(min_length=1, max_length=20)]
    exit_on: list[EventType] = Field(
        [],
        description="Events about the same subject that end the journey (one naming no such subject, e.g. an "
        "order for a cart's journey, ends every instance of the customer's)",
    )
    active: bool = True

    @model_validator(mode="after")
    def _distinct_steps(self) -> JourneyDefinition:
        keys = [s.key for s in self.steps]
        if len(keys) != len(set(keys)):
            raise ValueError("Each step needs a key of its own.")
        if self.trigger in self.exit_on:
            raise ValueError("The trigger cannot also end the journey.")
        for index, step in enumerate(self.steps):
            if step.experiment is not None and (step.purpose or self.purpose) != "marketing":
                raise ValueError(f"steps[{index}].experiment: A/B experiments are for marketing steps only.")
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
    experiment_id: str = Field("", description="The A/B experiment it belongs to, if any")
    variant: str = Field("", description="Its customer's group in it: a variant's key, holdout or rest")
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


class VariantResult(Schema):
    """What one variant's customers did — each customer counted once (a click counts as an open too)."""

    key: str
    subject: Localised | None
    template: str
    sent: int = Field(description="Customers it was sent to (accepted by the mail server or the gateway)")
    opened: int
    clicked: int
    ordered: int = Field(description="Customers who ordered within the window after it was sent")
    open_rate: float
    click_rate: float
    order_rate: float
    p_value: float | None = Field(
        description="The leading variant against this one on the metric, Holm-adjusted (none: the leader)"
    )


class HoldoutResult(Schema):
    """The customers held out (sent nothing) against those who received a variant, on orders."""

    customers: int
    ordered: int
    order_rate: float
    p_value: float | None = Field(description="Messaged customers against the holdout (none: no holdout)")
    verdict: str


class ExperimentOut(Schema):
    id: str
    journey_code: str
    version: int
    step: str
    phase: ExperimentPhase = Field(
        description="testing; decided (a winner); inconclusive (no winner in time: the rest got the control)"
    )
    design: ExperimentDesign
    winner: str | None = Field(description="The variant significantly better than every other, once declared")
    rest_variant: str | None = Field(
        description="What the customers outside the test receive (none: they wait)"
    )
    started_at: datetime = Field(description="When its first message was due")
    deadline_at: datetime = Field(description="The rest wait for a winner until then at the latest")
    decided_at: datetime | None
    evaluated_at: datetime | None
    p_value: float | None = Field(description="The leader against its closest rival, Holm-adjusted")
    verdict: str = Field(description="The last evaluation, in words")
    variants: list[VariantResult]
    holdout: HoldoutResult | None
    rest_sent: int = Field(description="Customers outside the test sent the rest's variant")
    rest_waiting: int = Field(description="Messages of customers outside the test waiting for the winner")


MessageOut.model_rebuild()


# -- push devices --------------------------------------------------------------------------------------------

Platform = Literal["ios", "android", "web"]
PushToken = Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=r"^[\x21-\x7e]+$")]
AppName = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
LanguageTag = Annotated[str, StringConstraints(max_length=16, pattern=r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]


class DeviceIn(Schema):
    """A device of the signed-in customer's, to receive push notifications (registered again at each start
    of the app: it says the device is still in use)."""

    token: PushToken = Field(
        description="The push provider's token for the device (FCM, APNs, a Web Push subscription), as is"
    )
    platform: Platform
    app: AppName | None = Field(
        None, description="The app (a bundle id…); by default the channel of the key that registers it"
    )
    language: LanguageTag | None = Field(None, description="The device's language, e.g. fr-FR")


class DeviceOut(Schema):
    id: str
    customer_id: str
    platform: Platform
    app: str
    language: str
    token_end: str = Field(description="The token's last characters, to tell the devices apart")
    active: bool
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None
    revoked_reason: str = Field(
        description="unregistered (by the customer), rejected (by the provider), replaced (by a newer device "
        "beyond the limit)"
    )


# -- launches: a journey launched to an audience (see comptoir.engagement.launches) -------------------------

Segment = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
CustomerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
MAX_LAUNCH_IDS = 1000


class Audience(Schema):
    """Who a launch enters: the active customers matching every condition given (segments: any of them),
    or ``everyone``; with the journey's own entry conditions on top, and not in the journey yet unless
    ``reenter``."""

    segments_any: Annotated[list[Segment], Field(max_length=50)] = []
    loyalty_tiers: Annotated[list[Code], Field(max_length=20)] = []
    customer_ids: Annotated[list[CustomerId], Field(max_length=MAX_LAUNCH_IDS)] = Field(
        [], description=f"These customers only (at most {MAX_LAUNCH_IDS}; merged ids count as the survivor)"
    )
    everyone: bool = Field(False, description="Every active customer (no segment, tier or id given)")
    consent_required: bool = Field(
        True,
        description="Enter only customers with an opt-in for the journey's purpose on one of its channels "
        "(consent is checked again when each message is due)",
    )
    reenter: bool = Field(
        False,
        description="Customers already in the journey (an earlier launch) enter it again, under this launch; "
        "by default they are left out",
    )

    @model_validator(mode="after")
    def _someone(self) -> Audience:
        chosen = bool(self.segments_any or self.loyalty_tiers or self.customer_ids)
        if self.everyone and chosen:
            raise ValueError("everyone excludes segments, loyalty tiers and customer ids")
        if not (self.everyone or chosen):
            raise ValueError("choose segments, loyalty tiers, customer ids, or everyone")
        return self


class LaunchIn(Schema):
    audience: Audience
    dry_run: bool = Field(False, description="Only count who would enter: nothing is written")


LaunchState = Literal["running", "done"]


class LaunchOut(Schema):
    id: str
    journey_code: str
    version: int = Field(description="The journey's version the customers enter (0: built in)")
    audience: Audience
    state: LaunchState = Field(description="running: customers are still being entered (by the worker)")
    matched: int = Field(description="Customers of the audience reached so far")
    entered: int = Field(description="Of which entered the journey (the others already were)")
    messages: int = Field(description="Messages scheduled for them")
    batches: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None = Field(description="From the first batch to the last")


class AudienceCount(Schema):
    """A dry run: how many customers the audience holds now (nothing written)."""

    journey_code: str
    version: int
    audience: Audience
    matched: int
    dry_run: Literal[True] = True


# -- surveys (see comptoir.engagement.surveys) ----------------------------------------------------------

SurveyKind = Literal["nps", "csat"]
SurveyState = Literal["provisional", "confirmed", "ambiguous"]
SurveyPeriod = Literal["day", "week", "month"]


class SurveyAnswerIn(Schema):
    """The signed-in customer's answer to one of their survey messages (an app's survey: the push carries
    the message's id). Answering again replaces the answer."""

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    score: Annotated[int, Field(ge=0, le=10, description="NPS: 0 to 10; CSAT: 1 to 5")]
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class SurveyAnswerOut(Schema):
    id: str
    message_id: str | None = Field(description="The survey message answered (null once anonymised)")
    customer_id: str | None = Field(description="Null once the person was erased (the score stays)")
    kind: SurveyKind
    score: int
    state: SurveyState = Field(
        description="provisional: clicked in the message, not confirmed; confirmed: the customer's word; "
        "ambiguous: several scores clicked, none confirmed (a mail scanner opening every link)"
    )
    counted: bool = Field(description="Whether it counts in the statistics (provisional or confirmed)")
    comment: str
    touchpoint: str = Field(description="order | appointment | live_session | service_ticket")
    subject_id: str | None
    place_id: str | None = Field(description="The shop")
    advisor_id: str | None = Field(description="The employee: the advisor or the seller")
    channel: str = Field(
        description="Where the customer met the retailer: web, app, store, call-centre, live"
    )
    language: str
    answered_at: datetime


class NpsOut(Schema):
    answers: int
    promoters: int = Field(description="Scores of 9 and 10")
    passives: int = Field(description="Scores of 7 and 8")
    detractors: int = Field(description="Scores of 0 to 6")
    nps: float | None = Field(description="% promoters - % detractors, -100 to 100 (null: no answer)")


class CsatOut(Schema):
    answers: int
    satisfied: int = Field(description="Scores of 4 and 5")
    mean: float | None = Field(description="The mean score, 1 to 5 (null: no answer)")
    satisfied_percent: float | None = Field(description="The share of satisfied answers, in percent")


class SurveyGroupOut(Schema):
    key: str | None = Field(description="The shop, advisor, channel, touchpoint or period (null: none known)")
    label: str = Field(description="Its name (a shop's, an employee's) or the key")
    nps: NpsOut
    csat: CsatOut


class SurveyStatsOut(Schema):
    """NPS and CSAT over the answers that count, overall and by shop, advisor, channel, touchpoint and
    period (every period of the range, answered or not, in order)."""

    since: date
    until: date
    period: SurveyPeriod
    timezone: str = Field(description="The retailer's: days, weeks and months are on its clock")
    place_ids: list[str] | None = Field(description="The shops read (null: every answer)")
    overall: SurveyGroupOut
    by_shop: list[SurveyGroupOut]
    by_advisor: list[SurveyGroupOut]
    by_channel: list[SurveyGroupOut]
    by_touchpoint: list[SurveyGroupOut]
    by_period: list[SurveyGroupOut]

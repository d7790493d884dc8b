"""engagement: A/B experiments of a journey step's message — the customers' groups, what each receives,
and the decision (the statistics are :mod:`comptoir.engagement.variants`', the counts
:mod:`comptoir.engagement.experiments_stats`').

A marketing step may carry an :class:`~comptoir.engagement.schemas.ExperimentDesign`: variants (a subject
and/or another template each), a holdout, a test share, a metric. Its experiment is one row per journey,
version and step, created with the step's first message; its id is derived from those three, so that the
groups are the same in every process.

1. **Scheduling** (:func:`place`): each message of the step is given the customer's group — a variant's
   key, ``holdout`` or ``rest`` — from a hash of the experiment and the customer (the same customer is
   always in the same group), and the variant's template. A message of the rest waits for the winner
   (``scheduled``, hold code ``ab_waiting``) until the experiment ends — its deadline at the latest, or
   the job's next run past it: the job alone decides what the rest receive, so none of them gets the
   control while a winner is being declared.
2. **Sending** (:func:`apply`, called by the sender on each rendered message): the holdout's message is
   not sent (``skipped``, hold code ``holdout``) — but only once it was due and had passed the consent and
   pressure checks, like the messages sent, so that both groups are alike; its customer counts for orders.
   A variant's subject replaces the template's. Every marketing e-mail (A/B or not) gets the open pixel and
   its links through the click redirect (:mod:`comptoir.engagement.tracking`).
3. **Deciding** (:func:`evaluate_due`, the ``engagement.experiments`` job every 15 minutes, or
   ``POST /v1/engagement/experiments/{id}/decide``): while ``testing``, the variants' counts go through
   :func:`~comptoir.engagement.variants.decide_winner`. A winner is declared only when it is significantly
   better than every other variant with each at its minimum sample: the experiment is ``decided`` and the
   rest's messages are released with the winner. Without a winner by the deadline
   (``decide_within_days`` after the first message was due), the experiment ends ``inconclusive`` and the
   rest receive the **control** — the first variant, the message the retailer would have sent anyway — and
   not the leader: without significance the leader's lead is as likely noise. Once ended, an experiment is
   not evaluated again (each look at the data is a test: looking on would inflate false winners), though
   its results keep being counted.

Customers of the test keep their variant for the experiment's life (the rest gets the winner); the
holdout never receives that step. Opens are inflated by Apple Mail Privacy Protection: prefer ``click``
or ``order``.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from comptoir.core.db import insert_ignore
from comptoir.core.errors import not_found
from comptoir.core.i18n import language_of
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import experiments_stats, tracking, variants
from comptoir.engagement.mail_types import Rendered
from comptoir.engagement.models import Delivery, Experiment, Message
from comptoir.engagement.schemas import ExperimentDesign, ExperimentOut, Step, Variant
from comptoir.engagement.variants import HOLDOUT, REST

WAITING = "ab_waiting"  # the hold code of a message of the rest waiting for the winner
HELD_OUT = "holdout"  # the hold code of a held-out customer's message (skipped)
TESTING, DECIDED, INCONCLUSIVE = "testing", "decided", "inconclusive"
METRICS: dict[str, variants.Metric] = {"open": "opened", "click": "clicked", "order": "converted"}
RECHECK = timedelta(minutes=15)  # the job's period: a message of the rest past the deadline waits for it


def experiment_id(journey_code: str, version: int, step: str) -> str:
    """The experiment of a journey version's step: the same id (and so the same groups) everywhere."""
    digest = hashlib.sha256(f"{journey_code}\x1f{version}\x1f{step}".encode()).hexdigest()
    return f"exp_{digest[:32]}"


def design_of(row: Experiment) -> ExperimentDesign:
    return ExperimentDesign.model_validate(row.design)


def plan_of(row: Experiment) -> variants.Experiment:
    design = design_of(row)
    return variants.Experiment(
        row.id,
        tuple(variants.Arm(v.key, float(v.weight)) for v in design.variants),
        holdout_share=design.holdout_percent / 100,
        test_share=design.test_percent / 100,
        metric=METRICS[design.metric],
    )


def variant_of(row: Experiment, key: str) -> Variant:
    """A variant of the design (the control, the first, for a key it no longer has)."""
    design = design_of(row)
    return next((v for v in design.variants if v.key == key), design.variants[0])


def template_of(row: Experiment, key: str) -> str:
    return variant_of(row, key).template or row.template


# -- scheduling ------------------------------------------------------------------------------------------


def ensure(uow: UnitOfWork, journey_code: str, version: int, step: Step, due: datetime) -> Experiment:
    """The step's experiment, created with its first message (by whichever transaction comes first)."""
    eid = experiment_id(journey_code, version, step.key)
    row = uow.session.get(Experiment, eid)
    if row is not None:
        return row
    assert step.experiment is not None
    design = step.experiment
    insert_ignore(
        uow.session,
        Experiment,
        [
            {
                "id": eid,
                "journey_code": journey_code,
                "version": version,
                "step": step.key,
                "template": step.template,
                "design": design.model_dump(mode="json"),
                "phase": TESTING,
                "winner": "",
                "rest_variant": "",
                "started_at": due,
                "deadline_at": due + timedelta(days=design.decide_within_days),
                "decided_at": None,
                "evaluated_at": None,
                "verdict": "",
                "stats": {},
            }
        ],
    )
    found = uow.session.get(Experiment, eid)
    assert found is not None
    return found


def place(uow: UnitOfWork, message: Message, step: Step, version: int) -> None:
    """Put a newly scheduled message of an A/B step in the customer's group, with its variant's template;
    a message of the rest waits for the winner."""
    if step.experiment is None or message.status != "scheduled":
        return
    row = ensure(uow, message.journey_code, version, step, message.planned_at)
    group = plan_of(row).assign(message.customer_id)
    message.experiment_id, message.variant = row.id, group
    if group == HOLDOUT:
        return  # skipped when due, after the same checks as the others
    if group == REST:
        if not row.rest_variant:
            _wait(message, row, message.created_at)
            return
        group = row.rest_variant
    message.template = template_of(row, group)


def _wait(message: Message, row: Experiment, now: datetime) -> None:
    """Hold a message of the rest until the experiment's deadline (released as soon as it ends); past the
    deadline, until the job's next run, which ends the experiment — the job alone decides what the rest
    receives, so that none of them gets the control while a winner is being declared."""
    due = max(message.planned_at, row.deadline_at)
    message.due_at = due if due > now else now + RECHECK
    message.hold_code = WAITING
    message.hold_reason = (
        "Waits for the A/B test's winner, at the latest until "
        f"{row.deadline_at:%Y-%m-%d %H:%M} UTC (then the control goes)."
    )


# -- sending ---------------------------------------------------------------------------------------------


def apply(
    uow: UnitOfWork, settings: Settings, message: Message, rendered: Rendered, lang: str, now: datetime
) -> Rendered | None:
    """The message as it goes: its variant's subject, and for a marketing e-mail the open pixel and the
    tracked links. ``None``: it does not go now — held out (``skipped``), or of the rest and waiting for
    the winner (still ``scheduled``, later), or to be rendered again from its variant's template."""
    row = uow.session.get(Experiment, message.experiment_id) if message.experiment_id else None
    if row is not None:
        key = _to_send(uow, row, message, now)
        if key is None:
            return None
        subject = variant_of(row, key).subject
        if subject is not None and message.channel == "email":
            rendered = replace(rendered, subject=subject.en if language_of(lang) == "en" else subject.fr)
    if message.channel == "email" and message.purpose == "marketing":
        rendered = tracking.track(settings, message.id, rendered)
    return rendered


def _to_send(uow: UnitOfWork, row: Experiment, message: Message, now: datetime) -> str | None:
    if message.variant == HOLDOUT:
        message.status, message.hold_code, message.lease_until, message.updated_at = (
            "skipped",
            HELD_OUT,
            None,
            now,
        )
        message.hold_reason = "Held out of the A/B test: sent nothing, to measure what the message brings."
        uow.session.add(
            Delivery(
                id=new_id("dlv"), message_id=message.id, kind="skipped", at=now, detail=message.hold_reason
            )
        )
        return None
    if message.variant != REST:
        return message.variant
    chosen = row.rest_variant
    if not chosen:
        _wait(message, row, now)
        message.updated_at = now
        return None
    template = template_of(row, chosen)
    if template != message.template:  # chosen since it was scheduled: written from that template next run
        message.template, message.due_at, message.updated_at = template, now, now
        message.hold_code, message.hold_reason = "", ""
        return None
    return chosen


# -- deciding --------------------------------------------------------------------------------------------


def evaluate(uow: UnitOfWork, row: Experiment, now: datetime) -> None:
    """Look at a testing experiment's counts: declare the winner when there is one; past the deadline
    without one, end it inconclusive. Either way the rest's messages go."""
    if row.phase != TESTING:
        return
    design = design_of(row)
    counts = experiments_stats.counts(uow, row.id)
    verdict = experiments_stats.verdict(counts, design)
    row.evaluated_at, row.stats = now, experiments_stats.snapshot(counts, design, verdict)
    row.verdict = verdict.reason[:500]
    if verdict.winner is not None:
        row.phase, row.winner, row.rest_variant, row.decided_at = DECIDED, verdict.winner, verdict.winner, now
    elif now >= row.deadline_at:
        control = design.variants[0].key
        row.phase, row.rest_variant, row.decided_at = INCONCLUSIVE, control, now
        row.verdict = (
            f"No winner by the deadline ({verdict.reason}): the rest receive the control, {control}."[:500]
        )
    else:
        return
    release(uow, row, now)


def release(uow: UnitOfWork, row: Experiment, now: datetime) -> int:
    """The rest's messages still to go, with the variant they receive now (those waiting go at once, or
    when they were planned). A message a sender holds right now is skipped: the sender resolves it."""
    if not row.rest_variant:
        return 0
    template = template_of(row, row.rest_variant)
    pending = uow.session.scalars(
        select(Message)
        .where(Message.experiment_id == row.id, Message.variant == REST, Message.status == "scheduled")
        .with_for_update(skip_locked=True)
    ).all()
    released = 0
    for message in pending:
        message.template, message.updated_at = template, now
        if message.hold_code == WAITING:
            message.due_at, message.hold_code, message.hold_reason = max(message.planned_at, now), "", ""
            released += 1
    return released


def evaluate_due(uow: UnitOfWork, now: datetime) -> int:
    """The job: evaluate every testing experiment; release the rest's messages scheduled after their
    experiment ended (the engine read it testing just before). Returns the experiments that ended."""
    ended = 0
    testing = uow.session.scalars(
        select(Experiment)
        .where(Experiment.phase == TESTING)
        .order_by(Experiment.id)
        .with_for_update(skip_locked=True)
    ).all()
    for row in testing:
        evaluate(uow, row, now)
        ended += int(row.phase != TESTING)
    late = uow.session.scalars(
        select(Message.experiment_id)
        .where(Message.variant == REST, Message.status == "scheduled", Message.hold_code == WAITING)
        .distinct()
    ).all()
    for eid in late:
        ended_row = uow.session.get(Experiment, eid)
        if ended_row is not None and ended_row.phase != TESTING:
            release(uow, ended_row, now)
    return ended


# -- reading ---------------------------------------------------------------------------------------------


def list_experiments(uow: UnitOfWork) -> list[ExperimentOut]:
    rows = uow.session.scalars(select(Experiment).order_by(Experiment.started_at.desc(), Experiment.id)).all()
    return [experiments_stats.result(uow, row) for row in rows]


def get_experiment(uow: UnitOfWork, eid: str) -> ExperimentOut:
    row = uow.session.get(Experiment, eid)
    if row is None:
        raise not_found("Experiment", eid)
    return experiments_stats.result(uow, row)


def decide(uow: UnitOfWork, eid: str, now: datetime) -> ExperimentOut:
    """Evaluate an experiment now (the job does it every 15 minutes): a winner only if significant."""
    row = uow.session.get(Experiment, eid, with_for_update=True)
    if row is None:
        raise not_found("Experiment", eid)
    evaluate(uow, row, now)
    uow.session.flush()
    return experiments_stats.result(uow, row)

"""engagement: an A/B experiment's counts and results, and the orders attributed to its messages.

Everything is counted per customer, from the messages and their delivery log: a variant's ``sent`` are the
customers its message was accepted for (``sent``); ``opened`` those with an open or a click logged (a
click proves the open the pixel may have missed); ``clicked`` those with a click; ``ordered`` those with
an order attributed. The holdout's customers are those whose message was held out when due, and its
``ordered`` those of them who ordered all the same.

An order is attributed (:func:`attribute_order`, on ``orders.order_placed``) to the customer's latest
message of each experiment sent — or, for the holdout, held out — within the experiment's
``order_window_days`` before it: one ``ordered`` line in that message's delivery log, naming the order.
The experiment's row keeps only aggregates (counts, rates, p-values): a person's erasure deletes their
messages and logs, and the live counts with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select

from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import variants
from comptoir.engagement.models import Delivery, Experiment, Message
from comptoir.engagement.schemas import (
    ExperimentDesign,
    ExperimentOut,
    HoldoutResult,
    VariantResult,
)
from comptoir.engagement.variants import HOLDOUT, REST

_HELD_OUT = "holdout"  # the hold code of a held-out message (experiments.HELD_OUT)
_WAITING = "ab_waiting"  # experiments.WAITING
_METRICS: dict[str, variants.Metric] = {"open": "opened", "click": "clicked", "order": "converted"}


@dataclass
class Counts:
    """Customers per group (a variant's key, ``rest``, ``holdout``) and outcome."""

    sent: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)
    clicked: dict[str, int] = field(default_factory=dict)
    ordered: dict[str, int] = field(default_factory=dict)
    waiting: int = 0

    def outcome(self, key: str) -> variants.ArmOutcome:
        return variants.ArmOutcome(
            key,
            self.sent.get(key, 0),
            opened=self.opened.get(key, 0),
            clicked=self.clicked.get(key, 0),
            converted=self.ordered.get(key, 0),
        )


def _exposed() -> Any:
    """A message that reached its customer's group: sent, or held out when due."""
    held_out = and_(Message.variant == HOLDOUT, Message.status == "skipped", Message.hold_code == _HELD_OUT)
    return or_(Message.status == "sent", held_out)


def counts(uow: UnitOfWork, eid: str) -> Counts:
    out = Counts()
    mine = (Message.experiment_id == eid) & _exposed()
    customers = func.count(distinct(Message.customer_id))
    for group, n in uow.session.execute(
        select(Message.variant, customers).where(mine).group_by(Message.variant)
    ):
        out.sent[group] = n
    logged = select(Message.variant, customers).join(Delivery, Delivery.message_id == Message.id).where(mine)
    for target, kinds in (
        (out.opened, ("opened", "clicked")),
        (out.clicked, ("clicked",)),
        (out.ordered, ("ordered",)),
    ):
        for group, n in uow.session.execute(logged.where(Delivery.kind.in_(kinds)).group_by(Message.variant)):
            target[group] = n
    out.waiting = int(
        uow.session.scalar(
            select(func.count()).where(
                Message.experiment_id == eid,
                Message.variant == REST,
                Message.status == "scheduled",
                Message.hold_code == _WAITING,
            )
        )
        or 0
    )
    return out


def verdict(found: Counts, design: ExperimentDesign) -> variants.Verdict:
    arms = [found.outcome(v.key) for v in design.variants]
    return variants.decide_winner(arms, _METRICS[design.metric], design.alpha, design.min_sample)


def _lift(found: Counts, design: ExperimentDesign) -> variants.Lift | None:
    if design.holdout_percent == 0:
        return None
    treated = [found.outcome(v.key) for v in design.variants] + [found.outcome(REST)]
    return variants.holdout_lift(treated, found.outcome(HOLDOUT), design.alpha, design.min_sample)


def snapshot(found: Counts, design: ExperimentDesign, decided: variants.Verdict) -> dict[str, Any]:
    """What the experiment's row keeps of an evaluation: counts per group, the p-value — no one's id."""
    groups = [v.key for v in design.variants] + [REST, HOLDOUT]
    return {
        "groups": {
            key: {"sent": o.sent, "opened": o.opened, "clicked": o.clicked, "ordered": o.converted}
            for key in groups
            for o in [found.outcome(key)]
        },
        "leader": decided.leader,
        "p_value": decided.p_value,
    }


def result(uow: UnitOfWork, row: Experiment) -> ExperimentOut:
    """An experiment with its live counts; the p-values compare the leader with each other variant."""
    design = ExperimentDesign.model_validate(row.design)
    found = counts(uow, row.id)
    live = verdict(found, design)
    against = {c.other: c.adjusted_p for c in live.comparisons}
    results = []
    for v in design.variants:
        o = found.outcome(v.key)
        results.append(
            VariantResult(
                key=v.key,
                subject=v.subject,
                template=v.template or row.template,
                sent=o.sent,
                opened=o.opened,
                clicked=o.clicked,
                ordered=o.converted,
                open_rate=o.rate("opened"),
                click_rate=o.rate("clicked"),
                order_rate=o.rate("converted"),
                p_value=against.get(v.key),
            )
        )
    lift, held = _lift(found, design), found.outcome(HOLDOUT)
    holdout = None
    if lift is not None:
        holdout = HoldoutResult(
            customers=held.sent,
            ordered=held.converted,
            order_rate=held.rate("converted"),
            p_value=lift.comparison.p_value,
            verdict=lift.reason,
        )
    ended = row.phase != "testing"
    return ExperimentOut(
        id=row.id,
        journey_code=row.journey_code,
        version=row.version,
        step=row.step,
        phase=row.phase,
        design=design,
        winner=row.winner or None,
        rest_variant=row.rest_variant or None,
        started_at=row.started_at,
        deadline_at=row.deadline_at,
        decided_at=row.decided_at,
        evaluated_at=row.evaluated_at,
        p_value=row.stats.get("p_value") if ended else live.p_value,
        verdict=row.verdict if ended else live.reason,
        variants=results,
        holdout=holdout,
        rest_sent=found.sent.get(REST, 0),
        rest_waiting=found.waiting,
    )


# -- orders ----------------------------------------------------------------------------------------------


def attribute_order(uow: UnitOfWork, customer_id: str, order_id: str, at: datetime) -> int:
    """Attribute an order placed at ``at`` to the customer's latest message of each experiment sent (or
    held out) within its window before: an ``ordered`` line in that message's log. Returns the lines
    written (none twice for one order)."""
    rows = uow.session.execute(
        select(Message.id, Message.experiment_id, Message.sent_at, Message.updated_at, Message.status).where(
            Message.customer_id == customer_id, Message.experiment_id != "", _exposed()
        )
    ).all()
    latest: dict[str, tuple[datetime, str]] = {}
    windows: dict[str, timedelta] = {}
    for message_id, eid, sent_at, updated_at, status in rows:
        exposed_at = sent_at if status == "sent" and sent_at is not None else updated_at
        if eid not in windows:
            row = uow.session.get(Experiment, eid)
            days = ExperimentDesign.model_validate(row.design).order_window_days if row is not None else 0
            windows[eid] = timedelta(days=days)
        if not (at - windows[eid] <= exposed_at <= at):
            continue
        if eid not in latest or exposed_at > latest[eid][0]:
            latest[eid] = (exposed_at, message_id)
    written = 0
    for _, message_id in latest.values():
        seen = uow.session.scalar(
            select(Delivery.id).where(
                Delivery.message_id == message_id, Delivery.kind == "ordered", Delivery.detail == order_id
            )
        )
        if seen is None:
            uow.session.add(
                Delivery(id=new_id("dlv"), message_id=message_id, kind="ordered", at=at, detail=order_id)
            )
            written += 1
    return written

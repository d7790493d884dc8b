"""engagement: a launch's writes — one batch of an audience entered in a journey, set-based.

A batch of customers becomes one multi-row ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` of instances
(the unique key — journey, customer, subject — lets nobody in twice: the same launch run again, or run by
two processes at once, enters each customer once; what comes back is who entered now) and the messages of
those who entered, in one multi-row ``INSERT`` per batch. Every customer's message of a step is planned
from the same instant (the launch's) in the customer's time zone: the planned times are computed once per
distinct time zone and step, not per customer — a million customers in France and its overseas
departments make a handful of zones.

On PostgreSQL the rows travel as one array per column (``INSERT … SELECT … FROM unnest(…)``): a handful of
parameters per statement instead of one per value, so neither SQLAlchemy's per-row parameter processing
nor the statement's size grows with the batch — psycopg sends each list as one array. Elsewhere (SQLite),
SQLAlchemy Core's ``insertmanyvalues`` writes the same rows as multi-row ``VALUES``. Both write exactly the
same rows (the tests run on both).

A step with an A/B experiment gets what :func:`comptoir.engagement.experiments.place` gives a message the
engine schedules: the customer's group (a variant, the holdout or the rest), its variant's template, and
for the rest, the wait for the winner. The experiment row and its plan are read once per step and launch
run; each customer's group is a hash computed in Python, passed to the statement with the batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core.ids import uuid7
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import experiments, timing, variants
from comptoir.engagement.models import Instance, Message
from comptoir.engagement.schemas import JourneyDefinition, Step
from comptoir.stores import service as stores

INSTANCES = cast(Table, Instance.__table__)
MESSAGES = cast(Table, Message.__table__)
TOO_LATE = "Meant for before the event that made it due: not sent late."


@lru_cache(maxsize=64)
def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class Planned:
    """One step's message on one channel, as planned in one time zone."""

    step: Step
    channel: str
    planned_at: datetime
    late: bool


@dataclass
class Plan:
    """What every customer of a launch enters with: the journey, the launch's instant, the steps that go
    when it is launched, and their planned times by time zone (computed on first use of each zone)."""

    launch_id: str
    definition: JourneyDefinition
    version: int
    launched_at: datetime
    default_zone: str  # the retailer's (settings.timezone)
    reenter: bool = False  # customers already in the journey (another launch) enter again
    _by_zone: dict[str, list[Planned]] = field(default_factory=dict)
    _zone_of_postcode: dict[str | None, str] = field(default_factory=dict)
    _experiments: dict[str, Grouping] = field(default_factory=dict)

    @property
    def steps(self) -> list[Step]:
        return [s for s in self.definition.steps if s.on is None]

    @property
    def facts(self) -> dict[str, Any]:
        return {"launch_id": self.launch_id}

    def zone_of(self, postcode: str | None) -> str:
        """The customer's time zone as the sender reads it (:func:`comptoir.engagement.audience.timezone_of`
        with no zone in the facts): their postcode's overseas department's, else the retailer's."""
        found = self._zone_of_postcode.get(postcode)
        if found is None:
            zone = _zone(stores.overseas_timezone(postcode)) if postcode else None
            zone = zone or _zone(self.default_zone) or ZoneInfo("Europe/Paris")
            found = self._zone_of_postcode[postcode] = zone.key
        return found

    def planned(self, zone: str) -> list[Planned]:
        """Each step's message per channel in ``zone`` (the same for every customer there)."""
        found = self._by_zone.get(zone)
        if found is None:
            tz = ZoneInfo(zone)
            found = []
            for step in self.steps:
                at = timing.planned(step.timing, self.launched_at, tz)
                late = timing.too_late(at, self.launched_at)
                found += [Planned(step, channel, at, late) for channel in step.channels]
            self._by_zone[zone] = found
        return found

    def experiment(self, uow: UnitOfWork, step: Step, due: datetime) -> Grouping:
        """An A/B step's experiment (created with its first message) as the launch groups customers, read
        once for the whole run (its batches may be written by other threads, in other transactions)."""
        found = self._experiments.get(step.key)
        if found is None:
            row = experiments.ensure(uow, self.definition.code, self.version, step, due)
            design = experiments.design_of(row)
            found = self._experiments[step.key] = Grouping(
                id=row.id,
                plan=experiments.plan_of(row),
                templates={v.key: experiments.template_of(row, v.key) for v in design.variants},
                rest_variant=row.rest_variant,
                deadline_at=row.deadline_at,
            )
        return found


@dataclass(frozen=True)
class Grouping:
    """An A/B step's experiment as a launch reads it once: what :func:`~.experiments.place` needs."""

    id: str
    plan: variants.Experiment
    templates: dict[str, str]  # by variant key (the first: the control)
    rest_variant: str  # "" while undecided
    deadline_at: datetime

    def fields(self, customer_id: str, p: Planned, now: datetime) -> dict[str, Any]:
        """What :func:`~.experiments.place` sets on a scheduled message of the step for this customer."""
        group = self.plan.assign(customer_id)
        fields: dict[str, Any] = {"experiment_id": self.id, "variant": group}
        if group == variants.HOLDOUT:
            return fields  # skipped when due, after the same checks as the others
        if group == variants.REST and not self.rest_variant:
            due = max(p.planned_at, self.deadline_at)
            return fields | {
                "due_at": due if due > now else now + experiments.RECHECK,
                "hold_code": experiments.WAITING,
                "hold_reason": "Waits for the A/B test's winner, at the latest until "
                f"{self.deadline_at:%Y-%m-%d %H:%M} UTC (then the control goes).",
            }
        key = self.rest_variant if group == variants.REST else group
        return fields | {"template": self.templates.get(key) or next(iter(self.templates.values()))}


def groups(
    uow: UnitOfWork,
    plan: Plan,
    ids: list[str],
    members: Sequence[customers.Member],
    zones: list[str],
    now: datetime,
) -> dict[str, dict[str, Any]]:
    """By message id, the A/B fields of the scheduled messages of the plan's A/B steps (none: no A/B)."""
    if all(step.experiment is None for step in plan.steps):
        return {}
    found = {}
    for instance_id, member, zone in zip(ids, members, zones, strict=True):
        for k, p in enumerate(plan.planned(zone)):
            if p.step.experiment is not None and not p.late:
                grouping = plan.experiment(uow, p.step, p.planned_at)
                found[message_id(instance_id, k)] = grouping.fields(member.id, p, now)
    return found


def enter(uow: UnitOfWork, plan: Plan, members: Sequence[customers.Member], now: datetime) -> tuple[int, int]:
    """Enter ``members`` in the plan's journey and schedule their messages: (entered, messages). Those
    already in it (this launch's earlier run, another process running it) are left as they are."""
    if not members:
        return 0, 0
    zones = [plan.zone_of(m.postcode) for m in members]
    ids = batch_ids("jin", len(members))
    ab = groups(uow, plan, ids, members, zones, now)
    if uow.dialect == "postgresql":
        return _enter_pg(uow, plan, ids, members, zones, ab, now)
    entered = _instances(uow, plan, ids, members, now)
    zone_of = {m.id: zone for m, zone in zip(members, zones, strict=True)}
    rows = [
        _message(plan, instance_id, customer_id, k, p, now)
        for instance_id, customer_id in entered
        for k, p in enumerate(plan.planned(zone_of[customer_id]))
    ]
    for row in rows:
        row |= ab.get(row["id"], {})
    if rows:
        uow.session.execute(insert(MESSAGES), rows)
    return len(entered), len(rows)


_RANDOM_BITS = 62  # a UUIDv7's rand_b


def batch_ids(prefix: str, count: int) -> list[str]:
    """``count`` ids as :func:`comptoir.core.ids.new_id` makes them, at a fraction of the cost: one UUIDv7,
    then its successors (RFC 9562's monotonic random method: the random bits counted up), so a batch's ids
    are unique, time-ordered and sorted."""
    first = uuid7().int
    random = first & ((1 << _RANDOM_BITS) - 1)
    if random + count >= 1 << _RANDOM_BITS:  # no carry into the variant bits
        first -= count
    return [f"{prefix}_{first + n:032x}" for n in range(count)]


def message_id(instance_id: str, k: int) -> str:
    """A launched message's id: its instance's (time-ordered, unique) and the step and channel's rank."""
    return f"msg_{instance_id.removeprefix('jin_')}_{k:02d}"


def _instances(
    uow: UnitOfWork, plan: Plan, ids: list[str], members: Sequence[customers.Member], now: datetime
) -> list[tuple[str, str]]:
    """Insert the instances (SQLite); (instance id, customer id) of those inserted now."""
    if not plan.reenter:
        already = set(
            uow.session.scalars(
                select(INSTANCES.c.customer_id).where(
                    INSTANCES.c.journey_code == plan.definition.code,
                    INSTANCES.c.customer_id.in_([m.id for m in members]),
                )
            )
        )
        ids, members = (
            [i for i, m in zip(ids, members, strict=True) if m.id not in already],
            [m for m in members if m.id not in already],
        )
    rows = [
        {
            "id": instance_id,
            "journey_code": plan.definition.code,
            "version": plan.version,
            "customer_id": member.id,
            "subject": plan.launch_id,
            "state": "active",
            "facts": plan.facts,
            "started_at": now,
            "ended_at": None,
            "exit_reason": "",
        }
        for instance_id, member in zip(ids, members, strict=True)
    ]
    if not rows:
        return []
    stmt = (
        sqlite_insert(INSTANCES).on_conflict_do_nothing().returning(INSTANCES.c.id, INSTANCES.c.customer_id)
    )
    return [(row[0], row[1]) for row in uow.session.execute(stmt, rows)]


def _message(
    plan: Plan, instance_id: str, customer_id: str, k: int, p: Planned, now: datetime
) -> dict[str, Any]:
    return {
        "id": message_id(instance_id, k),
        "instance_id": instance_id,
        "journey_code": plan.definition.code,
        "step": p.step.key,
        "occurrence": 0,
        "channel": p.channel,
        "customer_id": customer_id,
        "template": p.step.template,
        "purpose": p.step.purpose or plan.definition.purpose,
        "priority": p.step.priority,
        "on_collision": p.step.on_collision,
        "status": "skipped" if p.late else "scheduled",
        "planned_at": p.planned_at,
        "due_at": p.planned_at,
        "hold_code": "too_late" if p.late else "",
        "hold_reason": TOO_LATE if p.late else "",
        "lease_until": None,
        "attempts": 0,
        "reference": "",
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
        "experiment_id": "",
        "variant": "",
    }


def _enter_pg(
    uow: UnitOfWork,
    plan: Plan,
    ids: list[str],
    members: Sequence[customers.Member],
    zones: list[str],
    ab: dict[str, dict[str, Any]],
    now: datetime,
) -> tuple[int, int]:
    """PostgreSQL: one statement — the instances inserted from arrays, and the messages of those entered
    joined with the plan's rows (one per zone, step and channel), sent as arrays too; the A/B steps'
    messages joined with their customer's group (``ab``, by message id)."""
    planned = [(zone, k, p) for zone in sorted(set(zones)) for k, p in enumerate(plan.planned(zone))]
    d = plan.definition
    entered, messages = uow.session.execute(
        _PG_ENTER,
        {
            "ids": ids,
            "customers": [m.id for m in members],
            "zones": zones,
            "code": d.code,
            "version": plan.version,
            "subject": plan.launch_id,
            "facts": json.dumps(plan.facts),
            "reenter": plan.reenter,
            "now": now,
            "too_late": TOO_LATE,
            "p_zones": [zone for zone, _, _ in planned],
            "p_ranks": [k for _, k, _ in planned],
            "p_steps": [p.step.key for _, _, p in planned],
            "p_channels": [p.channel for _, _, p in planned],
            "p_templates": [p.step.template for _, _, p in planned],
            "p_purposes": [p.step.purpose or d.purpose for _, _, p in planned],
            "p_priorities": [p.step.priority for _, _, p in planned],
            "p_collisions": [p.step.on_collision for _, _, p in planned],
            "p_planned": [p.planned_at for _, _, p in planned],
            "p_late": [p.late for _, _, p in planned],
            "a_ids": list(ab),
            "a_experiments": [g["experiment_id"] for g in ab.values()],
            "a_variants": [g["variant"] for g in ab.values()],
            "a_templates": [g.get("template") for g in ab.values()],
            "a_due": [g.get("due_at") for g in ab.values()],
            "a_holds": [g.get("hold_code") for g in ab.values()],
            "a_reasons": [g.get("hold_reason") for g in ab.values()],
        },
    ).one()
    return int(entered), int(messages)


# Those already in the journey stay out (unless the launch says reenter); the instances' unique key lets
# nobody in twice (the same launch run again, or by two processes); the messages are those of the instances
# inserted now
# (RETURNING), each joined with its customer's zone and the plan's rows for that zone. The messages' foreign
# key is checked at the end of the statement, when the instances are in.
_PG_ENTER = text(
    """
    WITH u AS (
        SELECT * FROM unnest(
            CAST(:ids AS VARCHAR[]), CAST(:customers AS VARCHAR[]), CAST(:zones AS VARCHAR[])
        ) AS u(id, customer_id, zone)
    ), entered AS (
        INSERT INTO engagement_instances
            (id, journey_code, version, customer_id, subject, state, facts, started_at, ended_at, exit_reason)
        SELECT u.id, CAST(:code AS VARCHAR), CAST(:version AS INTEGER), u.customer_id,
               CAST(:subject AS VARCHAR), 'active', CAST(:facts AS JSONB), CAST(:now AS TIMESTAMPTZ), NULL, ''
        FROM u
        WHERE CAST(:reenter AS BOOLEAN) OR NOT EXISTS (
            SELECT 1 FROM engagement_instances i
            WHERE i.journey_code = CAST(:code AS VARCHAR) AND i.customer_id = u.customer_id
        )
        ON CONFLICT DO NOTHING
        RETURNING id, customer_id
    ), planned AS (
        SELECT * FROM unnest(
            CAST(:p_zones AS VARCHAR[]), CAST(:p_ranks AS INTEGER[]), CAST(:p_steps AS VARCHAR[]),
            CAST(:p_channels AS VARCHAR[]), CAST(:p_templates AS VARCHAR[]), CAST(:p_purposes AS VARCHAR[]),
            CAST(:p_priorities AS INTEGER[]), CAST(:p_collisions AS VARCHAR[]),
            CAST(:p_planned AS TIMESTAMPTZ[]), CAST(:p_late AS BOOLEAN[])
        ) AS p(zone, k, step, channel, template, purpose, priority, on_collision, planned_at, late)
    ), ab AS (
        SELECT * FROM unnest(
            CAST(:a_ids AS VARCHAR[]), CAST(:a_experiments AS VARCHAR[]), CAST(:a_variants AS VARCHAR[]),
            CAST(:a_templates AS VARCHAR[]), CAST(:a_due AS TIMESTAMPTZ[]), CAST(:a_holds AS VARCHAR[]),
            CAST(:a_reasons AS VARCHAR[])
        ) AS a(id, experiment_id, variant, template, due_at, hold_code, hold_reason)
    ), rows AS (
        SELECT 'msg_' || substr(e.id, 5) || '_' || lpad(p.k::text, 2, '0') AS id, e.id AS instance_id,
               e.customer_id, p.*
        FROM entered e JOIN u ON u.id = e.id JOIN planned p ON p.zone = u.zone
    ), scheduled AS (
        INSERT INTO engagement_messages
            (id, instance_id, journey_code, step, occurrence, channel, customer_id, template, purpose,
             priority, on_collision, status, planned_at, due_at, hold_code, hold_reason, lease_until,
             attempts, reference, sent_at, created_at, updated_at, experiment_id, variant)
        SELECT r.id, r.instance_id, CAST(:code AS VARCHAR),
               r.step, 0, r.channel, r.customer_id, COALESCE(a.template, r.template), r.purpose, r.priority,
               r.on_collision, CASE WHEN r.late THEN 'skipped' ELSE 'scheduled' END, r.planned_at,
               COALESCE(a.due_at, r.planned_at),
               CASE WHEN r.late THEN 'too_late' ELSE COALESCE(a.hold_code, '') END,
               CASE WHEN r.late THEN CAST(:too_late AS VARCHAR) ELSE COALESCE(a.hold_reason, '') END,
               NULL, 0, '', NULL, CAST(:now AS TIMESTAMPTZ), CAST(:now AS TIMESTAMPTZ),
               COALESCE(a.experiment_id, ''), COALESCE(a.variant, '')
        FROM rows r LEFT JOIN ab a ON a.id = r.id
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM entered), (SELECT count(*) FROM scheduled)
    """
)

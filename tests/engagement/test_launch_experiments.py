"""A/B variants on a launched journey: the launch's bulk writes put each customer's message of an A/B step
in the customer's group — the same one the engine would (a hash of the experiment and the customer) —
with its variant's template; the holdout's messages are scheduled like the others (skipped when due),
and the rest's wait for the winner until the experiment's deadline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import experiments, launch_runs
from comptoir.engagement import service as engagement
from comptoir.engagement.models import Experiment, Message
from comptoir.engagement.schemas import (
    Audience,
    ExperimentDesign,
    JourneyDefinition,
    LaunchIn,
    LaunchOut,
    Localised,
    Step,
    Variant,
)
from tests.engagement.test_launches import NOW, crowd

DESIGN = ExperimentDesign(
    variants=[
        Variant(key="a"),
        Variant(key="b", template="welcome", subject=Localised(fr="Bienvenue !", en="Welcome!")),
    ],
    holdout_percent=10,
    test_percent=60,
    metric="click",
    decide_within_days=3,
)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def test_a_launched_ab_step_puts_each_customer_in_their_group(db: Database, settings: Settings) -> None:
    # Given a campaign of the retailer's own whose first step is an A/B test, the second not
    campaign = JourneyDefinition(
        code="decouverte",
        name=Localised(fr="Découvrir la maison", en="Discover the house"),
        trigger="engagement.launched",
        subject_field="launch_id",
        purpose="marketing",
        steps=[
            Step(key="discover", template="welcome_discover", channels=["email"], experiment=DESIGN),
            Step(key="welcome", template="welcome", channels=["email"]),
        ],
    )
    with UnitOfWork(db) as uow:
        engagement.save_journey(uow, "decouverte", campaign, "test")
        uow.commit()
    people = crowd(db, 60)
    # When it is launched to them
    created = engagement.launch_journey(
        db,
        settings,
        SYSTEM,
        "decouverte",
        LaunchIn(audience=Audience(segments_any=["newsletter"])),
        inline_batches=0,
    )
    assert isinstance(created, LaunchOut)
    done = launch_runs.run(db, settings, created.id)
    assert done.entered == 60
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.session.get(Experiment, experiments.experiment_id("decouverte", 1, "discover"))
        assert row is not None and row.started_at == NOW
        plan = experiments.plan_of(row)
        found = {
            (m.customer_id, m.step): m
            for m in uow.session.scalars(select(Message).where(Message.journey_code == "decouverte"))
        }
        uow.session.expunge_all()
    # Then each A/B message is in its customer's group, with its variant's template
    groups: Counter[str] = Counter()
    for customer_id in people:
        message = found[(customer_id, "discover")]
        group = plan.assign(customer_id)
        groups[group] += 1
        assert (message.experiment_id, message.variant) == (row.id, group)
        assert message.status == "scheduled"
        if group == "rest":  # waits for the winner, until the deadline at the latest
            assert (message.hold_code, message.due_at) == ("ab_waiting", NOW + timedelta(days=3))
            assert message.template == "welcome_discover"
        else:
            assert message.hold_code == "" and message.due_at == NOW
            assert message.template == ("welcome" if group == "b" else "welcome_discover")
        # the step without an experiment is everyone's
        other = found[(customer_id, "welcome")]
        assert (other.experiment_id, other.variant, other.template) == ("", "", "welcome")
    assert set(groups) == {"a", "b", "rest", "holdout"}  # 60 customers: every group has some

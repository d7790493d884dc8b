"""Workers on PostgreSQL: two at once, one killed with SIGKILL mid-delivery, then restarted.

Each event must reach the in-process handler exactly once (its effect is a row) and each webhook at
least once, every time with the same ``webhook-id``.
"""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
from sqlalchemy import text

from comptoir.core.db import Base, Database
from comptoir.core.uow import UnitOfWork
from tests.conftest import create_empty_database, drop_database
from tests.support.events import EFFECTS_DDL, ParcelShipped
from tests.support.processes import comptoir_env, start, stop
from tests.support.webhook_receiver import LOCAL_NETWORKS, webhook_receiver

EVENTS = 300


def _counts(db: Database) -> tuple[int, int]:
    with db.engine.connect() as conn:
        effects = conn.execute(text("SELECT count(*) FROM test_effects")).scalar_one()
        pending = conn.execute(
            text("SELECT count(*) FROM core_handler_deliveries WHERE status <> 'done'")
        ).scalar_one()
    return int(effects), int(pending)


@pytest.mark.postgres
@pytest.mark.slow
def test_killed_worker_loses_nothing_and_duplicates_no_handler_effect(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = create_empty_database("postgresql", tmp_path)
    db = Database(url, pool_size=2)
    workers = []
    try:
        Base.metadata.create_all(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text(EFFECTS_DDL))
        with webhook_receiver() as receiver:
            receiver.delay = 0.01
            with UnitOfWork(db) as uow:
                from comptoir.core.webhooks import SubscriptionIn, TargetGuard, create_subscription

                create_subscription(
                    uow,
                    SubscriptionIn(url=receiver.url, event_types=["testing.*"]),
                    guard=TargetGuard(LOCAL_NETWORKS),
                )
                uow.commit()
            events = [ParcelShipped(parcel_id=f"parcel-{i}") for i in range(EVENTS)]
            with UnitOfWork(db) as uow:
                uow.record(*events)
                uow.commit()

            env = comptoir_env(
                url,
                COMPTOIR_PLUGINS="tests.support.events",
                COMPTOIR_TEST_HANDLER_SECONDS="0.01",
                COMPTOIR_DISPATCHER_BATCH_SIZE="20",
                COMPTOIR_DISPATCHER_POLL_SECONDS="0.05",
                COMPTOIR_WEBHOOK_BACKOFF_BASE_SECONDS="0.05",
                COMPTOIR_WEBHOOK_TIMEOUT_SECONDS="2",
                COMPTOIR_WEBHOOK_ALLOWED_NETWORKS=",".join(LOCAL_NETWORKS),
            )
            workers = [start(["worker"], env, tmp_path / f"worker-{n}.log") for n in range(2)]

            # Kill the first worker once work is under way but far from finished.
            deadline = time.monotonic() + 60
            while _counts(db)[0] < EVENTS // 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            done_at_kill, _ = _counts(db)
            assert 0 < done_at_kill < EVENTS, "the kill must land in the middle of the work"
            workers.append(start(["worker"], env, tmp_path / "worker-restarted.log"))

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                effects, pending = _counts(db)
                with db.engine.connect() as conn:
                    webhooks_left = conn.execute(
                        text("SELECT count(*) FROM core_webhook_deliveries WHERE status <> 'succeeded'")
                    ).scalar_one()
                    unfanned = conn.execute(
                        text("SELECT count(*) FROM core_outbox_events WHERE NOT fanned_out")
                    ).scalar_one()
                if effects >= EVENTS and pending == 0 and webhooks_left == 0 and unfanned == 0:
                    break
                time.sleep(0.2)

            with db.engine.connect() as conn:
                per_event = Counter(r[0] for r in conn.execute(text("SELECT event_id FROM test_effects")))
            assert per_event == Counter({e.event_id: 1 for e in events}), "each handler effect exactly once"

            received = Counter(receiver.ids)
            assert set(received) == {e.event_id for e in events}, "each webhook at least once"
            for request in receiver.requests:  # every (re)delivery carries the event's own id
                assert request["headers"]["webhook-id"] == request["json"]["id"]
    finally:
        for proc in workers:
            stop(proc)
        db.dispose()
        drop_database(url)

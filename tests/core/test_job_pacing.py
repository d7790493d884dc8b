"""A running dispatcher tries each job's lease once per period, not on every poll, and spreads the first
tries of a process's jobs over a few seconds (processes started together do not race for every lease)."""

from __future__ import annotations

import threading
import time

from comptoir.core.dispatcher import JOB_START_SPREAD_SECONDS, Dispatcher, DispatcherConfig, Job
from comptoir.core.events import Bus
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def _dispatcher(db, jobs: list[Job]) -> Dispatcher:  # type: ignore[no-untyped-def]
    return Dispatcher(db, Bus(Settings(env="test", database_url=db.url)), DispatcherConfig(), jobs=jobs)


def test_a_running_dispatcher_spreads_its_first_tries_within_each_period(db) -> None:  # type: ignore[no-untyped-def]
    jobs = [Job("test.quick", 2, lambda uow: None), Job("test.hourly", 3600, lambda uow: None)]
    dispatcher = _dispatcher(db, jobs)
    stop = threading.Event()
    stop.set()  # set up, then stop before the first round
    before = time.monotonic()
    dispatcher.run_forever(stop)
    due = dispatcher._job_due
    assert due is not None
    assert before <= due["test.quick"] <= before + 2 + 0.1
    assert before <= due["test.hourly"] <= before + JOB_START_SPREAD_SECONDS + 0.1


def test_a_taken_lease_is_not_tried_again_before_its_period_is_over(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    runs: list[str] = []

    def job(uow: UnitOfWork) -> None:
        runs.append("ran")

    dispatcher = _dispatcher(db, [Job("test.paced", 3600, job)])
    tries: list[str] = []
    take = dispatcher._take_lease
    monkeypatch.setattr(dispatcher, "_take_lease", lambda j: tries.append(j.name) or take(j))
    dispatcher._job_due = {}  # as run_forever leaves it once the first try is due
    for _ in range(5):
        dispatcher.run_due_jobs()
    assert runs == ["ran"]
    assert tries == ["test.paced"]  # one write transaction, not one per round


def test_rounds_run_by_hand_try_every_lease(db) -> None:  # type: ignore[no-untyped-def]
    runs: list[str] = []
    dispatcher = _dispatcher(db, [Job("test.by_hand", 0, lambda uow: runs.append("ran"))])
    dispatcher.run_due_jobs()
    dispatcher.run_due_jobs()
    assert runs == ["ran", "ran"]

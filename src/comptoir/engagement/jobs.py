"""engagement: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

import time

from comptoir.core import clock
from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import birthdays, experiments, launch_runs, sending

SEND_FOR_SECONDS = 10.0


def jobs(settings: Settings) -> list[Job]:
    def send(uow: UnitOfWork) -> None:
        # Its own transactions: the decisions commit before any SMS or push is sent. A full batch means
        # more are due: the next one follows at once (a run every 30 s was 200 messages per 30 s at most),
        # for a third of the job's period (its lease) at most, then the worker's other work goes on.
        until = time.monotonic() + SEND_FOR_SECONDS
        while sending.send_due(uow.db, settings).considered >= sending.BATCH and time.monotonic() < until:
            pass

    def decide(uow: UnitOfWork) -> None:
        # A/B experiments: a winner once significant, then the rest's messages go with it.
        experiments.evaluate_due(uow, clock.now())

    def launch(uow: UnitOfWork) -> None:
        # Launches too large for their request: batches of their own transactions, a slice at a time.
        launch_runs.resume(uow.db, settings)

    def birthday(uow: UnitOfWork) -> None:
        # Today's and tomorrow's birthdays on every clock, a page per transaction; a birthday seen by two
        # runs is told once.
        birthdays.run(uow.db, settings)

    return [
        Job(name="engagement.send_due", every_seconds=30, run=send),
        Job(name="engagement.launches", every_seconds=10, run=launch),
        Job(name="engagement.experiments", every_seconds=15 * 60, run=decide),
        Job(name="engagement.birthdays", every_seconds=24 * 3600, run=birthday),
    ]

"""A worker for tests/engagement/test_worker_killed.py: what ``comptoir worker`` does for the journeys —
deliver events to handlers, run the sender, deliver the mail queue — in a tight loop, with the mail
queue's lease shortened to 2 seconds (instead of 180) so that a killed worker's lease lapses within the
test. Settings come from the environment (``COMPTOIR_*``); it stops by itself after 120 seconds."""

from __future__ import annotations

import dataclasses
import time

from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import mailer_from_settings
from comptoir.core.settings import get_settings
from comptoir.domains import build_bus
from comptoir.engagement import service as engagement


def main() -> None:
    settings = get_settings()
    db = Database(settings.database_url, pool_size=2)
    worker = Dispatcher(
        db,
        build_bus(settings),
        DispatcherConfig(backoff_base_seconds=0.0),
        mailer=mailer_from_settings(settings),
    )
    worker.outbound.config = dataclasses.replace(worker.outbound.config, lease_seconds=2.0, batch_size=5)
    stop_at = time.monotonic() + 120
    while time.monotonic() < stop_at:
        done = worker.fan_out() + worker.deliver_to_handlers()
        done += engagement.send_due(db, settings, limit=15).considered
        done += worker.outbound.run()
        if not done:
            time.sleep(0.05)


if __name__ == "__main__":
    main()

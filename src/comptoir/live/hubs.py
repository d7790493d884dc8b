"""live: publishing notices on the process's hub (:mod:`comptoir.core.pubsub`) once committed.

Routes publish through the application's hub; the router's job through the hub of the application its
process serves, or — in a worker process, with no application — through a hub of its own made on first
use (publishing needs no listening connection)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from comptoir.core.db import Database
from comptoir.core.pubsub import Hub, hub_from_settings, process_hub
from comptoir.core.settings import get_settings
from comptoir.live.notices import Notice

log = logging.getLogger("comptoir.live")
_JOB_HUBS: dict[int, Hub] = {}
_LOCK = threading.Lock()


def _send(hub: Hub | None, told: Sequence[Notice]) -> None:
    if hub is None:
        return
    for topic, message in told:
        try:
            hub.publish_threadsafe(topic, message)
        except Exception:  # a page that misses a notice reads the state again on its heartbeat
            log.exception("live notice not published", extra={"topic": topic})


def publish(state: Any, told: Sequence[Notice]) -> None:
    """From a route: the application's hub (``state.hub``)."""
    if told:
        _send(getattr(state, "hub", None), told)


def publish_from_job(db: Database, told: Sequence[Notice]) -> None:
    """From the dispatcher's thread (an API or a worker process): this process's hub for the database."""
    if not told:
        return
    hub = process_hub()  # an API process's own (the in-process dispatcher)
    if hub is not None:
        _send(hub, told)
        return
    with _LOCK:  # a worker process: a hub of its own, to publish only
        hub = _JOB_HUBS.get(id(db))
        if hub is None:
            hub = _JOB_HUBS[id(db)] = hub_from_settings(get_settings(), db)
    _send(hub, told)

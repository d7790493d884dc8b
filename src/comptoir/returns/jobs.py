"""returns: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings


def jobs(settings: Settings) -> list[Job]:
    return []

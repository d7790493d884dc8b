"""customers: periodic work run by the dispatcher (one process at a time)."""

from __future__ import annotations

from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import sessions

RETRAIN_EVERY_SECONDS = 24 * 3600.0


def jobs(settings: Settings) -> list[Job]:
    def forget_throttles(uow: UnitOfWork) -> None:
        sessions.forget_idle_throttles(uow)

    def retrain(uow: UnitOfWork) -> None:
        from comptoir.customers import match_models  # the model's numerical code, only where it runs

        match_models.retrain(uow)

    return [
        Job("customers.forget_idle_sign_in_throttles", 3600, forget_throttles),
        Job("customers.retrain_match_model", RETRAIN_EVERY_SECONDS, retrain),
    ]

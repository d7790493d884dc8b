"""live: periodic work — the router's pass (lapsed offers, silent advisors, requests waited out, new
offers) every few seconds, and the forgetting of anonymous visitors' messages once a day."""

from __future__ import annotations

from comptoir.core import clock
from comptoir.core.dispatcher import Job
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.live import erasure, service
from comptoir.live.config import live_settings
from comptoir.live.hubs import publish_from_job


def _route(uow: UnitOfWork) -> None:
    told = service.route(uow)
    uow.commit()  # what it tells must be in the database first
    publish_from_job(uow.db, told)


def _forget(uow: UnitOfWork) -> None:
    erasure.forget_visitors(uow, clock.now())


def jobs(settings: Settings) -> list[Job]:
    return [
        Job(name="live.route", every_seconds=live_settings().routing_seconds, run=_route),
        Job(name="live.forget_visitors", every_seconds=24 * 3600, run=_forget),
    ]

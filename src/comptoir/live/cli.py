"""``comptoir live …``: the talk-now queue as the studio sees it, and a pass of the router."""

from __future__ import annotations

import typer

from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.live import service
from comptoir.live.hubs import publish_from_job

live_app = typer.Typer(help="Live video shopping: the talk-now queue and its router.")


@live_app.command("queue")
def show_queue() -> None:
    """The requests waiting or offered (oldest first) and the advisors present."""
    db = Database(get_settings().database_url)
    try:
        with UnitOfWork(db, read_only=True) as uow:
            seen = service.queue_view(uow)
    finally:
        db.dispose()
    for advisor in seen["advisors"]:
        typer.echo(f"advisor {advisor['advisor_id']}: {advisor['status']}")
    if not seen["requests"]:
        typer.echo("Nobody is waiting.")
    for request in seen["requests"]:
        offered = f" → {request['offered_to']}" if request["offered_to"] else ""
        typer.echo(
            f"{request['request_id']}  {request['language']}  {request['topic']}  "
            f"{request['status']}{offered}  waiting {request['waited_seconds']} s"
        )


@live_app.command("route")
def route_once() -> None:
    """One pass of the router (as the worker's job does every few seconds): lapsed offers, silent
    advisors, requests waited out, new offers."""
    db = Database(get_settings().database_url)
    try:
        with UnitOfWork(db) as uow:
            told = service.route(uow)
            uow.commit()
        publish_from_job(db, told)
    finally:
        db.dispose()
    typer.echo(f"{len(told)} notice(s) published.")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(live_app, name="live")

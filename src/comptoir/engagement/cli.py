"""``comptoir engagement send`` (what is due, now) and ``comptoir engagement journeys`` (those in force)."""

from __future__ import annotations

import typer

from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

engagement_app = typer.Typer(help="Engagement: the message journeys and their sending.")


@engagement_app.command("send")
def send() -> None:
    """Send the messages that are due (the worker does it every 30 seconds)."""
    from comptoir.engagement import service

    settings = get_settings()
    report = service.send_due(Database(settings.database_url), settings)
    typer.echo(
        f"{report.considered} due: {report.queued} e-mail(s) queued, {report.sent} SMS/push sent, "
        f"{report.held} held, {report.dropped} dropped, {report.skipped} skipped, {report.failed} failed"
    )


@engagement_app.command("journeys")
def journeys() -> None:
    """The journeys in force: code, version (0: built in), trigger and steps."""
    from comptoir.engagement import service

    with UnitOfWork(Database(get_settings().database_url), read_only=True) as uow:
        for journey in service.list_journeys(uow):
            d = journey.definition
            steps = ", ".join(s.key for s in d.steps)
            state = "" if d.active else " (inactive)"
            typer.echo(f"{d.code} v{journey.version}{state}: on {d.trigger} — {steps}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(engagement_app, name="engagement")

"""``comptoir engagement send`` (what is due, now), ``comptoir engagement journeys`` (those in force) and
``comptoir engagement launch`` (a journey launched to an audience)."""

from __future__ import annotations

from typing import Annotated

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


@engagement_app.command("launch")
def launch(
    code: Annotated[
        str, typer.Argument(help="The journey (its trigger: engagement.launched), e.g. new_arrivals")
    ],
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="In this segment (any of those given)")
    ] = None,
    tier: Annotated[
        list[str] | None, typer.Option("--tier", help="Of this loyalty tier (any of those given)")
    ] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="This customer (repeat: these only)")
    ] = None,
    everyone: Annotated[bool, typer.Option("--everyone", help="Every active customer")] = False,
    consent: Annotated[
        bool, typer.Option(help="Only customers with an opt-in for the journey's purpose")
    ] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count who would enter")] = False,
    background: Annotated[bool, typer.Option("--background", help="Record it; the worker runs it")] = False,
) -> None:
    """Launch a journey to an audience: every customer of it enters, their messages are scheduled (this
    command runs the launch to its end unless --background; run again, it resumes where it stopped)."""
    from pydantic import ValidationError

    from comptoir.core.context import SYSTEM
    from comptoir.core.errors import Problem
    from comptoir.engagement import service
    from comptoir.engagement.schemas import Audience, AudienceCount, LaunchIn

    settings = get_settings()
    try:
        audience = Audience(
            segments_any=segment or [],
            loyalty_tiers=tier or [],
            customer_ids=customer or [],
            everyone=everyone,
            consent_required=consent,
        )
        out = service.launch_journey(
            Database(settings.database_url),
            settings,
            SYSTEM,
            code,
            LaunchIn(audience=audience, dry_run=dry_run),
            inline_batches=0 if background else None,
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'/'.join(map(str, err['loc'])) or 'audience'}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    except Problem as exc:
        typer.secho(exc.detail, fg="red", err=True)
        raise typer.Exit(2) from exc
    if isinstance(out, AudienceCount):
        typer.echo(f"{out.matched} customer(s) would enter {out.journey_code} v{out.version} (dry run)")
        return
    took = f" in {out.seconds:.1f} s" if out.seconds is not None else ""
    typer.echo(
        f"launch {out.id} of {out.journey_code} v{out.version}: {out.state}{took} — {out.matched} reached, "
        f"{out.entered} entered, {out.messages} message(s) scheduled"
    )


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(engagement_app, name="engagement")

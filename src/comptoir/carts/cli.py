"""``comptoir carts …``: mark idle carts abandoned now, show a customer's current cart."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from comptoir.carts import service
from comptoir.carts.config import CartSettings
from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

carts_app = typer.Typer(help="Carts: abandonment, a customer's current cart.", no_args_is_help=True)


def _db() -> Database:
    return Database(get_settings().database_url)


@carts_app.command("abandon")
def abandon(
    minutes: Annotated[
        int | None,
        typer.Option(help="Idle delay in minutes (default: COMPTOIR_CARTS_ABANDONED_AFTER_MINUTES)", min=1),
    ] = None,
) -> None:
    """Mark carts untouched for the delay as abandoned now (the worker does it periodically)."""
    delay = minutes or CartSettings().abandoned_after_minutes
    db = _db()
    try:
        total = 0
        while True:
            with UnitOfWork(db) as uow:
                count = service.abandon_idle(uow, timedelta(minutes=delay), limit=1000)
                uow.commit()
            total += count
            if count < 1000:
                break
    finally:
        db.dispose()
    typer.echo(f"carts marked abandoned: {total}")


@carts_app.command("show")
def show(customer_id: Annotated[str, typer.Argument(help="Customer id, e.g. cus_…")]) -> None:
    """The customer's open cart: lines, the channel that added each, total."""
    db = _db()
    try:
        with UnitOfWork(db, read_only=True) as uow:
            section = service.customer_section(uow, customer_id)["open_cart"]
    finally:
        db.dispose()
    if section is None:
        typer.echo("no open cart")
        raise typer.Exit(1)
    typer.echo(f"{section['id']} ({section['status']}, started on {section['channel_started']})")
    for line in section["lines"]:
        typer.echo(f"  {line['quantity']:>3} × {line['sku']:<24} {line['name']}  [{line['channel_added']}]")
    typer.echo(f"  total: {section['total'] or section['pricing_problem']} {section['currency']}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(carts_app, name="carts")

"""``comptoir orders …``: expire uncollected pickups now, explain a sourcing decision, show the rules."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders.schemas import OrderOut

orders_app = typer.Typer(
    help="Orders: expire uncollected pickups, explain an order's sourcing, show the rules."
)


def _db() -> Database:
    return Database(get_settings().database_url)


@orders_app.command("expire-pickups")
def expire_pickups(limit: Annotated[int, typer.Option(help="At most this many at once")] = 500) -> None:
    """Send uncollected pickups past their deadline back to stock (the worker does it every 5 minutes)."""
    from comptoir.orders import service

    with UnitOfWork(_db()) as uow:
        count = service.expire_uncollected(uow, limit=limit)
        uow.commit()
    typer.echo(f"{count} pickup(s) expired")


@orders_app.command("sourcing")
def sourcing(
    order: Annotated[str, typer.Argument(help="The order's number (CMD-…) as staff see it, or its id")],
) -> None:
    """Why the order's stock comes from where it does: every place considered and the reason."""
    from comptoir.core.errors import NotFound
    from comptoir.orders import service

    with UnitOfWork(_db(), read_only=True) as uow:
        found = service.find_order_by_number(uow, order)
        if found is None:
            try:
                found = service.get_order(uow, order)
            except NotFound:
                typer.echo(f"No order has the number or id {order}.", err=True)
                raise typer.Exit(1) from None
    _explain(found)


def _explain(order: OrderOut) -> None:
    if order.sourcing is None:
        typer.echo("no sourcing decision recorded")
        return
    typer.echo(f"{order.number}: {order.sourcing.summary}")
    for c in order.sourcing.candidates:
        mark = "*" if c.chosen else " "
        typer.echo(f" {mark} {c.place_id:<24} {c.reason}")


@orders_app.command("rules")
def rules() -> None:
    """The retailer's sourcing and fulfilment rules, as JSON (change them with PUT /v1/orders/rules)."""
    from comptoir.orders import service

    with UnitOfWork(_db(), read_only=True) as uow:
        typer.echo(json.dumps(service.load_rules(uow, fresh=True).model_dump(mode="json"), indent=2))


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders")

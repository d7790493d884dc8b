"""``comptoir loyalty …``: run the expiry now, show a member's account, load or export the programme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service
from comptoir.loyalty.schemas import ProgrammeRules

loyalty_app = typer.Typer(help="Loyalty: expire points, review tiers, show an account, set the programme.")


def _db() -> Database:
    return Database(get_settings().database_url)


@loyalty_app.command("expire")
def expire(batch: Annotated[int, typer.Option(help="Members per transaction")] = 500) -> None:
    """Expire every lot of points whose date has passed (the dispatcher also does it every minute)."""
    db = _db()
    accounts = points = 0
    while True:
        with UnitOfWork(db) as uow:
            run = service.expire_points(uow, limit=batch)
            uow.commit()
        accounts, points = accounts + run.accounts, points + run.points
        if run.accounts < batch:
            break
    typer.echo(f"expired: {points} points on {accounts} accounts")


@loyalty_app.command("review-tiers")
def review_tiers(batch: Annotated[int, typer.Option(help="Members per transaction")] = 500) -> None:
    """Review the tiers whose qualification window has ended."""
    db = _db()
    with UnitOfWork(db) as uow:
        changed = service.review_tiers(uow, limit=batch)
        uow.commit()
    typer.echo(f"tiers changed: {changed}")


@loyalty_app.command("show")
def show(customer_id: str) -> None:
    """A member's balance, tier and points expiring soon, as JSON."""
    with UnitOfWork(_db(), read_only=True) as uow:
        typer.echo(service.account(uow, customer_id).model_dump_json(indent=2))


@loyalty_app.command("set-programme")
def set_programme(path: Path) -> None:
    """Replace the programme's rules from a JSON file (as ``GET /v1/loyalty/programme`` returns them)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("version", None)
        data.pop("updated_at", None)
        rules = ProgrammeRules.model_validate(data)
        with UnitOfWork(_db()) as uow:
            out = service.set_programme(uow, rules)
            uow.commit()
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'/'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    except (Problem, ValueError) as exc:
        typer.secho(getattr(exc, "detail", str(exc)), fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"programme {out.name!r} at version {out.version}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(loyalty_app, name="loyalty")

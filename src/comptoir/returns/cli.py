"""``comptoir returns …``: show or set the return policy, cancel parcels never sent."""

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
from comptoir.returns import service
from comptoir.returns.schemas import ReturnPolicyIn

returns_app = typer.Typer(help="Returns: the retailer's return policy, expiry of returns never sent.")


def _db() -> Database:
    return Database(get_settings().database_url)


@returns_app.command("policy")
def policy(
    set_from: Annotated[Path | None, typer.Option("--set", help="A JSON file with the new policy")] = None,
) -> None:
    """Print the return policy (JSON), or replace it with ``--set policy.json``."""
    db = _db()
    try:
        with UnitOfWork(db) as uow:
            if set_from is not None:
                out = service.set_policy(
                    uow, ReturnPolicyIn.model_validate_json(set_from.read_text()), expected_version=None
                )
                uow.commit()
            else:
                out = service.get_policy(uow)
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'/'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    except Problem as exc:
        typer.secho(exc.detail, fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        db.dispose()
    typer.echo(json.dumps(out.model_dump(mode="json"), indent=2, ensure_ascii=False))


@returns_app.command("expire")
def expire() -> None:
    """Cancel returns by post whose parcel never arrived in time (the hourly job does it too)."""
    db = _db()
    try:
        with UnitOfWork(db) as uow:
            count = service.expire_unsent(uow, limit=10_000)
            uow.commit()
    finally:
        db.dispose()
    typer.echo(f"cancelled: {count}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(returns_app, name="returns")

"""``comptoir import stock FILE``, ``comptoir import count FILE`` and ``comptoir inventory …``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

inventory_app = typer.Typer(help="Inventory: expire lapsed holds, refresh the place read model.")


def _db() -> Database:
    return Database(get_settings().database_url)


def _fail(exc: Exception) -> typer.Exit:
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            typer.secho(f"{'/'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
    elif isinstance(exc, Problem):
        typer.secho(exc.detail, fg="red", err=True)
    return typer.Exit(2)


def import_stock(
    file: Annotated[
        Path,
        typer.Argument(help="CSV: sku,place_id,on_hand[,safety_stock,aisle,shelf,bin]", exists=True),
    ],
) -> None:
    """Set stock levels from a file (each difference is an adjustment movement; re-importing the same
    file changes nothing); bad rows are reported and skipped."""
    from comptoir.inventory import importer

    with UnitOfWork(_db()) as uow:
        report = importer.import_stock(uow, file.name, file.read_text(encoding="utf-8-sig"))
        uow.commit()
    for err in report.errors:
        typer.secho(f"row {err['row']}: {err['field']}: {err['detail']}", fg="red", err=True)
    typer.echo(f"{report.rows} row(s), {report.changed} level(s) changed, {len(report.errors)} error(s)")
    if report.errors:
        raise typer.Exit(1)


def import_count(
    file: Annotated[
        Path, typer.Argument(help="CSV sku,quantity — or one RFID EPC (hex) per line", exists=True)
    ],
    place: Annotated[str, typer.Option(help="The place that was counted (a full count)")],
    reference: Annotated[str | None, typer.Option(help="Count reference (default: the file name)")] = None,
    counted_at: Annotated[
        datetime | None, typer.Option(help="When the count was taken, with offset (default: now)")
    ] = None,
) -> None:
    """Ingest a full count of a place: adjustments for every difference and a variance report."""
    from comptoir.inventory import importer, service

    try:
        command = importer.read_count(
            place, reference or file.name, file.read_text(encoding="utf-8-sig"), counted_at=counted_at
        )
        with UnitOfWork(_db()) as uow:
            out = service.ingest_count(uow, command)
            uow.commit()
    except (ValidationError, Problem, ValueError) as exc:
        if isinstance(exc, ValueError) and not isinstance(exc, ValidationError):
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
        raise _fail(exc) from exc
    for v in out.variances:
        typer.echo(f"{v.sku}\texpected {v.expected}\tcounted {v.counted}\t{v.delta:+d}")
    typer.echo(
        f"count {out.id}{' (already ingested)' if out.replayed else ''}: {len(out.variances)} variance(s), "
        f"{out.units_variance} unit(s) off, SKU accuracy {out.sku_accuracy:.1%}, "
        f"{out.epcs_unknown} unknown tag(s)"
    )


@inventory_app.command("expire-holds")
def expire_holds() -> None:
    """Release every hold whose expiry has passed (the worker does this every 30 s)."""
    from comptoir.inventory import service

    total = 0
    with UnitOfWork(_db()) as uow:
        while True:
            done = service.expire_due(uow, limit=500)
            total += done
            if done < 500:
                break
        uow.commit()
    typer.echo(f"{total} hold(s) expired")


@inventory_app.command("sync-places")
def sync_places() -> None:
    """Rebuild inventory's copy of the places from the stores domain."""
    from comptoir.inventory import service

    with UnitOfWork(_db()) as uow:
        count = service.sync_places(uow)
        uow.commit()
    typer.echo(f"{count} place(s)")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(inventory_app, name="inventory")
    import_app.command("stock")(import_stock)
    import_app.command("count")(import_count)

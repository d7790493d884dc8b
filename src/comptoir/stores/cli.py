"""``comptoir stores …`` (bulk close/reopen, exceptional days, audit) and ``comptoir import stores FILE``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

stores_app = typer.Typer(help="Stores: close or reopen many at once, exceptional days, channel audit.")

RegionOpt = Annotated[str | None, typer.Option(help="Administrative region, e.g. 'Île-de-France'")]
DepartmentOpt = Annotated[str | None, typer.Option(help="French department, e.g. 69, 2A, 974")]
PlaceOpt = Annotated[list[str] | None, typer.Option("--place", help="Place id (repeatable)")]
CodeOpt = Annotated[list[str] | None, typer.Option("--code", help="Store code (repeatable)")]


def _db() -> Database:
    return Database(get_settings().database_url)


def _selector(
    place: list[str] | None, code: list[str] | None, region: str | None, department: str | None
) -> dict[str, object]:
    return {"place_ids": place or None, "codes": code or None, "region": region, "department": department}


def _fail(exc: Exception) -> typer.Exit:
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            typer.secho(f"{'/'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
    elif isinstance(exc, Problem):
        typer.secho(exc.detail, fg="red", err=True)
    return typer.Exit(2)


@stores_app.command("close")
def close(
    reason: Annotated[str, typer.Option(help="Shown to staff and customers, e.g. 'Confinement'")] = "",
    permanently: Annotated[bool, typer.Option(help="Closed for good")] = False,
    place: PlaceOpt = None,
    code: CodeOpt = None,
    region: RegionOpt = None,
    department: DepartmentOpt = None,
) -> None:
    """Close many places in one command (published to every channel)."""
    _bulk_status(
        "permanently_closed" if permanently else "temporarily_closed", reason, place, code, region, department
    )


@stores_app.command("reopen")
def reopen(
    place: PlaceOpt = None, code: CodeOpt = None, region: RegionOpt = None, department: DepartmentOpt = None
) -> None:
    """Reopen many places in one command."""
    _bulk_status("open", "", place, code, region, department)


def _bulk_status(
    status: str,
    reason: str,
    place: list[str] | None,
    code: list[str] | None,
    region: str | None,
    department: str | None,
) -> None:
    from comptoir.stores import bulk
    from comptoir.stores.schemas import BulkStatusIn

    try:
        command = BulkStatusIn.model_validate(
            {"selector": _selector(place, code, region, department), "status": status, "reason": reason}
        )
        with UnitOfWork(_db()) as uow:
            out = bulk.bulk_status(uow, command)
            uow.commit()
    except (ValidationError, Problem) as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"{out.changed} of {out.matched} place(s) changed; {out.publications_requested} publication(s) queued"
    )


@stores_app.command("special-day")
def special_day(
    day: Annotated[str, typer.Argument(help="Date, e.g. 2026-12-26")],
    hours: Annotated[
        str | None, typer.Option(help="Other hours, e.g. '10:00-18:00'; closed if absent")
    ] = None,
    reason: Annotated[str, typer.Option(help="Holiday, strike, lockdown…")] = "",
    place: PlaceOpt = None,
    code: CodeOpt = None,
    region: RegionOpt = None,
    department: DepartmentOpt = None,
) -> None:
    """Set an exceptional day (closed, or other hours) on many places at once."""
    from comptoir.stores import bulk
    from comptoir.stores.schemas import BulkSpecialDaysIn

    ranges = [{"opens": r.split("-")[0], "closes": r.split("-")[-1]} for r in (hours or "").split(",") if r]
    try:
        command = BulkSpecialDaysIn.model_validate(
            {
                "selector": _selector(place, code, region, department),
                "days": [
                    {
                        "date": date.fromisoformat(day),
                        "closed": not ranges,
                        "ranges": ranges,
                        "reason": reason,
                    }
                ],
            }
        )
        with UnitOfWork(_db()) as uow:
            out = bulk.bulk_special_days(uow, command)
            uow.commit()
    except (ValidationError, Problem, ValueError) as exc:
        if isinstance(exc, ValueError) and not isinstance(exc, ValidationError):
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
        raise _fail(exc) from exc
    typer.echo(
        f"{out.changed} of {out.matched} place(s) changed; {out.publications_requested} publication(s) queued"
    )


@stores_app.command("audit")
def audit(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List every contradiction between what channels show and the source of truth."""
    from comptoir.stores.audit import audit as run_audit

    with UnitOfWork(_db(), read_only=True) as uow:
        out = run_audit(uow)
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    for c in out.contradictions:
        typer.echo(
            f"{c.channel:<8} {c.store_code:<20} {c.kind:<20} {c.field:<28} expected {c.expected!r}, shows {c.shown!r}"
        )
    typer.echo(f"{len(out.contradictions)} contradiction(s) across {out.places} place(s)")


def import_stores(
    file: Annotated[
        Path, typer.Argument(help="CSV (the CSV channel's columns) or JSON Lines of places", exists=True)
    ],
) -> None:
    """Create or update places from a file; bad rows are reported and skipped."""
    from comptoir.stores import bulk

    with UnitOfWork(_db()) as uow:
        report = bulk.import_places(uow, file.name, file.read_text(encoding="utf-8-sig"))
        uow.commit()
    for err in report.errors:
        typer.secho(f"row {err.row}: {err.field}: {err.detail}", fg="red", err=True)
    typer.echo(f"{report.created} created, {report.updated} updated, {len(report.errors)} error(s)")
    if report.errors:
        raise typer.Exit(1)


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(stores_app, name="stores")
    import_app.command("stores")(import_stores)

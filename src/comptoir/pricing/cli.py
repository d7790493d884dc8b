"""``comptoir import prices FILE`` and ``comptoir pricing …`` (promotions running, price of a SKU)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import service
from comptoir.pricing.schemas import PricesIn

pricing_app = typer.Typer(help="Pricing: price lists, price resolution, promotions.")

COLUMNS = ("price_list", "sku", "amount", "compare_at", "vat_rate", "valid_from", "valid_until")


def _db() -> Database:
    return Database(get_settings().database_url)


def _fail(exc: Exception, where: str = "") -> typer.Exit:
    prefix = f"{where}: " if where else ""
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            typer.secho(f"{prefix}{'/'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
    elif isinstance(exc, Problem):
        typer.secho(f"{prefix}{exc.detail}", fg="red", err=True)
    return typer.Exit(2)


def read_price_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """CSV (``,`` or ``;``) with columns price_list, sku, amount[, compare_at, vat_rate, valid_from,
    valid_until]; French decimal commas accepted; an empty amount removes the SKU from the list."""
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;") if text else csv.excel
    by_list: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in csv.DictReader(text.splitlines(), dialect=dialect):
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        item: dict[str, Any] = {"sku": clean.get("sku", "")}
        for name in ("amount", "compare_at", "vat_rate"):
            value = clean.get(name, "").replace(",", ".").replace("€", "").replace(" ", "")
            item[name] = value or None
        for name in ("valid_from", "valid_until"):
            if clean.get(name):
                item[name] = clean[name]
        by_list[clean.get("price_list", "")].append(item)
    return dict(by_list)


def import_prices(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: " + ", ".join(COLUMNS))],
) -> None:
    """Set prices from a CSV file, all or nothing: one transaction, every change kept in the history."""
    try:
        groups = read_price_rows(file)
    except (csv.Error, UnicodeDecodeError) as exc:
        typer.secho(f"{file}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    db = _db()
    try:
        with UnitOfWork(db) as uow:
            for price_list, rows in groups.items():
                try:
                    out = service.set_prices(uow, price_list, PricesIn.model_validate({"prices": rows}))
                except (ValidationError, Problem) as exc:
                    raise _fail(exc, price_list or "(no price_list)") from exc
                typer.echo(
                    f"{price_list}: {out.changed} changed, {out.unchanged} unchanged, {out.removed} removed"
                )
            uow.commit()
    finally:
        db.dispose()


@pricing_app.command("price")
def price(
    sku: str,
    channel: Annotated[str, typer.Option(help="web, app, store:<id>, call-centre, live")] = "web",
    currency: str = "EUR",
) -> None:
    """Which price applies to a SKU on a channel, from which list, and its Omnibus reference."""
    db = _db()
    try:
        with UnitOfWork(db, read_only=True) as uow:
            out = service.explain_price(
                uow, sku, currency=currency, channel=channel, store_id=None, customer_id=None, at=None
            )
    except Problem as exc:
        raise _fail(exc) from exc
    finally:
        db.dispose()
    typer.echo(f"{out.sku} {out.price} {out.currency} (HT {out.price_excl_tax}, TVA {out.vat_rate} %)")
    typer.echo(out.explanation)
    if out.reference_price is not None:
        typer.echo(f"Omnibus reference (lowest of the 30 days before the reduction): {out.reference_price}")


@pricing_app.command("promotions")
def running_promotions() -> None:
    """Promotions running now, with their budget used."""
    db = _db()
    try:
        with UnitOfWork(db, read_only=True) as uow:
            rows = service.list_promotions(uow, running_only=True)
    finally:
        db.dispose()
    for p in rows:
        budget = f"{p.budget_used}/{p.budget}" if p.budget is not None else f"{p.budget_used}"
        typer.echo(f"{p.id}  {p.kind:<14} prio {p.priority:>4}  budget {budget:<18} {p.name}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(pricing_app, name="pricing")
    import_app.command("prices")(import_prices)

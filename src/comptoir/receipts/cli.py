"""``comptoir receipts …``: print a receipt as PDF or HTML (for a reprint at the till)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.receipts import render, service

receipts_app = typer.Typer(help="E-receipts: reprint a sale's receipt as PDF or HTML.")


@receipts_app.command("print")
def print_receipt(
    order_id: Annotated[str, typer.Argument(help="The sale's order id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (.pdf or .html)")],
    lang: Annotated[str | None, typer.Option(help="fr or en (default: the receipt's)")] = None,
) -> None:
    """Write a sale's receipt to a file, as PDF or HTML by the file's extension."""
    settings = get_settings()
    db = Database(settings.database_url)
    try:
        with UnitOfWork(db, read_only=True) as uow:
            receipt = service.receipt_for_order(uow, order_id, settings)
    finally:
        db.dispose()
    if receipt is None:
        typer.secho(f"No receipt for order {order_id}.", fg="red", err=True)
        raise typer.Exit(1)
    language = lang if lang in ("fr", "en") else receipt.locale
    if output.suffix.lower() == ".pdf":
        output.write_bytes(render.pdf(receipt.document, language))
    else:
        output.write_text(render.html(receipt.document, language, url=receipt.url), encoding="utf-8")
    typer.echo(f"{receipt.number}: {output}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(receipts_app, name="receipts")

"""``comptoir import catalog FILE`` and ``comptoir catalog export|reindex``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from comptoir.catalog import exchange, indexing
from comptoir.catalog.importer import Importer
from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

FormatOption = Annotated[
    Literal["csv", "json", "jsonl"] | None,
    typer.Option("--format", help="csv, json or jsonl (default: from the file name)"),
]


def _db() -> Database:
    return Database(get_settings().database_url)


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(1024 * 1024):
            lines += block.count(b"\n")
    return max(lines, 1)


def import_catalog(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file")],
    fmt: FormatOption = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write the full report (every row error) to this JSON file")
    ] = None,
) -> None:
    """Import products and variants (one row per variant) from CSV, JSON or JSON Lines.

    Rows are checked like API requests; each bad row is reported with its line and reason, and the
    good rows are kept (committed chunk by chunk). Exits with 1 when some rows were refused.
    """
    chosen = fmt or exchange.detect_format(file.name)
    db = _db()
    importer = Importer()
    try:
        with (
            file.open("rb") as stream,
            typer.progressbar(
                length=_count_lines(file), label=f"importing {file.name}", show_pos=True
            ) as progress,
        ):
            done = 0
            for chunk in Importer.chunks(exchange.read_rows(stream, chosen)):
                with UnitOfWork(db) as uow:
                    importer.apply(uow, chunk)
                    uow.commit()
                last_line = chunk[-1][0]
                progress.update(last_line - done)
                done = last_line
        with UnitOfWork(db) as uow:
            result = importer.finish(uow)
            uow.commit()
    except Problem as exc:  # the file itself is unreadable (bad header, not JSON …)
        typer.secho(f"{file}: {exc.detail}", fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        db.dispose()
    typer.echo(
        f"{result.rows} rows: {result.products_created} products created, {result.products_updated} updated; "
        f"{result.variants_created} variants created, {result.variants_updated} updated; "
        f"{result.unchanged} unchanged; {len(result.errors)} refused"
    )
    for error in result.errors[:100]:
        typer.secho(f"  line {error.line} ({error.sku or 'no SKU'}): {error.reason}", fg="red", err=True)
    if len(result.errors) > 100:
        typer.secho(f"  … and {len(result.errors) - 100} more (see --report)", fg="red", err=True)
    if report is not None:
        report.write_text(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    if result.errors:
        raise typer.Exit(1)


catalog_app = typer.Typer(help="Catalogue files and search index.")


@catalog_app.command("export")
def export_catalog(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write (.csv, .json or .jsonl)")],
    fmt: FormatOption = None,
) -> None:
    """Write the whole catalogue, one row per variant, in the columns `comptoir import catalog` reads."""
    chosen = fmt or exchange.detect_format(file.name)
    db = _db()
    with UnitOfWork(db, read_only=True) as uow, file.open("w", encoding="utf-8", newline="") as out:
        count = exchange.write_rows(out, chosen, exchange.export_columns(uow), exchange.export_rows(uow))
    db.dispose()
    typer.echo(f"{count} variants written to {file}")


@catalog_app.command("reindex")
def reindex() -> None:
    """Rebuild the search documents of every product."""
    db = _db()
    done = 0
    with UnitOfWork(db) as uow:
        for done in indexing.reindex_all(uow):
            typer.echo(f"\r{done} products indexed", nl=False)
        uow.commit()
    db.dispose()
    typer.echo(f"\r{done} products indexed")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    import_app.command("catalog")(import_catalog)
    app.add_typer(catalog_app, name="catalog")

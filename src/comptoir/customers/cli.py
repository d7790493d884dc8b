"""``comptoir customers dedupe`` and ``comptoir import customers``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from comptoir.customers.policies import IMPORT_SOURCES

FILE_FORMATS = ("csv", "jsonl")


def _overrides(columns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in columns:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise typer.BadParameter(f"use field=header, not {item!r}", param_hint="--column")
        out[name.strip()] = header.strip()
    return out


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    customers_app = typer.Typer(help="The single customer record: batch deduplication of person files.")
    app.add_typer(customers_app, name="customers")
    _register_dedupe(customers_app)
    _register_import(import_app)


def _register_dedupe(customers_app: typer.Typer) -> None:
    """``comptoir customers dedupe``: batch deduplication of a file of person records."""

    @customers_app.command("dedupe")
    def dedupe(
        input_file: Annotated[
            Path, typer.Argument(help="CSV of person records", exists=True, dir_okay=False)
        ],
        id_column: Annotated[
            str, typer.Option("--id-column", help="Header of the column holding each record's id")
        ],
        output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the pairs (CSV)")],
        column: Annotated[
            list[str] | None,
            typer.Option(
                "--column", help="Repeatable field=header for headers not recognised, e.g. email=Mail perso"
            ),
        ] = None,
        region: Annotated[str, typer.Option(help="Default country of phone numbers and addresses")] = "FR",
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="Print the time of each phase")
        ] = False,
        explain: Annotated[
            bool,
            typer.Option(
                "--explain", help="Add each pair's probability and per-field level and weight to the output"
            ),
        ] = False,
    ) -> None:
        """Write the pairs of ids judged the same person (id_a, id_b, score, cluster).

        Headers in English or French are recognised (first_name/prénom, last_name/nom, zip/code_postal,
        birth_date/date_naissance, email/courriel, phone/téléphone, street/adresse, city/ville…); unknown
        columns are ignored and missing ones allowed. Clusters are transitive: every pair of a cluster is
        written, with its own score when the two were compared directly. The command prints the number
        of pairs compared, the estimated blocking recall and the weights the model learned from the file.
        """
        from comptoir.customers.dedupe import dedupe_file, report_lines

        try:
            result = dedupe_file(
                input_file,
                output,
                id_column=id_column,
                overrides=_overrides(column or []),
                region=region,
                explain=explain,
            )
        except ValueError as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
        for line in report_lines(result, output):
            typer.echo(line)
        if verbose:
            for phase, seconds in result.timings.items():
                typer.echo(f"  {phase:<12} {seconds:6.1f} s")


def _register_import(import_app: typer.Typer) -> None:
    """``comptoir import customers``: ingest a file of customer records from a source."""

    @import_app.command("customers")
    def import_customers(
        file: Annotated[Path, typer.Argument(help="CSV or JSON Lines file", exists=True, dir_okay=False)],
        source: Annotated[
            str, typer.Option(help=f"Where the records come from: {', '.join(IMPORT_SOURCES)}")
        ],
        id_column: Annotated[
            str | None, typer.Option("--id-column", help="Column with each record's id in its source")
        ] = None,
        column: Annotated[list[str] | None, typer.Option("--column", help="Repeatable field=header")] = None,
        report: Annotated[
            Path | None, typer.Option(help="Per-row report (CSV); default: next to the file, .report.csv")
        ] = None,
        initial_load: Annotated[
            bool,
            typer.Option(
                "--initial-load",
                help="Deduplicate the whole file in batch and write it in bulk (only into an empty customer base)",
            ),
        ] = False,
        batch_size: Annotated[int, typer.Option(help="Records per transaction")] = 500,
    ) -> None:
        """Ingest customer records: each is kept verbatim, normalised, flagged and matched.

        The report lists every row with its customer, its matching decision and its quality flags, or
        the error that kept it out."""
        from comptoir.core.errors import Problem
        from comptoir.customers import importer

        if source not in IMPORT_SOURCES:
            raise typer.BadParameter(f"one of {', '.join(IMPORT_SOURCES)}", param_hint="--source")
        report = report or file.with_suffix(".report.csv")
        try:
            summary = importer.run(
                file,
                source=source,
                id_column=id_column,
                overrides=_overrides(column or []),
                report=report,
                initial_load=initial_load,
                batch_size=batch_size,
            )
        except (ValueError, Problem) as exc:
            typer.secho(exc.detail if isinstance(exc, Problem) else str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
        typer.echo(summary)

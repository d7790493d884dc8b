"""``comptoir appointments advisors`` (the advisors as a file to edit) and ``comptoir import advisors FILE``."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork

appointments_app = typer.Typer(help="Appointments: the advisors, their skills and their hours.")


def _db() -> Database:
    return Database(get_settings().database_url)


def import_advisors(
    file: Annotated[
        Path,
        typer.Argument(help="CSV (.csv) or JSON Lines (.jsonl) of advisors", exists=True, dir_okay=False),
    ],
) -> None:
    """Create or update advisors from a CSV file (with a header row) or JSON Lines.

    One row per advisor (one JSON object per line), these columns (keys):

      email       required. If no employee has it, one is created: role advisor,
                  the row's places as shops, no password. If one has it, they are
                  used as they are (name, role and shops kept).
      name        the employee's name (required when they are created)
      skills      e.g. styling|alterations (lists: separated by |, commas or
                  spaces; JSON arrays in JSON Lines)
      languages   two-letter codes, e.g. fr|en (default fr)
      places      required: store codes or place ids, e.g. PARIS-RIVOLI|st_nice
      weekly      the weekly hours (below)
      exceptions  the dates that differ from the week (below)
      active      yes or no (default yes)

    Weekly hours, local to each place: entries separated by ";", each
    DAYS RANGES @PLACE, e.g.
      Mo-Fr 10:00-13:00,14:00-19:00 @PARIS-RIVOLI; Sa 10:00-18:00 @PARIS-RENNES
      DAYS     Mo Tu We Th Fr Sa Su, a run Mo-Fr, or a list Mo,We,Fr-Sa
      RANGES   HH:MM-HH:MM, several separated by commas
      @PLACE   a store code or place id among the row's places; may be left
               out when the advisor works at one place only
    A day may come in several entries (a place in the morning, another in the
    afternoon), but its hours may not overlap.

    Exceptions: entries separated by ";", each DATE off (not working) or
    DATE RANGES @PLACE (those hours instead of the week's), where DATE is
    2026-12-24 or a run 2026-08-03..2026-08-09, e.g.
      2026-12-24 10:00-16:00 @PARIS-RIVOLI; 2026-12-26..2026-12-31 off

    The row replaces the advisor's profile: importing the same file again
    changes nothing. Each row is written alone: a bad row is reported with its
    line and the column at fault, and the others go in; the exit code is then 1.
    `comptoir appointments advisors` writes the advisors in this form."""
    from comptoir.appointments import importer

    with UnitOfWork(_db()) as uow:
        report = importer.import_advisors(uow, file.name, file.read_text(encoding="utf-8-sig"))
        uow.commit()
    for row in report.rows:
        if row.outcome == "error":
            typer.secho(f"row {row.row}: error: {row.column}: {row.detail}", fg="red")
            continue
        made = ", new employee" if row.person_created else ""
        typer.echo(f"row {row.row}: {row.outcome} {row.email} ({row.advisor_id}{made})")
        for note in row.notes:
            typer.secho(f"row {row.row}: note: {note}", fg="yellow")
    if report.ignored:
        typer.secho(f"note: column(s) not read: {', '.join(sorted(report.ignored))}", fg="yellow")
    typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(1)


@appointments_app.command("advisors")
def advisors(
    place: Annotated[
        str | None, typer.Option(help="Only the advisors of this place (id or store code)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file (default: print)")
    ] = None,
) -> None:
    """Write the advisors as CSV in the form `comptoir import advisors` reads (to edit and import back)."""
    from comptoir.appointments import exporter

    with UnitOfWork(_db(), read_only=True) as uow:
        try:
            rows = exporter.advisor_rows(uow, place)
        except ValueError as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(exporter.COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if output is None:
        typer.echo(buffer.getvalue(), nl=False)
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
        typer.echo(f"{len(rows)} advisor(s) written to {output}")


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(appointments_app, name="appointments")
    import_app.command("advisors")(import_advisors)

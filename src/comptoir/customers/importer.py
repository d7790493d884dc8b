"""File import of customer records (``comptoir import customers``): record by record, or an initial load.

Record by record, each row is ingested in its own savepoint, so a row that fails is reported and the
others still go in; transactions commit every ``batch_size`` rows. The report has one line per row.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import bulk, ingestion
from comptoir.customers.dedupe import map_columns
from comptoir.customers.files import is_json_lines, read_rows
from comptoir.customers.schemas import CustomerRecord

REPORT_COLUMNS = ["row", "source_ref", "status", "customer_id", "decision", "flags", "error"]


def _fields(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, header in mapping.items():
        value = row.get(header)
        out[name] = None if value in (None, "") else str(value)
    return out


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, Problem):
        return exc.detail
    return f"{type(exc).__name__}: {exc}"


def run(
    path: Path,
    *,
    source: str,
    id_column: str | None,
    overrides: Mapping[str, str],
    report: Path,
    initial_load: bool,
    batch_size: int,
    db: Database | None = None,
) -> str:
    settings = get_settings()
    db = db or Database(settings.database_url)
    headers, rows = read_rows(path)
    mapping = {f: headers[i] for f, i in map_columns(headers, overrides).items()}
    if id_column is not None and id_column not in headers:
        raise ValueError(f"id column {id_column!r} is not in the file")
    mapping.pop(next((f for f, h in mapping.items() if h == id_column), ""), None)
    actor = Actor(channel=None, scopes=frozenset({"*"}))
    started = time.perf_counter()
    if initial_load:
        return _initial_load(
            db, list(rows), source, id_column, mapping, report, settings.default_region, actor, started
        )
    counts = {"imported": 0, "error": 0, "flagged": 0, "new": 0, "matched": 0}
    first_line = 1 if is_json_lines(path) else 2  # the CSV header is line 1
    with report.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        all_rows = list(rows)
        with typer.progressbar(length=len(all_rows), label="Importing", file=None) as progress:
            for start in range(0, len(all_rows), batch_size):
                chunk = all_rows[start : start + batch_size]
                lines = []
                with UnitOfWork(db, actor) as uow:
                    for offset, row in enumerate(chunk):
                        number = start + offset + first_line
                        ref = (
                            str(row.get(id_column))
                            if id_column and row.get(id_column) not in (None, "")
                            else None
                        )
                        try:
                            record = CustomerRecord(**_fields(row, mapping), source_ref=ref)
                            with uow.savepoint():
                                result = ingestion.ingest(
                                    uow, source, record, raw=row, region=settings.default_region
                                )
                        except (ValidationError, Problem, ValueError) as exc:
                            counts["error"] += 1
                            lines.append([number, ref or "", "error", "", "", "", _problem_text(exc)])
                            continue
                        counts["imported"] += 1
                        counts["flagged"] += bool(result.flags)
                        counts["new" if result.created else "matched"] += 1
                        lines.append(
                            [
                                number,
                                ref or "",
                                "imported",
                                result.customer_id,
                                result.decision,
                                " ".join(result.flags),
                                "",
                            ]
                        )
                    uow.commit()
                writer.writerows(lines)
                progress.update(len(chunk))
    seconds = time.perf_counter() - started
    return (
        f"{counts['imported']} imported ({counts['new']} new customers, {counts['matched']} matched, "
        f"{counts['flagged']} with quality flags), {counts['error']} refused, in {seconds:.1f} s; report: {report}"
    )


def _initial_load(
    db: Database,
    rows: list[dict[str, Any]],
    source: str,
    id_column: str | None,
    mapping: dict[str, str],
    report: Path,
    region: str,
    actor: Actor,
    started: float,
) -> str:
    headers = list(dict.fromkeys(k for row in rows for k in row))
    batch = bulk.Batch(
        sources=[source] * len(rows),
        refs=[
            (str(r[id_column]) if r.get(id_column) not in (None, "") else None) if id_column else None
            for r in rows
        ],
        raw={h: [r.get(h) for r in rows] for h in headers},
        mapping=mapping,
    )
    del rows
    with typer.progressbar(length=batch.size * 2, label="Loading") as progress:
        seen = {"customers": 0, "records": 0, "normalised": 0}

        def tick(phase: str, done: int) -> None:
            if phase in seen:
                progress.update(max(0, done - seen[phase]) if phase != "normalised" else 0)
                seen[phase] = done

        with UnitOfWork(db, actor) as uow:
            result = bulk.load_initial(uow, batch, region=region, tick=tick)
            uow.commit()
    with report.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for index, (customer_id, flags) in enumerate(zip(result.customer_ids, result.flags, strict=True)):
            writer.writerow(
                [index + 2, batch.refs[index] or "", "imported", customer_id, "bulk", " ".join(flags), ""]
            )
    seconds = time.perf_counter() - started
    return (
        f"{result.records} records loaded into {result.customers} customers, {result.reviews} pairs for review, "
        f"in {seconds:.1f} s; report: {report}"
    )

"""Import (CSV, JSON, JSON Lines) with per-row errors, good rows kept; export that round-trips; the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from comptoir.catalog import exchange, service
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from tests.catalog.conftest import build_taxonomy, gtin, recorded
from tests.conftest import create_empty_database, drop_database

HEADER = (
    "product_code,family,category,brand,origin,tax_class,status,name-fr_FR,name-en_GB,description-fr_FR,"
    "composition,labels,axes,attr-collar,attr-care-fr_FR,attr-care-en_GB,sku,gtin,size,colour,weight,dimensions"
)


def row(code: str, sku: str, size: str, colour: str = "bleu", **cells: str) -> str:
    values = {
        "product_code": code,
        "family": "clothing",
        "category": "dresses",
        "brand": "Atelier Rivage",
        "origin": "FR",
        "tax_class": "standard",
        "status": "active",
        "name-fr_FR": f"Robe {code}",
        "name-en_GB": f"Dress {code}",
        "description-fr_FR": "Légère; fraîche",
        "composition": "lin:100",
        "labels": "OEKO-TEX|Fabriqué en France",
        "axes": "size|colour",
        "attr-collar": "round",
        "attr-care-fr_FR": "Lavage 30°",
        "attr-care-en_GB": "Wash at 30°",
        "sku": sku,
        "gtin": "",
        "size": size,
        "colour": colour,
        "weight": "350 g",
        "dimensions": "",
        **cells,
    }
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in HEADER.split(",")])
    return out.getvalue()


def import_text(db: Any, text: str, fmt: str = "csv") -> Any:
    with UnitOfWork(db) as uow:
        report = service.import_rows(uow, exchange.read_rows(io.BytesIO(text.encode()), fmt))  # type: ignore[arg-type]
        uow.commit()
    return report


def export_text(db: Any, fmt: str = "csv") -> str:
    out = io.StringIO()
    with UnitOfWork(db, read_only=True) as uow:
        exchange.write_rows(out, fmt, exchange.export_columns(uow), exchange.export_rows(uow))  # type: ignore[arg-type]
    return out.getvalue()


def test_bad_rows_are_reported_with_their_line_and_good_rows_are_kept(taxonomy) -> None:  # type: ignore[no-untyped-def]
    good_gtin = gtin(42)
    bad_gtin = good_gtin[:-1] + str((int(good_gtin[-1]) + 1) % 10)
    lines = [
        HEADER,
        row("R1", "R1-S", "S", gtin=good_gtin),  # line 2
        row("R1", "R1-M", "M", gtin=bad_gtin),  # line 3: bad check digit
        row("R1", "R1-L", "L", weight="3 stones"),  # line 4: unknown unit
        row("R2", "R2-S", "S", family="shoes"),  # line 5: unknown family
        row("R2", "R2-M", "M", family="shoes"),  # line 6: same product, already refused
        row("R3", "R3-S", "S"),  # line 7
        row("R3", "R3-M", "M", brand="Autre"),  # line 8: disagrees with line 7
        row("R3", "R1-S", "L"),  # line 9: SKU of R1, line 2
        row("R3", "R3-XL", "S"),  # line 10: S/bleu taken by R3-S
        row("R4", "R4-S", "S", **{"attr-collar": "square"}),  # line 11: not an option
    ]
    report = import_text(taxonomy, "\n".join(lines) + "\n")

    assert [(e.line, e.sku, e.reason) for e in report.errors] == [
        (3, "R1-M", f"gtin: Value error, check digit should be {good_gtin[-1]}, not {bad_gtin[-1]}"),
        (4, "R1-L", "weight: Weight: unknown mass unit 'stones': use one of mg, g, kg, oz, lb."),
        (5, "R2-S", "family: There is no family shoes."),
        (6, "R2-M", "product R2 is invalid (see line 5)"),
        (8, "R3-M", "the product columns differ from line 7 of R3"),
        (9, "R1-S", "SKU R1-S appears twice in the file"),
        (10, "R3-XL", "SKU R3-S already has size=S, colour=bleu"),
        (11, "R4-S", "attributes/collar: collar: 'square' is not one of round, v-neck, mao."),
    ]
    assert (report.rows, report.products_created, report.variants_created) == (10, 2, 2)
    with UnitOfWork(taxonomy, read_only=True) as uow:
        assert list(service.iter_skus(uow)) == ["R1-S", "R3-S"]
        r1 = service.get_product(uow, "R1")
    assert (r1.labels, r1.status, r1.variants[0].gtin) == (
        ["OEKO-TEX", "Fabriqué en France"],
        "active",
        good_gtin,
    )
    assert [e["code"] for e in recorded(taxonomy, "catalog.product_created")] == ["R1", "R3"]
    assert recorded(taxonomy, "catalog.catalog_imported")[0]["errors"] == 8

    later = import_text(taxonomy, "\n".join([HEADER, row("R5", "R1-S", "S")]) + "\n")
    assert [(e.line, e.reason) for e in later.errors] == [(2, "SKU R1-S belongs to another product")]


def test_a_file_with_unknown_columns_is_refused_before_anything_is_imported(taxonomy) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as refused:
        import_text(taxonomy, "product_code,sku,colour_name\nR1,R1-S,bleu\n")
    assert (
        refused.value.detail == "Unknown column 'colour_name': see the columns of `comptoir catalog export`."
    )  # type: ignore[attr-defined]


def test_json_and_json_lines_rows_report_their_line(taxonomy) -> None:  # type: ignore[no-untyped-def]
    base = {"product_code": "J1", "family": "clothing", "name-fr_FR": "Jupe", "axes": "size", "size": "S"}
    document = (
        "[\n"
        + ",\n".join(
            [
                json.dumps({**base, "sku": "J1-S"}),
                json.dumps({**base, "sku": "J1-M", "size": "M", "weight": "heavy"}),
                json.dumps({**base, "sku": "J1-L", "size": "L", "flavour": "vanilla"}),
            ]
        )
        + "\n]\n"
    )
    report = import_text(taxonomy, document, "json")
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "weight: Weight: 'heavy' is not a quantity like '350 g' (units: mg, g, kg, oz, lb)."),
        (4, "unknown column 'flavour'"),
    ]
    lines = "\n".join(
        [json.dumps({**base, "sku": "J1-XL", "size": "XL"}), "", json.dumps({**base, "sku": ""})]
    )
    report = import_text(taxonomy, lines, "jsonl")
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "sku: String should have at least 1 character")
    ]
    assert report.variants_created == 1


def test_the_export_imports_back_unchanged(taxonomy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        HEADER,
        row("R1", "R1-S", "S", gtin=gtin(5), dimensions="40 x 30 x 2,5 cm"),
        row("R1", "R1-M", "M", weight="1,2 kg"),
        row("R2", "R2-S", "S", status="draft", **{"attr-care-en_GB": ""}),
    ]
    import_text(taxonomy, "\n".join(lines) + "\n")
    exported = export_text(taxonomy)

    # importing the export into the same catalogue changes nothing
    again = import_text(taxonomy, exported)
    assert (again.products_updated, again.variants_updated, again.unchanged, again.errors) == (0, 0, 3, [])
    assert len(recorded(taxonomy, "catalog.product_updated")) == 0

    # and into another catalogue with the same taxonomy, it exports the same file, in CSV and JSON
    for fmt in ("csv", "json", "jsonl"):
        url = create_empty_database("sqlite", tmp_path)
        try:
            from comptoir.core.db import Database
            from comptoir.core.migrate import upgrade

            upgrade(url)
            other = Database(url)
            with UnitOfWork(other) as uow:
                build_taxonomy(uow)
                uow.commit()
            report = import_text(other, export_text(taxonomy, fmt), fmt)
            assert (report.products_created, report.variants_created, report.errors) == (2, 3, [])
            assert export_text(other) == exported
            other.dispose()
        finally:
            drop_database(url)
    assert exported.splitlines()[1].split(",")[:7] == [
        "R1",
        "clothing",
        "dresses",
        "Atelier Rivage",
        "FR",
        "standard",
        "active",
    ]
    assert "400 x 300 x 25 mm" in exported
    assert "1200 g" in exported


def test_the_import_command_shows_each_refused_row(taxonomy, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from comptoir.cli import app

    file = Path(tmp_path) / "catalogue.csv"
    file.write_text("\n".join([HEADER, row("R1", "R1-S", "S"), row("R1", "R1-M", "")]) + "\n")
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", taxonomy.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["import", "catalog", str(file), "--report", str(tmp_path / "r.json")]
        )
        exported = CliRunner().invoke(app, ["catalog", "export", str(tmp_path / "out.csv")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert (
        "2 rows: 1 products created, 0 updated; 1 variants created, 0 updated; 0 unchanged; 1 refused"
        in result.output
    )
    assert "line 3 (R1-M): size: required (an axis of R1)" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["errors"][0]["line"] == 3
    assert exported.exit_code == 0
    assert (tmp_path / "out.csv").read_text().count("\n") == 2


def test_the_import_endpoint(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join([HEADER, row("R1", "R1-S", "S"), row("R1", "R1-M", "M", colour="")]) + "\n"
    response = client.post(
        "/v1/catalog/import", files={"file": ("c.csv", text.encode(), "text/csv")}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["errors"] == [
        {"line": 3, "sku": "R1-M", "reason": "colour: required (an axis of R1)"}
    ]
    exported = client.get("/v1/catalog/export?format=jsonl", headers=admin_headers)
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line)["sku"] for line in exported.text.splitlines()] == ["R1-S"]
    wrong = client.post(
        "/v1/catalog/import",
        files={"file": ("c.xlsx", b"x", "application/vnd.ms-excel")},
        headers=admin_headers,
    )
    assert (wrong.status_code, wrong.json()["errors"][0]["pointer"]) == (422, "#/file")

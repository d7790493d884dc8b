"""``comptoir customers dedupe`` and ``comptoir import customers``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from comptoir.cli import app
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.models import Customer, Review, SourceRecord

runner = CliRunner()


def write(path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def pairs(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return sorted((r["id_a"], r["id_b"]) for r in csv.DictReader(fh))


FRENCH = [
    ["Numéro", "Prénom", "Nom", "Courriel", "Téléphone", "Date de naissance", "Adresse", "Code postal", "Ville", "Notes"],
    ["A1", "Jean", "Dupont", "jean.dupont@gmail.com", "06 12 34 56 78", "31/12/1980", "12 av. Foch", "6000", "Nice", "x"],
    ["A2", "DUPONT", "JEAN", "", "+33612345678", "1980-12-31", "12 avenue Foch", "06000", "NICE", ""],
    ["A3", "Jean", "Dupond", "JEAN.DUPONT@GMAIL.COM", "", "", "", "", "", ""],
    ["B1", "Marie", "Curie", "marie.curie@orange.fr", "0798765432", "07/11/1967", "3 rue Neuve", "75005", "Paris", ""],
    ["C1", "Jean", "Dupont", "jd@free.fr", "0711223344", "02/04/1962", "5 rue Haute", "69001", "Lyon", ""],
]  # fmt: skip


def test_dedupe_writes_every_pair_of_each_cluster(tmp_path: Path) -> None:
    source = write(tmp_path / "clients.csv", FRENCH, delimiter=";", encoding="cp1252")
    out = tmp_path / "pairs.csv"
    result = runner.invoke(
        app, ["customers", "dedupe", str(source), "--id-column", "Numéro", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert pairs(out) == [("A1", "A2"), ("A1", "A3"), ("A2", "A3")]
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["cluster"] for r in rows} == {"A1"}
    assert all(r["score"] for r in rows if (r["id_a"], r["id_b"]) != ("A2", "A3"))


def test_dedupe_maps_unknown_headers_and_allows_missing_ones(tmp_path: Path) -> None:
    rows = [
        ["id", "Mail perso", "FirstName", "last_name", "Fax"],
        ["1", "a@b.fr", "Paul", "Martin", "01"],
        ["2", "A@B.FR", "paul", "MARTIN", ""],
        ["3", "c@d.fr", "Paul", "Martin", "01"],
    ]
    source = write(tmp_path / "legacy.csv", rows)
    out = tmp_path / "pairs.csv"
    result = runner.invoke(
        app,
        [
            "customers",
            "dedupe",
            str(source),
            "--id-column",
            "id",
            "-o",
            str(out),
            "--column",
            "email=Mail perso",
        ],
    )
    assert result.exit_code == 0, result.output
    assert pairs(out) == [("1", "2")]
    wrong = runner.invoke(
        app, ["customers", "dedupe", str(source), "--id-column", "ID client", "-o", str(out)]
    )
    assert wrong.exit_code == 2 and "not in the file" in wrong.output


@pytest.fixture
def cli_db(db, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def count(db, model) -> int:
    with UnitOfWork(db, read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_import_reports_every_row(cli_db, tmp_path: Path) -> None:
    rows = [*FRENCH, ["D1", "Ada", "x" * 1001, "", "", "", "", "", "", ""]]
    source = write(tmp_path / "caisse.csv", rows)
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app,
        [
            "import",
            "customers",
            str(source),
            "--source",
            "pos",
            "--id-column",
            "Numéro",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "5 imported (3 new customers, 2 matched" in result.output and "1 refused" in result.output
    with report.open(encoding="utf-8") as fh:
        lines = list(csv.DictReader(fh))
    assert [(r["row"], r["source_ref"], r["status"], r["decision"]) for r in lines] == [
        ("2", "A1", "imported", "new"),
        ("3", "A2", "imported", "matched"),
        ("4", "A3", "imported", "matched"),
        ("5", "B1", "imported", "new"),
        ("6", "C1", "imported", "new"),
        ("7", "D1", "error", ""),
    ]
    assert "family_name" in lines[-1]["error"]
    assert count(cli_db, SourceRecord) == 5
    with UnitOfWork(cli_db, read_only=True) as uow:
        raw = uow.session.scalar(select(SourceRecord.raw).where(SourceRecord.source_ref == "A1"))
    assert raw["Notes"] == "x" and raw["Prénom"] == "Jean"


def test_import_json_lines(cli_db, tmp_path: Path) -> None:
    source = tmp_path / "web.jsonl"
    source.write_text(
        "\n".join(json.dumps(r) for r in [
            {"first_name": "Marie", "last_name": "Curie", "email": "marie.curie@orange.fr", "newsletter": True},
            {"first_name": "Marie", "last_name": "Curie", "email": "Marie.Curie@orange.fr"},
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = runner.invoke(app, ["import", "customers", str(source), "--source", "web"])
    assert result.exit_code == 0, result.output
    assert "2 imported (1 new customers, 1 matched" in result.output
    assert (tmp_path / "web.report.csv").exists()


def test_initial_load_deduplicates_in_batch_into_an_empty_base(cli_db, tmp_path: Path) -> None:
    source = write(tmp_path / "legacy.csv", FRENCH)
    args = ["import", "customers", str(source), "--source", "pos", "--id-column", "Numéro", "--initial-load"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "5 records loaded into 3 customers" in result.output
    assert count(cli_db, Customer) == 3 and count(cli_db, SourceRecord) == 5
    assert count(cli_db, Review) == 0
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "not empty" in refused.output


def test_headers_are_recognised_in_english_and_french() -> None:
    from comptoir.customers.dedupe import map_columns

    headers = [
        "Client ID",
        "Prénom",
        "NOM",
        "E-mail",
        "Tél.",
        "Date de naissance",
        "Code_Postal",
        "Ville",
        "Remarques",
    ]
    assert map_columns(headers) == {
        "given_name": 1,
        "family_name": 2,
        "email": 3,
        "phone": 4,
        "birth_date": 5,
        "postcode": 6,
        "city": 7,
    }
    english = ["id", "first_name", "surname", "zip", "DOB", "Street Address", "mobile"]
    assert map_columns(english) == {
        "given_name": 1,
        "family_name": 2,
        "postcode": 3,
        "birth_date": 4,
        "street": 5,
        "phone": 6,
    }
    assert map_columns(english, {"phone": "id"})["phone"] == 0
    with pytest.raises(ValueError, match="unknown field"):
        map_columns(english, {"fax": "id"})

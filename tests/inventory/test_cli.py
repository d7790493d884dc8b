"""``comptoir import stock FILE`` and ``comptoir import count FILE``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service
from tests.inventory.factories import ledger_balances, level, network


def _run(db, monkeypatch, *args: str):  # type: ignore[no-untyped-def]
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def test_a_stock_file_sets_levels_once_and_reports_bad_rows(db, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    network(db)
    path = tmp_path / "stock.csv"
    path.write_text(
        "sku,place_id,on_hand,safety_stock,aisle,shelf,bin\n"
        "ROBE-S,st_opera,12,2,A3,2,14\n"
        "ROBE-M,st_opera,4,,,,\n"
        "ROBE-S,wh_orleans,200,,,,\n"
        "ROBE-L,st_opera,-1,,,,\n"
        "ROBE-L,st_nowhere,3,,,,\n",
        encoding="utf-8",
    )
    first = _run(db, monkeypatch, "import", "stock", str(path))
    assert first.exit_code == 1
    assert "row 5: on_hand: on_hand must be a whole number ≥ 0, not '-1'" in first.output
    assert "row 6: place_id: place st_nowhere does not exist" in first.output
    assert "5 row(s), 3 level(s) changed, 2 error(s)" in first.output
    again = _run(db, monkeypatch, "import", "stock", str(path))
    assert "5 row(s), 0 level(s) changed, 2 error(s)" in again.output
    assert level(db, "ROBE-S", "st_opera") == (12, 0, 10)
    with UnitOfWork(db, read_only=True) as uow:
        opera = service.stock_level(uow, "ROBE-S", "st_opera")
    assert opera.location is not None and opera.location.bin == "14"
    assert level(db, "ROBE-S", "wh_orleans") == (200, 0, 200)
    assert ledger_balances(db)


def test_a_count_file_of_quantities_is_ingested_as_a_full_count(db, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    network(db)
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,place_id,on_hand\nROBE-S,st_opera,12\nROBE-M,st_opera,4\n", encoding="utf-8")
    assert _run(db, monkeypatch, "import", "stock", str(stock)).exit_code == 0
    count = tmp_path / "count-opera.csv"
    count.write_text("sku,quantity\nROBE-S,11\n", encoding="utf-8")
    out = _run(db, monkeypatch, "import", "count", str(count), "--place", "st_opera")
    assert out.exit_code == 0, out.output
    assert "ROBE-M\texpected 4\tcounted 0\t-4" in out.output
    assert "2 variance(s), 5 unit(s) off, SKU accuracy 0.0%" in out.output
    assert level(db, "ROBE-M", "st_opera") == (0, 0, 0)
    assert ledger_balances(db)

"""``comptoir loyalty …``: set the programme from a file, expire points now, show an account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.loyalty.conftest import ledger_state, rules_without_operations


@pytest.fixture
def cli(db, monkeypatch):  # type: ignore[no-untyped-def]
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, ["loyalty", *args])
    get_settings.cache_clear()


def test_set_programme_expire_and_show(cli, db, pay, now, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # given the programme in a file, with points that expire after one month
    path = tmp_path / "programme.json"
    path.write_text(rules_without_operations(expiry_months=1).model_dump_json(), encoding="utf-8")
    done = cli("set-programme", str(path))
    assert done.exit_code == 0, done.output
    assert "programme 'Carte Comptoir' at version 1" in done.output
    pay("ord_1", "cus_a", "75")
    # when two months pass and the expiry runs
    now.advance(days=61)
    expired = cli("expire")
    # then the 75 points are gone
    assert expired.exit_code == 0, expired.output
    assert "expired: 75 points on 1 accounts" in expired.output
    assert ledger_state(db, "cus_a") == (0, 0, 0)
    shown = cli("show", "cus_a")
    assert json.loads(shown.output)["balance"] == 0


def test_a_bad_programme_file_names_the_field(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "programme.json"
    path.write_text(json.dumps({"name": "Carte", "point_value": "-1"}), encoding="utf-8")
    refused = cli("set-programme", str(path))
    assert refused.exit_code == 2
    assert "point_value" in refused.output

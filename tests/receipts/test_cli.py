"""``comptoir receipts print`` and ``comptoir returns policy`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from comptoir.core.settings import get_settings
from tests.orders.conftest import LIN_S
from tests.receipts.conftest import check_pdf, sell


def test_reprint_a_receipt_and_set_the_return_policy(  # type: ignore[no-untyped-def]
    client, stocked, till, dispatcher, tmp_path, monkeypatch, settings
) -> None:
    from comptoir.cli import app

    sale = sell(client, till, [(LIN_S, 1)])
    dispatcher.drain()
    policy_file = Path(tmp_path) / "policy.json"
    policy_file.write_text(json.dumps({"store_window_days": 14, "store_sales_by_post": True}))
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", stocked.url)
    monkeypatch.setenv("COMPTOIR_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(
            app, ["receipts", "print", sale["id"], "-o", str(tmp_path / "r.pdf"), "--lang", "en"]
        )
        html = CliRunner().invoke(app, ["receipts", "print", sale["id"], "-o", str(tmp_path / "r.html")])
        missing = CliRunner().invoke(app, ["receipts", "print", "ord_nope", "-o", str(tmp_path / "x.pdf")])
        changed = CliRunner().invoke(app, ["returns", "policy", "--set", str(policy_file)])
        shown = CliRunner().invoke(app, ["returns", "policy"])
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert check_pdf(pdf) == 1 and b"59.90" in pdf
    assert html.exit_code == 0 and "59,90\u00a0€" in (tmp_path / "r.html").read_text()
    assert missing.exit_code == 1
    assert changed.exit_code == 0, changed.output
    policy = json.loads(shown.output)
    assert (policy["store_window_days"], policy["store_sales_by_post"], policy["version"]) == (14, True, 1)

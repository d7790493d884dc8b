"""Links in e-mails and receipts use the port ``serve`` listens on unless a base URL is configured
(issue 15, item 15)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from comptoir.core.settings import Settings, get_settings, serving_base_url


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("shop.local", 8000, "http://shop.local:8000"),
        ("::1", 8080, "http://[::1]:8080"),
    ],
)
def test_without_a_configured_base_url_links_follow_the_served_port(
    host: str, port: int, expected: str
) -> None:
    assert serving_base_url(Settings(), host, port) == expected


def test_a_configured_base_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_BASE_URL", "https://boutique.example.fr")
    assert serving_base_url(Settings(), "127.0.0.1", 8123) is None


def test_serve_on_another_port_gives_the_app_that_port_for_its_links(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import uvicorn

    from comptoir.cli import app

    # given no base URL configured / when `comptoir serve --port 8123` starts the server
    monkeypatch.delenv("COMPTOIR_BASE_URL", raising=False)
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(base_url=get_settings().base_url))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "8123"])
    finally:
        monkeypatch.delenv("COMPTOIR_BASE_URL", raising=False)
        get_settings.cache_clear()
    # then the application it serves builds its links on that port
    assert result.exit_code == 0, result.output
    assert seen == {"base_url": "http://127.0.0.1:8123"}

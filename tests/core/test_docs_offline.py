"""The API docs work offline: /docs loads Swagger UI from Comptoir's own static files, no CDN."""

from __future__ import annotations

import re


def test_the_docs_page_references_no_other_host_and_its_assets_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert "SwaggerUIBundle" in html and "'/openapi.json'" in html
    assert re.findall(r"https?://", html) == []
    assert '"validatorUrl": null' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3
    for url in assets:
        assert url.startswith("/static/vendor/swagger-ui/"), url
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, url
        assert "immutable" in answer.headers["cache-control"]
    bundle = client.get(next(u for u in assets if u.endswith(".js") or ".js?" in u))
    assert bundle.headers["content-encoding"] == "gzip"
    assert client.get("/openapi.json").status_code == 200


def test_redoc_is_not_served_from_a_cdn_either(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/redoc").status_code == 404

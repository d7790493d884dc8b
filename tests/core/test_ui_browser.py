"""The design system in Chromium: the kernel's pages and a page using every macro, at tablet and phone
sizes in French and English, checked for layout faults, raw ids, the language and accessibility (axe);
charts drawn by the vendored Chart.js; the root page within the performance budget; /docs offline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from comptoir.core.web import Pages

SHOWCASE = """{% extends "base.html" %}{% import "ui.html" as ui with context %}
{% block title %}{{ title }}{% endblock %}
{% block nav %}{{ ui.nav_link("/__ui__/showcase", title) }}<a href="/shop">{{ shop }}</a>{% endblock %}
{% block main %}
<div class="page-head"><h1>{{ title }}</h1>{{ ui.badge(ready, "ok") }}</div>
<div class="stats">{{ ui.stat(sales, money(amount, "EUR")) }}{{ ui.stat(orders, number(1234)) }}</div>
<div class="grid">
  {% call ui.card(by_channel, id="card-channel") %}{{ ui.chart("by_channel", "bar", bars, by_channel) }}{% endcall %}
  {% call ui.card(share, id="card-share") %}{{ ui.chart("share", "doughnut", bars, share) }}{% endcall %}
  {% call ui.card(trend, id="card-trend") %}{{ ui.chart("trend", "line", bars, trend) }}{% endcall %}
</div>
<ul class="cards">{% for p in products %}<li>{{ ui.product_card(p) }}</li>{% endfor %}</ul>
{% call ui.card(form_title, id="form") %}
<form class="toolbar" method="get" action="/__ui__/showcase">
  {{ ui.field("gtin", code_label, value="40063813", error=code_error, inputmode="numeric") }}
  {{ ui.scanner("f-gtin", formats="ean") }}
  {{ ui.button(search) }}
</form>
{% endcall %}
{% call ui.table(orders) %}
<thead><tr><th scope="col">{{ customer }}</th><th scope="col">{{ note }}</th><th scope="col" class="num">{{ sales }}</th></tr></thead>
<tbody>{% for row in rows %}<tr><td>{{ row[0] }}</td><td>{{ row[1] }}</td><td class="num">{{ money(row[2], "EUR") }}</td></tr>{% endfor %}</tbody>
{% endcall %}
{{ ui.empty(nothing) }}
{{ ui.pager(next_url="/__ui__/showcase?page=2", summary=summary) }}
{% endblock %}"""

WORDS = {
    "fr": {
        "title": "Tableau de bord",
        "shop": "Boutique",
        "ready": "À jour",
        "sales": "Ventes",
        "orders": "Commandes",
        "by_channel": "Ventes par canal",
        "share": "Part du retrait en magasin",
        "trend": "Ventes de la semaine",
        "form_title": "Chercher un produit",
        "code_label": "Code-barres",
        "code_error": "Un code EAN a 8 ou 13 chiffres.",
        "search": "Chercher",
        "customer": "Cliente",
        "note": "Remarque",
        "nothing": "Aucun retour aujourd’hui.",
        "summary": "Page 1 sur 3",
        "labels": ["Site web", "Paris Rivoli", "Lyon Bellecour"],
        "series": "Chiffre d’affaires",
        "long": "Anticonstitutionnellementanticonstitutionnellementanticonstitutionnellement",
    },
    "en": {
        "title": "Dashboard",
        "shop": "Shop",
        "ready": "Up to date",
        "sales": "Sales",
        "orders": "Orders",
        "by_channel": "Sales by channel",
        "share": "Click & collect share",
        "trend": "This week's sales",
        "form_title": "Find a product",
        "code_label": "Barcode",
        "code_error": "An EAN code has 8 or 13 digits.",
        "search": "Search",
        "customer": "Customer",
        "note": "Note",
        "nothing": "No returns today.",
        "summary": "Page 1 of 3",
        "labels": ["Website", "Paris Rivoli", "Lyon Bellecour"],
        "series": "Revenue",
        "long": "Pneumonoultramicroscopicsilicovolcanoconiosispneumonoultramicroscopicsilicovolcanoconiosis",
    },
}


def showcase(lang: str) -> str:
    w = WORDS[lang]
    price: dict[str, Any] = {
        "currency": "EUR",
        "from_price": Decimal("29.90"),
        "compare_at_price": Decimal("39.90"),
        "discounted": True,
        "reference_price": Decimal("34.90"),
        "varies": False,
    }
    products = [
        {"name": "Marinière en coton bio", "brand": "Armor", "url": "/shop", "price": price},
        {"name": w["long"], "url": "/shop", "price": {**price, "discounted": False, "varies": True}},
        {"name": "Bol breton", "brand": "Henriot"},
    ]
    rows = [("Camille Martin", w["long"], Decimal("1234.5")), ("Jean Dupont", "—", Decimal("89"))]
    pages = Pages("comptoir.core")
    template = pages.env.from_string(SHOWCASE)
    context = {
        **pages.helpers(lang),
        **{k: v for k, v in w.items() if k not in ("labels", "series")},
        "app_class": "back-office",
        "current_path": "/__ui__/showcase",
        "amount": Decimal("15230.40"),
        "bars": {"labels": w["labels"], "series": [{"label": w["series"], "values": [5200, 7100.5, 2930]}]},
        "products": products,
        "rows": rows,
    }
    return str(template.render(context))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["tablet", "tablet-portrait", "phone"])
def test_every_macro_on_one_page(new_page, check_page, lang: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang, viewport)
    html = showcase(lang)
    page.route("**/__ui__/showcase*", lambda route: route.fulfill(content_type="text/html", body=html))
    page.goto("/__ui__/showcase")
    page.wait_for_function(
        "() => ['by_channel', 'share', 'trend'].every(id => window.Chart && Chart.getChart(id))"
    )
    kinds = page.evaluate("() => ['by_channel', 'share', 'trend'].map(id => Chart.getChart(id).config.type)")
    assert kinds == ["bar", "doughnut", "line"]
    assert page.locator("#f-gtin").get_attribute("aria-describedby") == "f-gtin-error"
    assert page.locator("nav.nav a[aria-current=page]").count() == 1
    check_page(page, "ui-showcase")


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["tablet", "phone"])
def test_the_public_pages(new_page, check_page, lang: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang, viewport)
    page.goto("/")
    check_page(page, "root")
    page.goto("/pages/sign-in")
    check_page(page, "sign-in")
    other = "en" if lang == "fr" else "fr"
    page.goto("/?x=1")
    with page.expect_navigation():  # the new page loaded before it is read (not the one unloading)
        page.click(f".langs a[hreflang={other}]")
    assert page.evaluate("document.documentElement.lang") == other and "x=1" in page.url


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("viewport", ["tablet", "phone"])
def test_the_staff_pages(new_page, check_page, lang: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang, viewport, role="admin")
    page.goto("/pages/")
    assert page.locator(".bar .who").inner_text().startswith("Test admin")
    check_page(page, "staff-home")
    page.goto("/pages/account")
    check_page(page, "staff-account")
    response = page.goto("/pages/nowhere")
    assert response is not None and response.status == 404
    check_page(page, "error-404")


def test_the_root_page_within_budget(new_page, perf_budget) -> None:  # type: ignore[no-untyped-def]
    page = new_page("fr", "phone")
    page.goto("/")
    perf_budget(page, "/").assert_within_budget()


def test_a_chart_page_within_budget(live_server, chromium) -> None:  # type: ignore[no-untyped-def]
    """Measured like ``perf_budget`` (cache disabled), the page itself served by the test."""
    from tests.support.browser import Perf

    html = showcase("fr")
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        page.route("**/__ui__/showcase*", lambda route: route.fulfill(content_type="text/html", body=html))
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto("/__ui__/showcase", wait_until="load")
        page.wait_for_load_state("networkidle")
        fcp = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
        )
        transfer = page.evaluate(
            "() => performance.getEntriesByType('resource').reduce((sum, e) => sum + (e.transferSize || 0), 0)"
        )
    finally:
        context.close()
    perf = Perf("/__ui__/showcase", fcp, int(transfer) + len(html))
    assert perf.transfer_bytes > 80_000  # Chart.js came, compressed
    perf.assert_within_budget()


def test_the_api_docs_render_offline(new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page("en", "tablet")
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Comptoir" in page.locator(".swagger-ui .info .title").inner_text()
    assert len(hosts) == 1  # the live server only

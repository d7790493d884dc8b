"""The back office in Chromium (demo retailer, PostgreSQL): a back-office person signs in, reads the
dashboard's charts, opens an order's detail page and the stock accuracy chart — in French and English,
each page checked at tablet size (layout, raw ids, language, accessibility)."""

from __future__ import annotations

import pytest

RIVOLI = "st_paris_rivoli"
CHART_DRAWN = "id => { const c = document.getElementById(id); return !!(c && window.Chart && window.Chart.getChart(c)); }"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_back_office_person_reads_the_dashboard_an_order_and_the_stock_accuracy(
    live_server, new_page, check_page, lang
):  # type: ignore[no-untyped-def]
    words = {
        "fr": ("Tableau de bord", "Ventes par canal", "Historique", "Justesse du stock dans le temps"),
        "en": ("Dashboard", "Sales by channel", "Timeline", "Stock accuracy over time"),
    }[lang]
    page = new_page(lang, "tablet")
    live_server.sign_in(page, "back_office")

    # the dashboard: every chart drawn by the chart library, with its data table
    page.goto("/back-office")
    assert page.locator("h1").inner_text() == words[0]
    assert words[1] in page.inner_text("main")
    for chart in ("chart-channels", "chart-shops", "chart-modes", "chart-pickups", "chart-returns"):
        page.wait_for_function(CHART_DRAWN, arg=chart)
    check_page(page, "back-office-dashboard")

    # an order's detail page, from the list
    page.goto("/back-office/orders")
    first = page.locator("main table tbody tr a").first
    number = first.inner_text()
    first.click()
    page.wait_for_url("**/back-office/orders/ord_*")
    assert number in page.locator("h1").inner_text()
    assert words[2] in page.inner_text("main")
    check_page(page, "back-office-order")

    # the stock accuracy chart of the shop that counted its stock
    page.goto(f"/back-office/stock?shop={RIVOLI}")
    assert words[3] in page.inner_text("main")
    page.wait_for_function(CHART_DRAWN, arg="chart-accuracy")
    check_page(page, "back-office-stock")

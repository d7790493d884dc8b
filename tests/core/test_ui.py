"""The design system: each ui.html macro rendered in French and English, the layout, the root page,
error pages in the page's language, and static files compressed and cacheable."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from comptoir.catalog.policies import RENDITIONS
from comptoir.core.web import RENDITION_WIDTHS, Pages, static_url
from tests.support.staff import sign_in_pages

PAGES = Pages("comptoir.core")


def render(source: str, lang: str = "fr", **context: Any) -> str:
    """A template snippet rendered as a page would be (same helpers), the macros imported."""
    template = PAGES.env.from_string('{% import "ui.html" as ui with context %}' + source)
    return str(template.render(**PAGES.helpers(lang), **context))


def squash(html: str) -> str:
    return re.sub(r"[ \t\n]+", " ", html)


# -- price -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "now", "was", "reference", "label"),
    [
        ("fr", "8,00\xa0€", "10,00\xa0€", "9,50\xa0€", "Prix de référence"),
        ("en", "€8.00", "€10.00", "€9.50", "Reference price"),
    ],
)
def test_a_discounted_price_shows_the_struck_regular_price_and_the_reference(
    lang: str, now: str, was: str, reference: str, label: str
) -> None:
    html = squash(
        render(
            '{{ ui.price(a, "EUR", regular=r, reference=ref) }}',
            lang,
            a=Decimal("8"),
            r=Decimal("10"),
            ref=Decimal("9.5"),
        )
    )
    assert 'class="price price-discounted"' in html
    assert re.search(rf'<s class="price-was">.*{re.escape(was)}</s>', html)
    assert re.search(rf'<strong class="price-now">.*{re.escape(now)}</strong>', html)
    assert '<small class="price-ref"' in html and f"{label} {reference}</small>" in html


def test_a_plain_price_shows_one_amount() -> None:
    html = squash(render('{{ ui.price(a, "EUR", regular=a) }}', "fr", a=Decimal("1234.5")))
    assert "price-was" not in html and "price-ref" not in html and "price-discounted" not in html
    assert '<strong class="price-now">1\u202f234,50\xa0€</strong>' in html


def test_a_price_from_says_so() -> None:
    assert "À partir de" in render('{{ ui.price(1, "EUR", from_price=True) }}', "fr")
    assert "From" in render('{{ ui.price(1, "EUR", from_price=True) }}', "en")


# -- badge, button, empty, stat, card, table, pager --------------------------------------------------


@pytest.mark.parametrize(
    ("tone", "css"),
    [("ok", "badge-ok"), ("warn", "badge-warn"), ("danger", "badge-danger"), ("info", "badge-info"),
     ("neutral", "badge-neutral"), ("shouting", "badge-neutral")],
)  # fmt: skip
def test_badge_tones(tone: str, css: str) -> None:
    html = render("{{ ui.badge('Prête', tone) }}", tone=tone)
    assert html == f'<span class="badge {css}">Prête</span>'


def test_buttons_links_and_extra_attributes() -> None:
    assert (
        render("{{ ui.button('Payer') }}") == '<button type="submit" class="btn btn-primary">Payer</button>'
    )
    assert render("{{ ui.button('Annuler', 'danger', type='button', hx_post='/x', disabled=True) }}") == (
        '<button type="button" class="btn btn-danger" hx-post="/x" disabled>Annuler</button>'
    )
    assert render("{{ ui.button('Voir', 'secondary', href='/a?b=1&c=2') }}") == (
        '<a class="btn btn-secondary" href="/a?b=1&amp;c=2">Voir</a>'
    )


def test_empty_stat_card_table_and_pager() -> None:
    assert render("{{ ui.empty('Rien') }}") == '<p class="empty">Rien</p>'
    stat = squash(render("{{ ui.stat('Ventes', money(v, 'EUR'), hint='7 jours') }}", v=Decimal("12")))
    assert '<span class="stat-label">Ventes</span> <strong class="stat-value">12,00\xa0€</strong>' in stat
    card = squash(render("{% call ui.card('Fidélité', id='loyalty') %}<p>Or</p>{% endcall %}"))
    assert '<section class="card" id="loyalty" aria-labelledby="loyalty-title">' in card
    assert '<h2 class="card-title" id="loyalty-title">Fidélité</h2> <p>Or</p>' in card
    table = squash(render("{% call ui.table('Commandes') %}<tr><td>1</td></tr>{% endcall %}"))
    assert '<div class="table-wrap" role="region" aria-label="Commandes" tabindex="0">' in table
    assert '<table class="table">' in table
    pager = squash(render("{{ ui.pager(next_url='/n?c=1', prev_url='/p') }}", "en"))
    assert 'href="/p" rel="prev">← Previous</a>' in pager and 'href="/n?c=1" rel="next">Next →</a>' in pager
    assert render("{{ ui.pager() }}") == ""


# -- field -------------------------------------------------------------------------------------------


def test_a_field_links_its_error_and_hint() -> None:
    html = squash(
        render(
            "{{ ui.field('email', 'Adresse e-mail', value='a@', type='email', error='Adresse incomplète.',"
            " hint='Celle du client', required=True, autocomplete='email') }}"
        )
    )
    assert '<label for="f-email">Adresse e-mail</label>' in html
    assert (
        '<input type="email" id="f-email" name="email" aria-invalid="true"'
        ' aria-describedby="f-email-hint f-email-error" required autocomplete="email" value="a@">'
    ) in html
    assert '<p class="error" id="f-email-error">Adresse incomplète.</p>' in html
    assert '<p class="hint muted" id="f-email-hint">Celle du client</p>' in html
    assert 'class="field has-error"' in html


def test_a_field_without_error_and_a_select() -> None:
    html = squash(render("{{ ui.field('q', 'Recherche', type='search') }}"))
    assert "aria-invalid" not in html and "aria-describedby" not in html and "has-error" not in html
    select = squash(
        render("{{ ui.field('size', 'Taille', value='M', type='select', options=[('S', 'S'), ('M', 'M')]) }}")
    )
    assert '<select id="f-size" name="size">' in select and '<option value="M" selected>M</option>' in select
    escaped = render("{{ ui.field('n', 'Nom', value=v) }}", v='"><script>')
    assert "<script>" not in escaped and "&#34;&gt;&lt;script&gt;" in escaped


# -- images and product cards ------------------------------------------------------------------------


def test_the_renditions_match_the_catalogue() -> None:
    assert RENDITION_WIDTHS == RENDITIONS


def test_an_image_offers_each_rendition() -> None:
    html = render("{{ ui.img('/pages/catalog/media/ast_1/listing', 'Pull bleu') }}")
    assert 'src="/pages/catalog/media/ast_1/listing"' in html
    assert (
        'srcset="/pages/catalog/media/ast_1/thumbnail 160w, /pages/catalog/media/ast_1/listing 480w,'
        ' /pages/catalog/media/ast_1/zoom 1600w"'
    ) in html
    assert 'alt="Pull bleu"' in html and 'loading="lazy"' in html
    original = render("{{ ui.img('/pages/catalog/media/ast_1', 'Pull') }}")
    assert "srcset" not in original  # renditions not made yet
    none = render("{{ ui.img(None, 'Pull') }}")
    assert f'src="{static_url("placeholder.svg")}"' in none and 'alt="Pull"' in none


@pytest.mark.parametrize(
    ("lang", "from_", "now"), [("fr", "À partir de", "25,00\xa0€"), ("en", "From", "€25.00")]
)
def test_a_product_card(lang: str, from_: str, now: str) -> None:
    product = {
        "name": "Pull marin",
        "brand": "Armor",
        "url": "/shop/products/prd_1",
        "image_url": "/shop/media/ast_1/listing",
        "price": {
            "currency": "EUR",
            "from_price": Decimal("25"),
            "compare_at_price": Decimal("35"),
            "discounted": True,
            "reference_price": Decimal("30"),
            "varies": True,
        },
        "badges": [("-30 %", "danger")],
    }
    html = squash(render("{{ ui.product_card(p) }}", lang, p=product))
    assert '<h3 class="product-name"><a href="/shop/products/prd_1">Pull marin</a></h3>' in html
    assert "/shop/media/ast_1/zoom 1600w" in html
    assert from_ in html and now in html and "price-was" in html and "price-ref" in html
    assert '<span class="badge badge-danger">-30 %</span>' in html
    bare = squash(render("{{ ui.product_card({'name': 'Bol'}) }}", lang))
    assert "placeholder.svg" in bare and '<h3 class="product-name">Bol</h3>' in bare and "price" not in bare


# -- chart and scanner -------------------------------------------------------------------------------


def test_a_chart_carries_its_data_a_table_and_its_script_once() -> None:
    data = {
        "labels": ["Web", "Magasins"],
        "series": [{"label": "Ventes", "values": [Decimal("1200.5"), 800]}],
    }
    html = render("{{ ui.chart('sales', 'bar', data, 'Ventes par canal') }}{{ ui.chart('b', 'doughnut', data, 'Part') }}",
                  data=data)  # fmt: skip
    spec = json.loads(re.search(r"data-chart='([^']+)'", html).group(1))  # type: ignore[union-attr]
    assert spec == {
        "kind": "bar",
        "labels": ["Web", "Magasins"],
        "series": [{"label": "Ventes", "values": [1200.5, 800]}],
    }
    assert 'role="img" aria-label="Ventes par canal"' in html
    assert "<summary>Tableau des données</summary>" in html
    assert '<th scope="row">Web</th><td>1\u202f200,5</td>' in html
    assert html.count("chart-4.6.2.umd.min.js") == 1 and html.count("charts.js") == 1


def test_chart_labels_cannot_break_out_of_the_attribute() -> None:
    data = {"labels": ["it's <b>"], "series": [{"label": "x", "values": [1]}]}
    html = render("{{ ui.chart('c', 'line', data, 'L') }}", data=data)
    attribute = re.search(r"data-chart='([^']+)'", html).group(1)  # type: ignore[union-attr]
    assert "<b>" not in attribute and json.loads(attribute)["labels"] == ["it's <b>"]


def test_the_scanner_markup() -> None:
    html = squash(render("{{ ui.scanner('sku') }}{{ ui.scanner('gtin', formats='ean') }}", "en"))
    assert '<div class="scanner" data-scanner data-target="#sku" data-formats="ean|qr">' in html
    assert (
        '<button type="button" class="btn btn-secondary" data-scanner-start aria-controls="sku">Scan a barcode</button>'
        in html
    )
    assert "<video playsinline muted hidden" in html
    assert 'data-target="#gtin" data-formats="ean"' in html
    assert html.count('src="/static/scan.js') == 1


# -- the layout and the pages ------------------------------------------------------------------------


def test_the_language_switch_keeps_the_page_and_its_query(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/?lang=fr&x=1&x=2").text
    assert 'href="/?x=1&amp;x=2&amp;lang=en"' in html and 'href="/?x=1&amp;x=2&amp;lang=fr"' in html
    assert '<a class="skip-link" href="#main">Aller au contenu</a>' in html
    assert '<main id="main" class="page" tabindex="-1">' in html


@pytest.mark.parametrize(
    ("lang", "words"),
    [("fr", ["Application vendeur", "Boutique en ligne", "Back-office", "Documentation de l’API"]),
     ("en", ["Seller app", "Storefront", "Back office", "API documentation"])],
)  # fmt: skip
def test_the_root_page_points_to_the_apps_and_the_api_docs(client, lang: str, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    for href in ('href="/seller"', 'href="/shop"', 'href="/back-office"', 'href="/docs"'):
        assert href in response.text
    for word in words:
        assert word in response.text


def test_the_staff_home_lists_the_apps_and_shows_who_is_signed_in(client, db) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, "admin")
    html = client.get("/pages/?lang=en").text
    assert 'class="who" href="/pages/account"' in html and "Test admin" in html
    assert 'action="/pages/sign-out"' in html
    for path in ("/seller", "/shop", "/back-office"):
        assert f'class="card app-tile" href="{path}"' in html
    assert "Hello, Test admin" in html


@pytest.mark.parametrize(
    ("path", "app_class"),
    [("/pages/nowhere", "app-staff"), ("/seller/nowhere", "app-seller"), ("/shop/nowhere", "app-shop")],
)
def test_unknown_pages_answer_an_html_page_in_the_pages_language(
    client, db, path: str, app_class: str
) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, "admin")
    response = client.get(f"{path}?lang=fr")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in response.text and f'class="{app_class}"' in response.text
    assert client.get("/v1/nowhere").headers["content-type"] == "application/problem+json"


def test_a_staff_page_refused_in_french(client, db) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, "seller")
    response = client.get("/back-office?lang=fr")
    assert response.status_code == 403
    assert "Action non autorisée" in response.text and "Vous n’avez pas accès" in response.text


# -- static files ------------------------------------------------------------------------------------


def test_static_text_files_are_gzipped_and_cacheable(client) -> None:  # type: ignore[no-untyped-def]
    url = static_url("comptoir.css")
    assert re.fullmatch(r"/static/comptoir\.css\?v=[0-9a-f]{12}", url)
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < len(response.content) / 3  # sent compressed
    assert response.text.startswith("/* Comptoir")
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_static_files_without_a_version_are_revalidated(client) -> None:  # type: ignore[no-untyped-def]
    plain = client.get("/static/charts.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["cache-control"] == "public, no-cache"
    assert client.get("/static/charts.js", headers={"If-None-Match": plain.headers["etag"],
                                                    "Accept-Encoding": "identity"}).status_code == 304  # fmt: skip
    image = client.get("/static/vendor/swagger-ui/favicon-32x32.png", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in image.headers


def test_a_chart_page_weighs_little_on_the_wire(client) -> None:  # type: ignore[no-untyped-def]
    """CSS, htmx, Chart.js and charts.js gzipped: well under the pages' 300 kB budget."""
    total = 0
    for name in ("comptoir.css", "htmx-2.0.11.min.js", "vendor/chart-4.6.2.umd.min.js", "charts.js"):
        response = client.get(static_url(name), headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        total += int(response.headers["content-length"])
    assert total < 120_000


def test_the_stylesheet_stays_small() -> None:
    from comptoir.core.web import STATIC_DIR

    assert (STATIC_DIR / "comptoir.css").stat().st_size < 30_000


def test_json_in_pages_accepts_decimals_and_dates() -> None:
    assert render("{{ {'d': d, 'x': x}|tojson }}", d=date(2026, 1, 2), x=Decimal("1.5")) == (
        '{"d": "2026-01-02", "x": 1.5}'
    )

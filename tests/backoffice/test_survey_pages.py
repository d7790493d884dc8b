"""The back office's surveys page: NPS and CSAT overall, by shop, employee, channel and touchpoint and
their trend, as SVG charts drawn on the server (no script) each with a table of its figures, in French
and English; a shop manager reads their own shop only, a seller none."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.db import Database
from tests.engagement.survey_support import a_customer, answer, survey_message
from tests.orders.conftest import OPERA, RIVOLI
from tests.support.staff import make_person, sign_in_pages

NOW = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def answered(stocked: Database) -> Iterator[Database]:
    """NPS 10, 9, 3 at Rivoli (web), 10 at Opéra (a shop's channel); CSAT 5 and 2 at Rivoli — in June."""
    advisor = make_person(stocked, Role.ADVISOR, [RIVOLI]).id
    rows = [(RIVOLI, "web", "survey_nps", s) for s in (10, 9, 3)]
    rows += [(OPERA, f"store:{OPERA}", "survey_nps", 10)]
    rows += [(RIVOLI, f"store:{RIVOLI}", "survey_csat", s) for s in (5, 2)]
    for n, (place, channel, template, score) in enumerate(rows):
        person = a_customer(stocked, f"Client{n}", f"client{n}@example.fr")
        facts = {"place_id": place, "advisor_id": advisor, "channel": channel}
        answer(
            stocked,
            survey_message(stocked, person, template, facts),
            score,
            at=datetime(2027, 6, 20 + n, 9, tzinfo=UTC),
        )
    clock.set_clock(lambda: NOW)
    yield stocked
    clock.set_clock(None)


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_the_surveys_page_draws_its_charts_on_the_server_with_their_figures_in_french(
    client: TestClient, answered: Database
) -> None:
    sign_in_pages(client, answered, Role.BACK_OFFICE, [])
    page = client.get("/back-office/surveys?lang=fr")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Enquêtes" in text and 'href="/back-office/surveys" aria-current="page"' in page.text
    # NPS: 3 promoters of 4, 1 detractor → +50; CSAT: (5 + 2) / 2 = 3,5
    assert re.search(r"NPS\s*</[^>]+>\s*<[^>]+>\s*\+50", page.text), "the overall NPS"
    assert "3,5" in text
    # each chart is an SVG image with its title, drawn without any script or outside resource: NPS and
    # CSAT by shop, employee, channel and touchpoint, and their trend
    assert page.text.count('<svg role="img"') == 10
    assert "<title" in page.text and "charts.js" not in page.text and "data-chart" not in page.text
    by_shop = _section(page.text, "surveys-shop")
    assert "Comptoir Rivoli" in by_shop and "Comptoir Opéra" in by_shop
    assert re.search(r"<th scope=\"row\">Comptoir Rivoli</th><td>\+33,3</td><td>3</td>", by_shop)
    channels = text_of(_section(page.text, "surveys-channel"))
    assert "Magasins +100" in channels and "Site web +33,3" in channels  # the channels' names
    assert "Après une commande" in text_of(_section(page.text, "surveys-touchpoint"))


def test_the_surveys_page_in_english_by_week(client: TestClient, answered: Database) -> None:
    sign_in_pages(client, answered, Role.ADMIN, [])
    page = client.get("/back-office/surveys?lang=en&every=week&days=90")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "By shop" in text and "After an appointment" in text and "Trend" in text
    trend = _section(page.text, "surveys-trend")
    assert "<polyline" in trend or "<circle" in trend
    assert 'option value="week" selected' in page.text


def test_a_shop_manager_sees_their_shop_only_and_a_seller_nothing(
    client: TestClient, answered: Database
) -> None:
    sign_in_pages(client, answered, Role.SHOP_MANAGER, [RIVOLI])
    page = client.get("/back-office/surveys?lang=fr")
    assert page.status_code == 200
    by_shop = _section(page.text, "surveys-shop")
    assert "Comptoir Rivoli" in by_shop and "Comptoir Opéra" not in page.text
    other = client.get(f"/back-office/surveys?lang=fr&shop={OPERA}")
    assert "Aucune réponse sur cette période." in text_of(other.text)
    client.cookies.clear()
    sign_in_pages(client, answered, Role.SELLER, [RIVOLI])
    assert client.get("/back-office/surveys").status_code == 403


def test_no_answer_says_so(client: TestClient, stocked: Database) -> None:
    sign_in_pages(client, stocked, Role.BACK_OFFICE, [])
    page = client.get("/back-office/surveys?lang=en")
    assert page.status_code == 200
    assert "No answer in this period." in text_of(page.text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_surveys_page_in_chromium(live_server, new_page, check_page, lang):  # type: ignore[no-untyped-def]
    """At tablet size: its layout, raw ids, language and accessibility (axe) checked."""
    page = new_page(lang, "tablet")
    live_server.sign_in(page, "back_office")
    page.goto("/back-office/surveys?days=365&every=month")
    assert page.locator("h1").inner_text() == ("Enquêtes" if lang == "fr" else "Surveys")
    assert page.locator("svg[role=img]").count() >= 2  # the trend's two charts, at least
    check_page(page, "back-office-surveys")

"""What the surveys say, through the API: NPS and CSAT by shop, advisor, channel, touchpoint and period
checked against hand-computed figures; days and weeks on the retailer's clock across midnight and a clock
change (the database reads them: PostgreSQL with its time zones, SQLite with the range's offsets); bad
ranges refused naming the field; a shop manager reads their own shop only, neither a seller nor a
customer reads any; the answers' list pages and filters. Both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.engagement import surveys
from comptoir.engagement.survey_policies import bucket
from tests.conftest import make_key
from tests.engagement.conftest import Inbox
from tests.engagement.survey_support import a_customer, a_worker, answer, answers_of, survey_message
from tests.orders.conftest import OPERA, RIVOLI, headers
from tests.support.staff import make_person, staff_headers


@pytest.fixture
def worker(stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[Any]:
    yield from a_worker(stocked, settings, tmp_path, inbox)


@pytest.fixture
def answered(worker: Any) -> dict[str, str]:
    """Eleven answers at two shops from two advisors over two weeks of June 2027 (and one unconfirmed
    click, which does not count):

    * NPS at Rivoli 10, 9, 8, 6, 3 (camille, web; week of 7 June) → 2 promoters, 1 passive, 2 detractors: 0;
    * NPS at Opéra 10, 10, 7 (hugo, store; week of 14 June) → 66.7; all NPS: 4 − 2 of 8 → 25;
    * CSAT at Rivoli 5, 4, 2 (camille, store; week of 14 June) → mean 3.67, 66.7 % satisfied."""
    db = worker.db
    camille, hugo = make_person(db, Role.ADVISOR, [RIVOLI]).id, make_person(db, Role.ADVISOR, [OPERA]).id
    people = [a_customer(db, f"Client{n}", f"client{n}@example.fr") for n in range(12)]
    first_week, second_week = datetime(2027, 6, 8, 9, tzinfo=UTC), datetime(2027, 6, 15, 9, tzinfo=UTC)
    rows = [(RIVOLI, camille, "web", "survey_nps", score, first_week) for score in (10, 9, 8, 6, 3)]
    rows += [(OPERA, hugo, "store:" + OPERA, "survey_nps", score, second_week) for score in (10, 10, 7)]
    rows += [(RIVOLI, camille, "store:" + RIVOLI, "survey_csat", score, second_week) for score in (5, 4, 2)]
    for person, (place, advisor, channel, template, score, at) in zip(people, rows, strict=False):
        facts = {"place_id": place, "advisor_id": advisor, "channel": channel}
        answer(db, survey_message(db, person, template, facts), score, at=at)
    clicked = survey_message(db, people[-1], "survey_nps", {"place_id": RIVOLI, "channel": "web"})
    for score in (0, 1):  # a scanner: ambiguous, not counted
        link = urlsplit(surveys.survey_url(worker.settings, clicked, score, "fr"))
        worker.client.get(f"{link.path}?{link.query}")
    worker.at(datetime(2027, 6, 30, 12, tzinfo=UTC))
    return {"camille": camille, "hugo": hugo}


def _stats(worker: Any, who: dict[str, str], **params: Any) -> Any:
    return worker.client.get("/v1/engagement/surveys/stats", params=params, headers=who)


def test_nps_and_csat_by_shop_advisor_channel_touchpoint_and_week(
    worker: Any, answered: dict[str, str]
) -> None:
    admin = headers(make_key(worker.db, ["*"]))
    response = _stats(worker, admin, since="2027-06-01", until="2027-06-30", period="week")
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["overall"]["nps"] == {
        "answers": 8,
        "promoters": 4,
        "passives": 2,
        "detractors": 2,
        "nps": 25.0,
    }
    assert stats["overall"]["csat"] == {"answers": 3, "satisfied": 2, "mean": 3.67, "satisfied_percent": 66.7}
    shops = {g["key"]: g for g in stats["by_shop"]}
    assert (shops[RIVOLI]["label"], shops[RIVOLI]["nps"]["nps"], shops[RIVOLI]["csat"]["mean"]) == (
        "Comptoir Rivoli",
        0.0,
        3.67,
    )
    assert (shops[OPERA]["nps"]["nps"], shops[OPERA]["csat"]["answers"]) == (66.7, 0)
    advisors = {g["key"]: g for g in stats["by_advisor"]}
    assert (
        advisors[answered["camille"]]["nps"]["answers"] == 5
        and advisors[answered["hugo"]]["nps"]["nps"] == 66.7
    )
    assert advisors[answered["camille"]]["label"] == "Test advisor"
    channels = {g["key"]: (g["nps"]["answers"], g["csat"]["answers"]) for g in stats["by_channel"]}
    assert channels == {"web": (5, 0), "store": (3, 3)}
    touchpoints = {g["key"]: (g["nps"]["answers"], g["csat"]["answers"]) for g in stats["by_touchpoint"]}
    assert touchpoints == {"order": (8, 0), "appointment": (0, 3)}
    weeks = [(g["key"], g["nps"]["nps"], g["csat"]["answers"]) for g in stats["by_period"]]
    assert weeks == [
        ("2027-05-31", None, 0),
        ("2027-06-07", 0.0, 0),
        ("2027-06-14", 66.7, 3),
        ("2027-06-21", None, 0),
        ("2027-06-28", None, 0),
    ]
    # a range after June counts nothing; a shop's own figures
    assert (
        _stats(worker, admin, since="2027-07-01", until="2027-07-31").json()["overall"]["nps"]["answers"] == 0
    )
    opera = _stats(worker, admin, place_id=OPERA, since="2027-06-01", until="2027-06-30").json()
    assert (opera["place_ids"], opera["overall"]["nps"]["nps"]) == ([OPERA], 66.7)


def test_days_and_weeks_are_the_retailer_s_even_across_midnight_and_a_clock_change(worker: Any) -> None:
    """The database reads each answer's day on Paris's clock (PostgreSQL with its time zones, SQLite with
    the offsets of the range): as :func:`~comptoir.engagement.survey_policies.bucket` says."""
    instants = [
        datetime(2027, 3, 27, 22, 59, tzinfo=UTC),  # Saturday 23:59 in Paris (winter time)
        datetime(2027, 3, 27, 23, 0, tzinfo=UTC),  # Sunday 00:00
        datetime(2027, 3, 28, 0, 59, tzinfo=UTC),  # 01:59, the last minute before the clock jumps
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),  # 03:00 summer time
        datetime(2027, 3, 28, 21, 59, tzinfo=UTC),  # Sunday 23:59
        datetime(2027, 3, 28, 22, 0, tzinfo=UTC),  # Monday 00:00: another week
    ]
    someone = a_customer(worker.db, "Nina", "nina@example.fr")
    for at in instants:
        answer(worker.db, survey_message(worker.db, someone, "survey_nps", {"place_id": RIVOLI}), 10, at=at)
    admin = headers(make_key(worker.db, ["*"]))
    paris = ZoneInfo("Europe/Paris")
    for period in ("day", "week"):
        stats = _stats(worker, admin, since="2027-03-26", until="2027-03-30", period=period).json()
        counted = {g["key"]: g["nps"]["answers"] for g in stats["by_period"] if g["nps"]["answers"]}
        expected: dict[str, int] = {}
        for at in instants:
            key = bucket(at, period, paris).isoformat()  # type: ignore[arg-type]
            expected[key] = expected.get(key, 0) + 1
        assert counted == expected
    assert counted == {"2027-03-22": 5, "2027-03-29": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2027-06-30", "until": "2027-06-01"}, "since"),
        ({"since": "2026-01-01", "until": "2027-06-30"}, "since"),
        ({"period": "year"}, "period"),
        ({"since": "9999-12-31"}, "since"),
    ],
    ids=["reversed", "over-a-year", "unknown-period", "far-future"],
)
def test_a_bad_range_is_a_422_naming_the_field(worker: Any, params: dict[str, str], field: str) -> None:
    response = _stats(worker, headers(make_key(worker.db, ["*"])), **params)
    assert response.status_code == 422, response.text
    assert field in json.dumps(response.json()["errors"])


def test_a_shop_manager_reads_their_shop_only_and_neither_a_seller_nor_a_customer_reads_any(
    worker: Any, answered: dict[str, str], web: dict[str, str]
) -> None:
    manager = staff_headers(worker.db, Role.SHOP_MANAGER, [RIVOLI])
    mine = _stats(worker, manager, since="2027-06-01", until="2027-06-30")
    assert mine.status_code == 200, mine.text
    assert mine.json()["place_ids"] == [RIVOLI]
    assert [g["key"] for g in mine.json()["by_shop"]] == [RIVOLI]
    assert mine.json()["overall"]["nps"]["answers"] == 5
    assert _stats(worker, manager, place_id=OPERA).status_code == 403
    answers = worker.client.get("/v1/engagement/surveys/answers", headers=manager).json()["items"]
    assert {a["place_id"] for a in answers} == {RIVOLI}
    assert _stats(worker, staff_headers(worker.db, Role.SELLER, [RIVOLI])).status_code == 403
    assert _stats(worker, web).status_code in (401, 403)
    assert worker.client.get("/v1/engagement/surveys/answers", headers=web).status_code in (401, 403)
    assert _stats(worker, {}).status_code == 401


def test_the_answers_list_pages_and_filters(worker: Any, answered: dict[str, str]) -> None:
    admin = headers(make_key(worker.db, ["*"]))
    first = worker.client.get("/v1/engagement/surveys/answers", params={"limit": 5}, headers=admin).json()
    second = worker.client.get(
        "/v1/engagement/surveys/answers", params={"limit": 20, "cursor": first["next_cursor"]}, headers=admin
    ).json()
    assert len(first["items"]) == 5 and len(second["items"]) == 7 and second["next_cursor"] is None
    assert len({a["id"] for a in first["items"] + second["items"]}) == 12
    csat = answers_of(worker, kind="csat")
    assert sorted(a["score"] for a in csat) == [2, 4, 5]
    assert [a["score"] for a in answers_of(worker, state="ambiguous")] == [1]

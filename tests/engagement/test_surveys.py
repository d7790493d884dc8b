"""Satisfaction surveys end to end, caught by a real SMTP server (aiosmtpd): an order collected at Rivoli
brings the NPS survey two days later at 10:00 in Paris, its scale a row of signed one-click links; a click
records the score tied to the customer, the order, the shop, the seller and the channel; the comment page
confirms it with a comment; a mail scanner opening every link counts for nothing until the customer
confirms; a tampered link answers 404; no survey goes without the customer's opt-in, nor after they
withdraw it. An appointment is surveyed the morning after its report; the customer answers their own
survey from an app (nobody else's); links opened at the same instant make one answer; the person's erasure
keeps the score and nothing that ties it to them. (The statistics: test_survey_stats.py.) Both
databases."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import CompleteIn
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn
from comptoir.engagement import service as engagement
from comptoir.engagement import surveys
from tests.conftest import make_key
from tests.engagement.conftest import Inbox, text_of
from tests.engagement.survey_support import NOW, a_customer, a_worker, answer, answers_of, survey_message
from tests.engagement.test_appointment_journey import STARTS, World, journey_settings, world  # noqa: F401
from tests.orders.conftest import LIN_S, RIVOLI, checkout, headers, new_cart, step
from tests.support.concurrency import race
from tests.support.staff import make_person, staff_headers

SURVEY_AT = datetime(2027, 6, 9, 8, 0, tzinfo=UTC)  # two days later, 10:00 in Paris
LINK = re.compile(
    r'<a href="(https://boutique\.example\.fr/pages/engagement/surveys/[^"]+)" aria-label="([^"]+)"'
)


@pytest.fixture
def worker(stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[Any]:
    yield from a_worker(stocked, settings, tmp_path, inbox)


def _opt_in(db: Database, customer_id: str, granted: bool = True) -> None:
    with UnitOfWork(db) as uow:
        statement = ConsentIn(purpose="satisfaction-surveys", channel="email", granted=granted)
        customers.record_consents(uow, customer_id, [statement], "account")
        uow.commit()


def _collected(
    worker: Any, rivoli: dict[str, str], marie: str, seller_id: str | None = None
) -> dict[str, Any]:
    """Marie's click & collect, taken at Rivoli by a seller, collected there now."""
    client = worker.client
    cart = new_cart(client, rivoli, [(LIN_S, 1)], customer_id=marie)
    extra = {"seller_id": seller_id} if seller_id else {}
    placed = checkout(
        client, rivoli, cart, mode="click_and_collect", pickup_place_id=RIVOLI, customer_id=marie, **extra
    )
    assert placed.status_code == 201, placed.text
    order = dict(placed.json())
    for action in ("allocate", "pick", "ready", "collect"):
        step(client, rivoli, order["fulfilments"][0]["id"], action)
    return order


def _survey_mail(worker: Any, box: Inbox) -> EmailMessage:
    """What goes when the survey is due (the order's own messages went before)."""
    worker.run()
    box.take()  # the order's confirmation and "ready"
    worker.at(SURVEY_AT - timedelta(minutes=1))
    worker.run()
    assert box.take() == []
    worker.at(SURVEY_AT)
    worker.run()
    (mail,) = box.take()
    return mail


def _links(mail: EmailMessage) -> list[tuple[str, str]]:
    """The scale's links (path and query, as the test client asks them) and their labels."""
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    found = LINK.findall(str(body.get_content()))
    return [(urlsplit(url).path + "?" + urlsplit(url).query, html.unescape(label)) for url, label in found]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)))


# -- the whole path ---------------------------------------------------------------------------------------------


def test_a_collected_order_is_surveyed_and_answered_in_one_click_then_commented(
    worker: Any, inbox: tuple[Inbox, int], marie: str, rivoli: dict[str, str]
) -> None:
    box, client = inbox[0], worker.client
    # Given Marie, who agreed to satisfaction surveys by e-mail, collects at Rivoli an order a seller took
    _opt_in(worker.db, marie)
    seller = make_person(worker.db, Role.SELLER, [RIVOLI])
    order = _collected(worker, rivoli, marie, seller.id)
    # When two days have passed, at 10:00 in Paris, Then the survey goes, in French
    mail = _survey_mail(worker, box)
    assert mail["To"] == "marie.curie@orange.fr"
    assert str(mail["Subject"]) == "Recommanderiez-vous Comptoir\u202f?"
    assert order["number"] in text_of(mail) and "Rivoli" in text_of(mail)
    assert mail["List-Unsubscribe"] is not None  # a survey is commercial: one-click unsubscribe
    # with the scale as eleven one-click links, each labelled for screen readers
    links = _links(mail)
    assert [label for _, label in links] == [f"{n} sur 10" for n in range(11)]
    # When Marie clicks 9
    page = client.get(links[9][0])
    assert page.status_code == 200, page.text
    assert "Merci\u202f! Nous avons noté 9 sur 10." in _text(page.text)
    assert re.search(r'value="9" checked', page.text)
    # Then her answer is recorded, provisionally, tied to her, the order, Rivoli, the seller and the shop
    (recorded,) = answers_of(worker)
    assert {k: recorded[k] for k in ("customer_id", "kind", "score", "state", "counted", "touchpoint")} == {
        "customer_id": marie,
        "kind": "nps",
        "score": 9,
        "state": "provisional",
        "counted": True,
        "touchpoint": "order",
    }
    assert (recorded["subject_id"], recorded["place_id"], recorded["advisor_id"], recorded["channel"]) == (
        order["id"],
        RIVOLI,
        seller.id,
        "store",
    )
    # and clicking it again changes nothing: one answer
    assert client.get(links[9][0]).status_code == 200
    assert [a["id"] for a in answers_of(worker)] == [recorded["id"]]
    # When she confirms 10 with a comment on the page
    form = {"csrf_token": _csrf(page.text), "score": "10", "comment": "  Accueil parfait, merci Léa !  "}
    done = client.post(links[9][0], data=form)
    assert done.status_code == 200, done.text
    assert "Votre réponse est enregistrée\u00a0: 10 sur 10." in _text(done.text)
    (confirmed,) = answers_of(worker)
    assert (confirmed["id"], confirmed["state"], confirmed["score"], confirmed["comment"]) == (
        recorded["id"],
        "confirmed",
        10,
        "Accueil parfait, merci Léa !",
    )
    # Then a later click does not undo what she confirmed (the page offers to change it)
    again = client.get(links[3][0])
    assert "Vous aviez répondu 10 sur 10." in _text(again.text)
    assert answers_of(worker)[0]["score"] == 10
    # and her survey's journey is over
    with UnitOfWork(worker.db, read_only=True) as uow:
        (journey,) = [
            j for j in engagement.instances_of(uow, marie) if j.journey_code == "survey_order_collected"
        ]
    assert journey.state == "completed" and journey.exit_reason == "answered"


def test_the_page_speaks_english_when_the_link_says_so(
    worker: Any, inbox: tuple[Inbox, int], marie: str
) -> None:
    message_id = survey_message(worker.db, marie, "survey_csat", {"place_id": RIVOLI, "channel": "web"})
    link = urlsplit(surveys.survey_url(worker.settings, message_id, 4, "en"))
    page = worker.client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "Thank you! We have noted 4 out of 5: satisfied." in _text(page.text)
    assert "How satisfied are you with your appointment?" in _text(page.text)


def test_a_mail_scanner_opening_every_link_counts_for_nothing_until_the_customer_confirms(
    worker: Any, marie: str
) -> None:
    message_id = survey_message(worker.db, marie, "survey_nps", {"place_id": RIVOLI, "channel": "web"})
    client = worker.client
    for score in range(11):  # what some scanners do before the reader opens the message
        link = urlsplit(surveys.survey_url(worker.settings, message_id, score, "fr"))
        last = client.get(f"{link.path}?{link.query}")
        assert last.status_code == 200
    (scanned,) = answers_of(worker)
    assert (scanned["state"], scanned["counted"]) == ("ambiguous", False)
    admin = headers(make_key(worker.db, ["*"]))
    stats = client.get("/v1/engagement/surveys/stats", headers=admin).json()
    assert stats["overall"]["nps"]["answers"] == 0
    # When Marie confirms her score on the page, Then it counts
    link = urlsplit(surveys.survey_url(worker.settings, message_id, 8, "fr"))
    confirmed = client.post(f"{link.path}?{link.query}", data={"csrf_token": _csrf(last.text), "score": "8"})
    assert confirmed.status_code == 200, confirmed.text
    stats = client.get("/v1/engagement/surveys/stats", headers=admin).json()
    assert stats["overall"]["nps"] == {
        "answers": 1,
        "promoters": 0,
        "passives": 1,
        "detractors": 0,
        "nps": 0.0,
    }


def test_the_page_asks_again_for_a_missing_score_and_refuses_a_form_from_elsewhere(
    worker: Any, marie: str
) -> None:
    message_id = survey_message(worker.db, marie, "survey_csat", {"place_id": RIVOLI})
    link = urlsplit(surveys.survey_url(worker.settings, message_id, None, "fr"))  # the SMS's: no score
    url = f"{link.path}?{link.query}"
    page = worker.client.get(url)
    assert page.status_code == 200 and " checked" not in page.text
    missing = worker.client.post(url, data={"csrf_token": _csrf(page.text), "comment": "Bien"})
    assert missing.status_code == 422 and "Choisissez une note" in _text(missing.text)
    assert "Bien" in missing.text  # what she wrote is kept
    off_scale = worker.client.post(url, data={"csrf_token": _csrf(page.text), "score": "9"})
    assert off_scale.status_code == 422
    too_long = worker.client.post(
        url, data={"csrf_token": _csrf(page.text), "score": "4", "comment": "x" * 2001}
    )
    assert too_long.status_code == 422 and "trop long" in _text(too_long.text)
    worker.client.cookies.clear()
    forged = worker.client.post(url, data={"csrf_token": "from-another-site", "score": "5"})
    assert forged.status_code == 403
    assert answers_of(worker) == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t.replace(".4.", ".5.", 1),  # the score
        lambda t: "msg_" + "0" * 32 + t[t.index(".") :],  # the message
        lambda t: t + "é",  # not ASCII
        lambda t: "nothing",
    ],
    ids=["signature", "score", "message", "non-ascii", "garbage"],
)
def test_a_tampered_link_answers_404_and_records_nothing(worker: Any, marie: str, tamper: Any) -> None:
    message_id = survey_message(worker.db, marie, "survey_csat", {"place_id": RIVOLI})
    token = surveys.survey_token(worker.settings, message_id, 4)
    assert worker.client.get(f"/pages/engagement/surveys/{token}").status_code == 200
    with UnitOfWork(worker.db) as uow:  # forget the genuine click
        uow.session.execute(surveys.SurveyAnswer.__table__.delete())
        uow.commit()
    forged = worker.client.get(f"/pages/engagement/surveys/{tamper(token)}")
    assert forged.status_code == 404
    assert worker.client.post(
        f"/pages/engagement/surveys/{tamper(token)}", data={"score": "4"}
    ).status_code in (
        403,
        404,
    )
    assert answers_of(worker) == []


def test_a_link_whose_message_is_gone_answers_404(worker: Any) -> None:
    token = surveys.survey_token(worker.settings, "msg_0192f3c1a2b47c3e8d1f5a6b7c8d9e0f", 9)
    assert worker.client.get(f"/pages/engagement/surveys/{token}").status_code == 404


# -- consent -----------------------------------------------------------------------------------------------------


def test_no_survey_without_an_opt_in_and_none_once_it_is_withdrawn(
    worker: Any, inbox: tuple[Inbox, int], marie: str, rivoli: dict[str, str]
) -> None:
    box = inbox[0]
    # Given Marie never agreed to surveys: her collected order starts no survey
    _collected(worker, rivoli, marie)
    worker.run()
    with UnitOfWork(worker.db, read_only=True) as uow:
        assert [j.journey_code for j in engagement.instances_of(uow, marie)] == ["order"]
    # Given she agrees, collects another order, then withdraws before the survey is due
    _opt_in(worker.db, marie)
    worker.at(NOW + timedelta(days=3))
    _collected(worker, rivoli, marie)
    worker.run()
    box.take()
    _opt_in(worker.db, marie, granted=False)
    worker.at(SURVEY_AT + timedelta(days=3))
    worker.run()
    # Then nothing goes: the survey is skipped for want of consent
    assert box.take() == []
    with UnitOfWork(worker.db, read_only=True) as uow:
        survey = [m for m in engagement.messages_of(uow, marie) if m.template == "survey_nps"]
    assert [(m.status, m.hold_code) for m in survey] == [("skipped", "no_consent")]


# -- the customer's own answer, from an app -----------------------------------------------------------------------


def test_a_customer_answers_their_own_survey_from_the_app_and_nobody_else_s(
    worker: Any, marie: str, web: dict[str, str]
) -> None:
    mine = survey_message(worker.db, marie, "survey_nps", {"place_id": RIVOLI, "channel": "app"})
    someone = a_customer(worker.db, "Paul", "paul@example.fr")
    theirs = survey_message(worker.db, someone, "survey_nps", {"place_id": RIVOLI})
    url = "/v1/engagement/surveys/answers"
    answered = worker.client.post(
        url, json={"message_id": mine, "score": 9, "comment": "Super appli"}, headers=web
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["state"], answered.json()["score"], answered.json()["channel"]) == (
        "confirmed",
        9,
        "app",
    )
    again = worker.client.post(url, json={"message_id": mine, "score": 7}, headers=web)
    assert (again.json()["id"], again.json()["score"]) == (answered.json()["id"], 7)  # replaced, not added
    assert worker.client.post(url, json={"message_id": theirs, "score": 9}, headers=web).status_code == 404
    assert (
        worker.client.post(url, json={"message_id": "msg_nope", "score": 9}, headers=web).status_code == 404
    )
    off = worker.client.post(url, json={"message_id": mine, "score": 11}, headers=web)
    assert off.status_code == 422 and "score" in json.dumps(off.json()["errors"])
    csat = survey_message(worker.db, marie, "survey_csat", {"place_id": RIVOLI})
    zero = worker.client.post(url, json={"message_id": csat, "score": 0}, headers=web)
    assert zero.status_code == 422 and "score" in json.dumps(zero.json()["errors"])
    staff = staff_headers(worker.db, Role.ADMIN)
    assert worker.client.post(url, json={"message_id": mine, "score": 1}, headers=staff).status_code == 403
    assert len(answers_of(worker)) == 1


# -- erasure -----------------------------------------------------------------------------------------------------


def test_erasure_anonymises_the_answers_and_the_export_held_them(
    worker: Any, marie: str, web: dict[str, str]
) -> None:
    message_id = survey_message(worker.db, marie, "survey_nps", {"place_id": RIVOLI, "channel": "web"})
    answer(worker.db, message_id, 10, comment="Marie Curie adore Rivoli")
    exported = worker.client.get(f"/v1/customers/{marie}/export", headers=web).json()
    (kept,) = exported["sections"]["engagement"]["survey_answers"]
    assert (kept["score"], kept["comment"]) == (10, "Marie Curie adore Rivoli")
    # When she is erased and the domains have handled it
    assert worker.client.delete(f"/v1/customers/{marie}", headers=web).status_code in (200, 202, 204)
    worker.run()
    # Then her score still counts, tied to no one, her words gone
    (left,) = answers_of(worker)
    assert (left["customer_id"], left["message_id"], left["subject_id"], left["comment"]) == (
        None,
        None,
        None,
        "",
    )
    assert (left["score"], left["place_id"]) == (10, RIVOLI)
    stats = worker.client.get(
        "/v1/engagement/surveys/stats", headers=headers(make_key(worker.db, ["*"]))
    ).json()
    assert stats["overall"]["nps"]["promoters"] == 1


# -- after an appointment ------------------------------------------------------------------------------------------


def test_an_appointment_is_surveyed_the_next_morning_after_its_report(
    world: World,  # noqa: F811
    inbox: tuple[Inbox, int],
) -> None:
    box = inbox[0]
    # Given Claire, with opt-ins for marketing and surveys by e-mail, books a styling session in English
    customer_id = world.customer("Claire", "claire@example.fr", "en_GB")
    _opt_in(world.db, customer_id)
    appointment_id = world.book(customer_id, "en")
    world.run()
    box.take()  # the confirmation
    # When the advisor completes it, the report goes an hour later
    world.at(STARTS + timedelta(minutes=50))
    with UnitOfWork(world.db) as uow:
        appointments.complete(uow, appointment_id, CompleteIn(notes="Veste essayée"), world.settings)
        uow.commit()
    world.run()
    box.take()  # the J-1 reminder, due since Tuesday
    world.at(STARTS + timedelta(minutes=111))
    world.run()
    (report,) = box.take()
    assert "selection" in str(report["Subject"]).lower()
    # Then the survey goes the next morning at 10:00 in Paris (09:00 UTC), not with the report
    world.at(datetime(2027, 3, 25, 8, 59, tzinfo=UTC))
    world.run()
    assert box.take() == []
    world.at(datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    world.run()
    (survey,) = box.take()
    assert str(survey["Subject"]) == "How was your appointment?"
    assert "Comptoir Rivoli" in text_of(survey) and "Wednesday 24 March 2027" in text_of(survey)
    links = _links(survey)
    assert [label for _, label in links] == [
        "1 out of 5: very dissatisfied",
        "2 out of 5: dissatisfied",
        "3 out of 5: neither satisfied nor dissatisfied",
        "4 out of 5: satisfied",
        "5 out of 5: very satisfied",
    ]
    statuses = world.messages(customer_id)
    assert statuses["report/email"] == statuses["survey/email"] == "sent"
    # When she clicks 4, Then her answer is tied to the appointment, its shop, its advisor and its channel
    from comptoir.app import create_app

    with TestClient(create_app(world.settings, db=world.db)) as client:
        assert client.get(links[3][0]).status_code == 200
    with UnitOfWork(world.db, read_only=True) as uow:
        booked = appointments.get_appointment(uow, appointment_id, world.settings)
        (recorded,) = engagement.survey_answers(
            uow, world.settings, dates=None, shops=None, cursor=None, limit=10
        ).items
    assert (recorded.kind, recorded.score, recorded.touchpoint, recorded.subject_id) == (
        "csat",
        4,
        "appointment",
        appointment_id,
    )
    assert (recorded.place_id, recorded.advisor_id, recorded.channel, recorded.language) == (
        booked.place_id,
        booked.advisor_id,
        "web",
        "en",
    )


# -- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("same_score", [True, False], ids=["one-link-opened-at-once", "every-link-at-once"])
def test_links_opened_at_the_same_instant_make_one_answer(worker: Any, marie: str, same_score: bool) -> None:
    """A scanner opening the links in parallel: the survey's instance is locked while an answer is taken,
    so the clicks are taken one after the other — one answer, never two, never an error."""
    message_id = survey_message(worker.db, marie, "survey_nps", {"place_id": RIVOLI, "channel": "web"})

    def click(i: int) -> str:
        with UnitOfWork(worker.db) as uow:
            found = surveys.survey_message(uow, message_id, lock=True)
            assert found is not None
            out = surveys.click(uow, found, 7 if same_score else i)
            uow.commit()
        return out.id

    results = race(11, click)
    assert not [r for r in results if isinstance(r, Exception)], results
    (answered,) = answers_of(worker)
    assert set(results) == {answered["id"]}
    assert answered["state"] == ("provisional" if same_score else "ambiguous")


# -- SMS and push --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_sms_carries_the_comment_page_s_short_link_and_the_push_the_question(lang: str) -> None:
    from comptoir.engagement.rendering import render, sample_context

    context = sample_context("survey_nps", lang)
    rendered = render("survey_nps", lang, context)
    facts = context.extra["survey"]
    assert facts.comment_url in rendered.sms and ".c." in facts.comment_url  # no score chosen
    assert all(url not in rendered.sms for _, url in facts.scale)
    assert ("0 à 10" if lang == "fr" else "0 to 10") in rendered.push_body
    token = urlsplit(facts.comment_url).path.rsplit("/", 1)[1]
    assert len(token) < 64  # short: the message's id, no score, a signature

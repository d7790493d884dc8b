"""After a live video session: the report e-mail an hour later with the products the advisor recommends
and showed (named in the customer's language, priced now), then the J+30 follow-up with the
recommendations — for a customer with the marketing opt-in; an anonymous visitor's session starts nothing.
Through the real bus, caught by a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.core.uow import UnitOfWork
from comptoir.live.events import SessionEnded
from tests.engagement.conftest import Inbox, text_of
from tests.engagement.test_customer_journeys import NOW, Worker, html_of, worker  # noqa: F401 (fixture)
from tests.orders.conftest import LIN_S, SOIE_S


def ended(customer_id: str | None, language: str = "fr") -> SessionEnded:
    report = {"shown": [LIN_S], "recommended": [SOIE_S], "notes": "Taille S", "orders": []}
    return SessionEnded(
        session_id="lse_journey",
        advisor_id="stf_anne",
        advisor_name="Anne",
        started_at=(NOW - timedelta(minutes=20)).isoformat(),
        shop_id="st_paris_rivoli",
        customer_id=customer_id,
        language=language,
        duration_seconds=1200,
        shown=[LIN_S],
        added=[],
        bought=[],
        recommended=[SOIE_S],
        orders=[],
        report=report,
    )


def publish(worker: Worker, event: SessionEnded) -> None:  # noqa: F811
    with UnitOfWork(worker.db) as uow:
        uow.record(event)
        uow.commit()
    worker.drain()


@pytest.mark.parametrize(
    ("lang", "subject", "recommends", "follow_up"),
    [
        ("fr", "Votre session vidéo avec Anne", "Anne vous recommande", "Vous pensez encore à"),
        ("en", "Your video session with Anne", "Anne recommends", "Still thinking about"),
    ],
)
def test_the_session_report_then_the_follow_up(
    worker: Worker,  # noqa: F811
    inbox: tuple[Inbox, int],
    lang: str,
    subject: str,
    recommends: str,
    follow_up: str,
) -> None:
    box = inbox[0]
    jeanne = worker.customer("Jeanne", f"jeanne.{lang}@exemple.fr", locale=lang, source="web")
    publish(worker, ended(jeanne, lang))
    assert worker.messages(jeanne)["live_session/report/0"] == "scheduled"
    worker.at(NOW + timedelta(minutes=61))
    worker.run()
    (mail,) = [m for m in box.take() if "session" in str(m["Subject"]).lower()]
    assert str(mail["Subject"]) == subject
    text, html = text_of(mail), html_of(mail)
    assert recommends in text and "https://boutique.example.fr/shop/live" in text
    assert "89" in text and "59" in text, text  # the silk dress recommended, the linen one shown, priced now
    assert "Taille S" not in text + html  # the advisor's notes stay with the session
    worker.at(NOW + timedelta(days=31))
    worker.run()
    (later,) = [m for m in box.take() if follow_up in str(m["Subject"])]
    assert "89" in text_of(later)


def test_an_anonymous_session_or_no_opt_in_starts_nothing(
    worker: Worker,  # noqa: F811
    inbox: tuple[Inbox, int],
) -> None:
    publish(worker, ended(None))
    paul = worker.customer("Paul", "paul@exemple.fr", consent=False)
    publish(worker, ended(paul))
    assert not any(k.startswith("live_session") for k in worker.messages(paul))
    worker.at(NOW + timedelta(minutes=61))
    worker.run()
    assert [m for m in inbox[0].take() if "session" in str(m["Subject"]).lower()] == []

"""The preference page of a message's footer: opened from the link (no sign-in), it shows the customer's
choices from the consent ledger in French or English and changes nothing; saving records the changes
in the ledger, so that the next marketing e-mail is not sent (caught by a real SMTP server); one button
withdraws everything commercial; a form without its CSRF token, a link that is not ours or a person
erased since are refused. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import CompleteIn
from comptoir.core.db import Database
from comptoir.core.models import OutboxEvent
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import service as engagement
from tests.engagement.conftest import Inbox, text_of
from tests.engagement.test_appointment_journey import (  # noqa: F401 (fixtures)
    STARTS,
    World,
    journey_settings,
    world,
)

PAGE = "/pages/engagement/preferences/"


def person(db: Database, given: str, email: str, *granted: tuple[str, str]) -> str:
    """A customer with an opt-in for each (purpose, channel) of ``granted``."""
    consents = [ConsentIn(purpose=p, channel=c, granted=True) for p, c in granted]  # type: ignore[arg-type]
    record = CustomerRecord(given_name=given, family_name="Morel", email=email, consents=consents)
    with UnitOfWork(db) as uow:
        found = customers.ingest(uow, "web", record)
        uow.commit()
    return found.customer_id


def granted(db: Database, customer_id: str) -> set[tuple[str, str]]:
    with UnitOfWork(db, read_only=True) as uow:
        ledger = customers.consents_of(uow, customer_id)
    return {(s.purpose, s.channel) for s in ledger.current if s.granted}


def history(db: Database, customer_id: str) -> int:
    with UnitOfWork(db, read_only=True) as uow:
        return len(customers.consents_of(uow, customer_id).history)


def ticked(html: str) -> set[str]:
    """The boxes checked on the page (``<purpose>:<channel>``)."""
    return set(re.findall(r'name="consent" value="([^"]+)" checked', html))


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            [
                "Que pouvons-nous vous envoyer\u00a0?",
                "Nos offres et nouveautés",
                "Par SMS",
                "Enregistrer mes choix",
            ],
        ),
        ("en", ["What may we send you?", "Our offers and news", "By SMS", "Save my choices"]),
    ],
)
def test_the_page_shows_the_customers_choices_and_changes_nothing(
    client: TestClient, db: Database, settings: Settings, lang: str, words: list[str]
) -> None:
    # Given Léa, who accepts offers by e-mail and surveys by SMS
    lea = person(db, "Léa", "lea@example.fr", ("marketing", "email"), ("satisfaction-surveys", "sms"))
    before = history(db, lea)
    # When she opens the page of her messages' footer
    page = client.get(PAGE + engagement.preferences_token(settings, lea), params={"lang": lang})
    # Then it shows her choices, in her language, one fieldset per subject, every box labelled
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    assert all(word in page.text for word in words), page.text
    assert ticked(page.text) == {"marketing:email", "satisfaction-surveys:sms"}
    assert page.text.count("<fieldset") == 2 and page.text.count("<legend>") == 2
    boxes = re.findall(r'<input type="checkbox" id="([^"]+)"', page.text)
    assert len(boxes) == 6 and all(f'<label for="{box}">' in page.text for box in boxes)
    assert 'name="robots" content="noindex' in page.text
    # and nothing of her: no name, no address (a forwarded e-mail shows nothing)
    assert "Léa" not in page.text and "lea@example.fr" not in page.text
    # and opening it changed nothing (mail scanners open links)
    assert history(db, lea) == before


def test_saving_changes_the_ledger_and_the_next_marketing_email_is_not_sent(
    world: World,  # noqa: F811 (the fixture)
    inbox: tuple[Inbox, int],
) -> None:
    from comptoir.app import create_app

    box, _ = inbox
    # Given Claire, with an opt-in for marketing e-mails, who booked a styling session
    claire = world.customer("Claire", "claire@example.fr", "fr_FR")
    appointment_id = world.book(claire, "fr")
    world.run()
    (confirmation,) = box.take()
    # whose confirmation links to her preference page, in French
    link = re.search(r"https://boutique\.example\.fr/pages/engagement/preferences/\S+", text_of(confirmation))
    assert link is not None, text_of(confirmation)
    url = urlparse(link.group(0))
    assert url.query == "lang=fr"
    # When the advisor completes the appointment, the report (marketing) is due an hour later
    world.at(STARTS + timedelta(minutes=50))
    with UnitOfWork(world.db) as uow:
        appointments.complete(uow, appointment_id, CompleteIn(), world.settings)
        uow.commit()
    world.run()
    # and meanwhile Claire opens the page and keeps only the surveys by e-mail
    with TestClient(create_app(world.settings, db=world.db)) as client:
        page = client.get(f"{url.path}?{url.query}")
        assert page.status_code == 200 and ticked(page.text) == {"marketing:email"}
        saved = client.post(
            url.path, data={"csrf_token": csrf(page.text), "consent": ["satisfaction-surveys:email"]}
        )
    # Then the choices are saved, in the ledger, as hers
    assert saved.status_code == 200, saved.text
    assert "Vos choix sont enregistrés" in saved.text
    assert ticked(saved.text) == {"satisfaction-surveys:email"}
    assert granted(world.db, claire) == {("satisfaction-surveys", "email")}
    with UnitOfWork(world.db, read_only=True) as uow:
        assert not customers.may_contact(uow, claire, "marketing", "email")
        current = {(s.purpose, s.channel): s for s in customers.consents_of(uow, claire).current}
    for pair in (("marketing", "email"), ("satisfaction-surveys", "email")):  # the two changes, said by her
        assert (current[pair].source, current[pair].proof) == ("account", {"page": "engagement-preferences"})
    # Then when the report is due, it is not sent: no consent any more
    world.at(STARTS + timedelta(minutes=111))
    world.run()
    assert box.take() == []
    assert world.messages(claire)["report/email"] == "skipped"


def test_one_button_withdraws_everything_commercial(
    client: TestClient, db: Database, settings: Settings
) -> None:
    # Given Hugo, who accepts offers by e-mail and SMS, surveys by notification, and e-receipts
    hugo = person(
        db,
        "Hugo",
        "hugo@example.fr",
        ("marketing", "email"),
        ("marketing", "sms"),
        ("satisfaction-surveys", "push"),
        ("e-receipt", "email"),
    )
    token = engagement.preferences_token(settings, hugo)
    page = client.get(PAGE + token, params={"lang": "fr"})
    # When he unsubscribes from everything commercial
    done = client.post(PAGE + token + "/unsubscribe-all", data={"csrf_token": csrf(page.text)})
    # Then nothing commercial is left; his e-receipts still come
    assert done.status_code == 200
    assert "vous ne recevrez plus" in done.text
    assert ticked(done.text) == set()
    assert granted(db, hugo) == {("e-receipt", "email")}
    # each withdrawal published, as a one-click unsubscription is
    with db.engine.connect() as conn:
        count = (
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "engagement.unsubscribed")
        )
        assert conn.execute(count).scalar_one() == 3
    # and again: nothing more to record
    before = history(db, hugo)
    client.post(PAGE + token + "/unsubscribe-all", data={"csrf_token": csrf(page.text)})
    assert history(db, hugo) == before


def test_a_form_without_its_csrf_token_changes_nothing(
    client: TestClient, db: Database, settings: Settings
) -> None:
    ines = person(db, "Inès", "ines@example.fr", ("marketing", "email"))
    token = engagement.preferences_token(settings, ines)
    page = client.get(PAGE + token)
    for url, data in (
        (PAGE + token, {"consent": []}),
        (PAGE + token, {"csrf_token": "forged", "consent": []}),
        (PAGE + token + "/unsubscribe-all", {}),
    ):
        refused = client.post(url, data=data)
        assert refused.status_code == 403, url
    # a token taken from the page but posted without the cookie it pairs with
    client.cookies.clear()
    assert client.post(PAGE + token, data={"csrf_token": csrf(page.text)}).status_code == 403
    assert granted(db, ines) == {("marketing", "email")}


def _tampered(token: str) -> str:
    body, _, mac = token.partition(".")
    return f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"


def _another_body(settings: Settings, token: str, other: str) -> str:
    """The link's signature on another customer's claims."""
    other_body = engagement.preferences_token(settings, other).partition(".")[0]
    return f"{other_body}.{token.partition('.')[2]}"


def test_a_link_that_is_not_ours_answers_not_found(
    client: TestClient, db: Database, settings: Settings
) -> None:
    jade = person(db, "Jade", "jade@example.fr", ("marketing", "email"))
    tom = person(db, "Tom", "tom@example.fr")
    token = engagement.preferences_token(settings, jade)
    page = client.get(PAGE + token, params={"lang": "fr"})
    form = {"csrf_token": csrf(page.text), "consent": ["marketing:sms"]}
    bad: list[Any] = [
        "nonsense",
        _tampered(token),
        _another_body(settings, token, tom),  # Jade's signature does not open Tom's page
        engagement.unsubscribe_token(settings, jade, "marketing", "email"),  # a token for another use
        engagement.preferences_token(settings.model_copy(update={"secret_key": "x" * 40}), jade),
    ]
    for wrong in bad:
        opened = client.get(PAGE + wrong)
        assert opened.status_code == 404, wrong
        assert "text/html" in opened.headers["content-type"]
        assert client.post(PAGE + wrong, data=form).status_code == 404
    # each link opens its own customer's page only
    assert ticked(client.get(PAGE + engagement.preferences_token(settings, tom)).text) == set()
    assert granted(db, jade) == {("marketing", "email")} and granted(db, tom) == set()
    # and a person erased since is gone: the link opens nothing
    with UnitOfWork(db) as uow:
        customers.erase(uow, jade, settings)
        uow.commit()
    assert client.get(PAGE + token).status_code == 404

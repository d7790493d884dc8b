"""The appointment journey end to end, caught by a real SMTP server (aiosmtpd): the confirmation with the
.ics, the J-1 reminder at 10:00 in the shop's time zone (by e-mail and SMS), the report an hour after the
appointment, and J+30 — in French and in English; the report carries RFC 8058's one-click fields, and
the one-click POST withdraws the consent so that J+30 is not sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import icalendar
import pytest
from fastapi.testclient import TestClient

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, CompleteIn, ProductNote, RescheduleIn, SlotIn
from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import service as engagement
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
from tests.appointments.conftest import RIVOLI, Retailer, build
from tests.catalog.conftest import build_taxonomy, dress
from tests.engagement.conftest import Inbox, text_of

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
STARTS = datetime(2027, 3, 24, 14, 0, tzinfo=UTC)  # Wednesday 15:00 in Paris


@pytest.fixture
def journey_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )


class World:
    def __init__(self, db: Database, settings: Settings, app: Any, port: int, retailer: Retailer) -> None:
        self.db, self.settings, self.retailer = db, settings, retailer
        state = app.state.comptoir
        self.dispatcher = Dispatcher(
            db,
            state.bus,
            DispatcherConfig(backoff_base_seconds=0.0, mail_max_attempts=3),
            mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", settings.mail_from, timeout=10),
        )

    def at(self, when: datetime) -> None:
        clock.set_clock(lambda: when)

    def run(self) -> None:
        """What the worker does: deliver the events, send what is due, deliver the mail."""
        self.dispatcher.drain()
        engagement.send_due(self.db, self.settings)
        self.dispatcher.drain()

    def customer(self, given: str, email_address: str, locale: str) -> str:
        with UnitOfWork(self.db) as uow:
            found = customers.ingest(
                uow,
                "web",
                CustomerRecord(
                    given_name=given,
                    family_name="Lefèvre",
                    email=email_address,
                    phone="+33612345678",
                    locale=locale,
                    consents=[ConsentIn(purpose="marketing", channel="email", granted=True)],
                ),
            )
            uow.commit()
        return found.customer_id

    def book(self, customer_id: str, language: str) -> str:
        actor = Actor(
            key_id=None, channel="web", scopes=frozenset({"*"}), customer_id=customer_id, kind="customer"
        )
        with UnitOfWork(self.db, actor) as uow:
            out = appointments.book(
                uow,
                BookIn(
                    slot=SlotIn(
                        service_id=self.retailer.styling, place_id=RIVOLI, starts_at=STARTS, language=language
                    )
                ),
                self.settings,
            )
            uow.commit()
        return out.id

    def messages(self, customer_id: str) -> dict[str, str]:
        with UnitOfWork(self.db, read_only=True) as uow:
            return {f"{m.step}/{m.channel}": m.status for m in engagement.messages_of(uow, customer_id)}


@pytest.fixture
def world(db: Database, journey_settings: Settings, inbox: tuple[Inbox, int]) -> Iterator[World]:
    from comptoir.app import create_app

    clock.set_clock(lambda: NOW)
    retailer = build(db)
    with UnitOfWork(db) as uow:  # the dress the advisor will recommend, at 89,00 €
        build_taxonomy(uow)
        catalog.create_product(uow, dress("ROBE-LIN", status="active"))
        pricing.create_price_list(uow, PriceListIn(code="base", name="Prix de base"))
        pricing.set_prices(
            uow, "base", PricesIn(prices=[PriceIn(sku="ROBE-LIN-S-BLEU", amount=Decimal("89.00"))])
        )
        uow.commit()
    app = create_app(journey_settings, db=db)
    yield World(db, journey_settings, app, inbox[1], retailer)
    clock.set_clock(None)


def _ics(message: EmailMessage) -> icalendar.Calendar:
    (attachment,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(attachment.get_payload(decode=True))


@pytest.mark.parametrize(
    ("lang", "confirmed", "reminder_at", "report_word", "dress_name", "price"),
    [
        ("fr", "confirmé", "mercredi 24 mars 2027", "Conseil en style", "Robe en lin d'été", "89,00\u00a0€"),
        ("en", "confirmed", "Wednesday 24 March 2027", "Styling advice", "Summer linen dress", "€89.00"),
    ],
)
def test_the_appointment_journey_by_mail_and_sms(
    world: World,
    inbox: tuple[Inbox, int],
    lang: str,
    confirmed: str,
    reminder_at: str,
    report_word: str,
    dress_name: str,
    price: str,
) -> None:
    box, _ = inbox
    # Given Claire, with an opt-in for marketing e-mails, who books a styling session on Wednesday 15:00
    customer_id = world.customer("Claire", "claire@example.fr", f"{lang}_FR")
    appointment_id = world.book(customer_id, lang)
    # When the worker runs: the confirmation goes at once, with the invitation
    world.run()
    (confirmation,) = box.take()
    assert confirmation["To"] == "claire@example.fr"
    assert confirmed in str(confirmation["Subject"]).lower() or confirmed in text_of(confirmation).lower()
    assert report_word in text_of(confirmation)  # the service, in the appointment's language
    invitation = _ics(confirmation)
    (event,) = invitation.walk("VEVENT")
    assert str(event["UID"]).startswith(appointment_id)
    assert event.decoded("DTSTART").astimezone(UTC) == STARTS
    # the confirmation is transactional: no unsubscribe field
    assert confirmation["List-Unsubscribe"] is None
    # Then nothing more until Tuesday 10:00 in Paris (09:00 UTC): the J-1 reminder, by e-mail and SMS
    world.at(datetime(2027, 3, 23, 8, 59, tzinfo=UTC))
    world.run()
    assert box.take() == []
    world.at(datetime(2027, 3, 23, 9, 0, tzinfo=UTC))
    world.run()
    (reminder,) = box.take()
    assert reminder_at in text_of(reminder)
    sms_lines = [
        json.loads(line)
        for path in Path(world.settings.sms_url.removeprefix("sandbox://")).glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert [s["to"] for s in sms_lines] == ["+33612345678"]
    assert world.messages(customer_id)["reminder/sms"] == "sent"
    # When the advisor completes the appointment, the report goes an hour later, with one-click fields
    world.at(STARTS + timedelta(minutes=50))
    with UnitOfWork(world.db) as uow:
        done = CompleteIn(
            notes="Veste bleu marine essayée",
            products=[ProductNote(sku="ROBE-LIN-S-BLEU", kind="recommended", note="Parfaite pour l'été")],
        )
        appointments.complete(uow, appointment_id, done, world.settings)
        uow.commit()
    world.run()
    assert box.take() == []
    world.at(STARTS + timedelta(minutes=111))
    world.run()
    (report,) = box.take()
    assert reminder_at in text_of(report)  # "thank you for your visit on …"
    # with the dress the advisor recommends, its price and their word on it (never their own notes)
    assert dress_name in text_of(report) and price in text_of(report)
    assert "Parfaite pour l'été" in text_of(report) and "Veste bleu marine" not in text_of(report)
    one_click = str(report["List-Unsubscribe"]).strip("<>")
    assert one_click.startswith("https://boutique.example.fr/v1/engagement/unsubscribe?token=")
    assert report["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # When Claire's mail client posts the one-click unsubscription
    token = parse_qs(urlparse(one_click).query)["token"][0]
    from comptoir.app import create_app

    with TestClient(create_app(world.settings, db=world.db)) as client:
        answer = client.post(
            "/v1/engagement/unsubscribe",
            params={"token": token},
            data={"List-Unsubscribe": "One-Click"},
        )
    assert answer.status_code == 200, answer.text
    with UnitOfWork(world.db, read_only=True) as uow:
        assert not customers.may_contact(uow, customer_id, "marketing", "email")
    # Then J+30 (10:00 in Paris, 30 days after the appointment) is not sent: no consent any more
    world.at(datetime(2027, 4, 23, 8, 0, tzinfo=UTC))
    world.run()
    assert box.take() == []
    statuses = world.messages(customer_id)
    assert statuses["follow_up/email"] == "skipped"
    assert statuses["confirmation/email"] == statuses["reminder/email"] == statuses["report/email"] == "sent"


def test_a_moved_appointment_moves_its_reminder_and_sends_the_new_invitation(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    customer_id = world.customer("Hugo", "hugo@example.fr", "fr_FR")
    appointment_id = world.book(customer_id, "fr")
    world.run()
    (first,) = box.take()
    # When the appointment moves to Friday 11:00 in Paris
    with UnitOfWork(world.db) as uow:
        appointments.reschedule(
            uow,
            appointment_id,
            RescheduleIn(starts_at=datetime(2027, 3, 26, 10, 0, tzinfo=UTC), place_id=RIVOLI),
            world.settings,
        )
        uow.commit()
    world.run()
    # Then a new confirmation goes with the invitation's next SEQUENCE, same UID
    (moved,) = box.take()
    before, after = next(iter(_ics(first).walk("VEVENT"))), next(iter(_ics(moved).walk("VEVENT")))
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    # and the reminder goes on Thursday 10:00, not on Tuesday
    world.at(datetime(2027, 3, 23, 9, 0, tzinfo=UTC))
    world.run()
    assert box.take() == []
    world.at(datetime(2027, 3, 25, 9, 0, tzinfo=UTC))
    world.run()
    (reminder,) = box.take()
    assert "vendredi 26 mars 2027" in text_of(reminder)


def test_a_cancelled_appointment_ends_the_journey(world: World, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    customer_id = world.customer("Inès", "ines@example.fr", "fr_FR")
    appointment_id = world.book(customer_id, "fr")
    world.run()
    box.take()
    from comptoir.appointments.schemas import CancelIn

    with UnitOfWork(world.db) as uow:
        appointments.cancel(uow, appointment_id, CancelIn(reason="Empêchement"), world.settings)
        uow.commit()
    world.run()
    world.at(datetime(2027, 3, 23, 9, 0, tzinfo=UTC))
    world.run()
    assert box.take() == []
    statuses = world.messages(customer_id)
    assert statuses["reminder/email"] == statuses["reminder/sms"] == "cancelled"

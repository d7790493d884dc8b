"""The journeys of the customer's life end to end, through the real bus and caught by a real SMTP server
(aiosmtpd), in French and English: the e-receipt (a till's receipt written by engagement, sent once as the
event is handled, with its PDF, again to another address when staff ask), the welcome (half an hour after
joining, then a week later at 10:00 on the customer's clock; consent at send time), a new loyalty tier
(promotions only) and birthdays (the daily job: once a year, at 10:00 on each customer's clock, with the
programme's voucher)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import birthdays
from comptoir.engagement import jobs as engagement_jobs
from comptoir.engagement import service as engagement
from comptoir.engagement.models import BirthdayTold
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.loyalty.events import TierChanged
from comptoir.loyalty.policies import PaidLine
from comptoir.pricing import service as pricing
from comptoir.receipts import service as receipts
from tests.catalog.conftest import recorded
from tests.conftest import make_key
from tests.engagement.conftest import Inbox, text_of
from tests.orders.conftest import ALL_STAFF, LIN_S, MARIE, RIVOLI, SOIE_S, headers
from tests.receipts.conftest import check_pdf, sell

NOW = datetime(2027, 4, 16, 20, 0, tzinfo=UTC)  # Friday 22:00 in Paris
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Worker:
    db: Database
    settings: Settings
    client: TestClient
    dispatcher: Dispatcher

    def at(self, when: datetime) -> None:
        clock.set_clock(lambda: when)

    def drain(self) -> None:
        """The events handled and the mail queue emptied — without the sender's run."""
        self.dispatcher.drain()

    def run(self) -> None:
        """What the worker does: deliver the events, send what is due, deliver the mail."""
        self.dispatcher.drain()
        engagement.send_due(self.db, self.settings)
        self.dispatcher.drain()

    def customer(
        self,
        given: str,
        email: str,
        *,
        locale: str = "fr",
        source: str = "pos",
        consent: bool = True,
        birth_date: date | None = None,
        postcode: str | None = None,
    ) -> str:
        record: dict[str, Any] = {
            "given_name": given,
            "family_name": "Martin",
            "email": email,
            "locale": locale,
        }
        if consent:
            record["consents"] = [ConsentIn(purpose="marketing", channel="email", granted=True)]
        if birth_date is not None:
            record["birth_date"] = birth_date.isoformat()
        if postcode is not None:
            record |= {
                "street": "1 rue du Port",
                "postcode": postcode,
                "city": "Saint-Denis",
                "country": "FR",
            }
        with UnitOfWork(self.db) as uow:
            found = customers.ingest(uow, source, CustomerRecord(**record))  # type: ignore[arg-type]
            uow.commit()
        return found.customer_id

    def withdraw(self, customer_id: str) -> None:
        with UnitOfWork(self.db) as uow:
            customers.record_consents(
                uow, customer_id, [ConsentIn(purpose="marketing", channel="email", granted=False)], "web"
            )
            uow.commit()

    def messages(self, customer_id: str) -> dict[str, str]:
        with UnitOfWork(self.db, read_only=True) as uow:
            return {
                f"{m.journey_code}/{m.step}/{m.occurrence}": m.status
                for m in engagement.messages_of(uow, customer_id)
            }

    def programme(self) -> None:
        with UnitOfWork(self.db) as uow:
            loyalty.set_programme(uow, carte_comptoir(now=clock.now()))
            uow.commit()


@pytest.fixture
def worker(
    stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]
) -> Iterator[Worker]:
    from comptoir.app import create_app

    clock.set_clock(lambda: NOW)
    journey_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )
    app = create_app(journey_settings, db=stocked)
    dispatcher = Dispatcher(
        stocked,
        app.state.comptoir.bus,
        DispatcherConfig(backoff_base_seconds=0.0),
        mailer=SmtpMailer(f"smtp://127.0.0.1:{inbox[1]}", journey_settings.mail_from, timeout=10),
    )
    yield Worker(stocked, journey_settings, TestClient(app), dispatcher)
    clock.set_clock(None)


@pytest.fixture
def till(db: Database) -> dict[str, str]:
    """The till at Rivoli: sells and issues receipts."""
    return headers(make_key(db, [*ALL_STAFF, "receipts:write"], channel=f"store:{RIVOLI}"))


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def pdf_of(message: EmailMessage) -> tuple[str, bytes]:
    (attachment,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return attachment.get_filename() or "", payload


# -- the e-receipt ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "total", "vat", "thanks"),
    [
        ("fr", "Votre ticket T-{number} – Comptoir Rivoli", "148,90\u00a0€", "Détail de la TVA", "Merci"),
        ("en", "Your receipt T-{number} from Comptoir Rivoli", "€148.90", "VAT breakdown", "Thank you"),
    ],
)
def test_a_till_sale_s_e_receipt_is_written_by_engagement_and_sent_once_as_the_sale_is_handled(
    worker: Worker,
    marie: str,
    till: dict[str, str],
    inbox: tuple[Inbox, int],
    lang: str,
    subject: str,
    total: str,
    vat: str,
    thanks: str,
) -> None:
    box = inbox[0]
    # Given a customer buys two dresses at the Rivoli till and asks for the receipt by e-mail: Marie, or
    # Jane, who speaks English
    buyer, address = marie, MARIE["email"]
    if lang == "en":
        address = "jane@example.co.uk"
        buyer = worker.customer("Jane", address, locale="en", source="web", consent=False)
    sale = sell(
        worker.client,
        till,
        [(LIN_S, 1), (SOIE_S, 1)],
        customer_id=buyer,
        email=address,
        receipt_by_email=True,
    )
    # When the worker handles the events — the sender's periodic run is not needed: it goes at once
    worker.drain()
    (mail,) = box.take()
    # Then the e-mail went to the address typed at the till, with the receipt's lines, total and VAT
    with UnitOfWork(worker.db, read_only=True) as uow:
        receipt = receipts.receipt_for_order(uow, sale["id"], worker.settings)
    assert receipt is not None and receipt.locale == lang
    assert mail["To"] == address
    assert mail["Subject"] == subject.format(number=sale["number"])
    text, html = text_of(mail), html_of(mail)
    assert total in text and vat in text and vat in html and thanks in text
    assert receipt.url in html and receipt.url in text
    assert mail["List-Unsubscribe"] is None  # transactional: no unsubscribe
    # with the receipt's PDF attached
    name, pdf = pdf_of(mail)
    assert name == f"T-{sale['number']}.pdf" and check_pdf(pdf) == 1
    # and the receipt is marked sent with the e-mail's Message-ID, which receipts published
    assert receipt.send_status == "sent"
    [published] = recorded(worker.db, "receipts.receipt_sent")
    assert published["message_id"] == mail["Message-ID"] and published["email"] == address
    # And nothing goes twice: another run of the worker sends nothing more
    worker.run()
    assert box.take() == []
    assert worker.messages(buyer) == {"e_receipt/receipt/1": "sent"}


def test_a_receipt_sent_again_goes_to_the_new_address_once_more(
    worker: Worker, marie: str, till: dict[str, str], inbox: tuple[Inbox, int]
) -> None:
    box = inbox[0]
    sale = sell(
        worker.client, till, [(LIN_S, 1)], customer_id=marie, email=MARIE["email"], receipt_by_email=True
    )
    worker.drain()
    (first,) = box.take()
    # When the staff send it again to Marie's work address
    with UnitOfWork(worker.db, read_only=True) as uow:
        receipt = receipts.receipt_for_order(uow, sale["id"], worker.settings)
    assert receipt is not None
    again = worker.client.post(
        f"/v1/receipts/{receipt.id}/send", json={"email": "marie@labo.example.fr"}, headers=till
    )
    assert again.status_code == 200, again.text
    worker.drain()
    # Then a second e-mail goes, to that address, under a Message-ID of its own
    (second,) = box.take()
    assert second["To"] == "marie@labo.example.fr" and second["Message-ID"] != first["Message-ID"]
    assert worker.messages(marie) == {"e_receipt/receipt/1": "sent", "e_receipt/receipt/2": "sent"}
    published = recorded(worker.db, "receipts.receipt_sent")
    assert [p["email"] for p in published] == [MARIE["email"], "marie@labo.example.fr"]
    with UnitOfWork(worker.db, read_only=True) as uow:
        assert receipts.get_receipt(uow, receipt.id, worker.settings).send_status == "sent"


def test_a_sale_nobody_asked_to_e_mail_starts_no_e_receipt(
    worker: Worker, marie: str, till: dict[str, str], inbox: tuple[Inbox, int]
) -> None:
    sell(worker.client, till, [(LIN_S, 1)], customer_id=marie)
    worker.run()
    assert inbox[0].take() == []
    with UnitOfWork(worker.db, read_only=True) as uow:
        assert engagement.instances_of(uow, marie) == []


def test_an_address_that_bounced_before_fails_the_receipt_which_staff_may_send_elsewhere(
    worker: Worker, marie: str, till: dict[str, str], inbox: tuple[Inbox, int]
) -> None:
    from comptoir.engagement.audience import address_hash
    from comptoir.engagement.models import Suppression

    with UnitOfWork(worker.db) as uow:  # an earlier message to that address bounced
        digest = address_hash(worker.settings, "email", MARIE["email"])
        uow.session.add(
            Suppression(address_hash=digest, channel="email", reason="hard_bounce", created_at=NOW)
        )
        uow.commit()
    sale = sell(
        worker.client, till, [(LIN_S, 1)], customer_id=marie, email=MARIE["email"], receipt_by_email=True
    )
    worker.drain()
    assert inbox[0].take() == []
    with UnitOfWork(worker.db, read_only=True) as uow:
        receipt = receipts.receipt_for_order(uow, sale["id"], worker.settings)
    assert receipt is not None and receipt.send_status == "failed"
    [failed] = recorded(worker.db, "receipts.receipt_send_failed")
    assert failed["receipt_id"] == receipt.id and failed["email"] == MARIE["email"]
    assert worker.messages(marie) == {"e_receipt/receipt/1": "skipped"}


# -- welcome ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "programme", "discover"),
    [
        (
            "fr",
            "Bienvenue chez Comptoir, Léa",
            "1 point par tranche de 1\u00a0€ d’achat",
            "Profitez pleinement",
        ),
        ("en", "Welcome to Comptoir, Léa", "1 point for every €1 spent", "Make the most of"),
    ],
)
def test_a_new_customer_is_welcomed_then_shown_what_else_the_brand_offers(
    worker: Worker, inbox: tuple[Inbox, int], lang: str, subject: str, programme: str, discover: str
) -> None:
    box = inbox[0]
    worker.programme()
    # Given Léa joins at a till with an opt-in for marketing e-mails
    lea = worker.customer("Léa", "lea@example.fr", locale=lang)
    # Then nothing at once (the e-mail proving her address goes first)…
    worker.run()
    assert box.take() == []
    # …the welcome half an hour later, with the loyalty programme, and the one-click unsubscribe
    worker.at(NOW + timedelta(minutes=30))
    worker.run()
    (welcome,) = box.take()
    assert welcome["To"] == "lea@example.fr" and welcome["Subject"] == subject
    assert programme in text_of(welcome) and "Carte Comptoir" in text_of(welcome)
    assert str(welcome["List-Unsubscribe"]).startswith(
        "<https://boutique.example.fr/v1/engagement/unsubscribe"
    )
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Then a week later at 10:00 on her clock (Paris), what else the brand offers
    seventh = datetime(2027, 4, 23, 10, 0, tzinfo=PARIS)
    worker.at(seventh - timedelta(minutes=1))
    worker.run()
    assert box.take() == []
    worker.at(seventh)
    worker.run()
    (second,) = box.take()
    assert str(second["Subject"]).startswith(discover)
    assert worker.messages(lea) == {"welcome/welcome/0": "sent", "welcome/discover/0": "sent"}


def test_the_welcome_needs_the_consent_when_it_is_due_and_a_guest_is_not_welcomed(
    worker: Worker, inbox: tuple[Inbox, int]
) -> None:
    # Given Hugo joins with an opt-in but withdraws it before the welcome is due
    hugo = worker.customer("Hugo", "hugo@example.fr")
    worker.run()
    worker.withdraw(hugo)
    # and Inès, who never opted in, and Paul, a guest known from the website only
    ines = worker.customer("Inès", "ines@example.fr", consent=False)
    paul = worker.customer("Paul", "paul@example.fr", source="web")
    worker.at(NOW + timedelta(days=8))
    worker.run()
    # Then none is sent: Hugo's are skipped for want of consent, the others never entered
    assert inbox[0].take() == []
    assert worker.messages(hugo) == {"welcome/welcome/0": "skipped", "welcome/discover/0": "skipped"}
    assert worker.messages(ines) == {} and worker.messages(paul) == {}


# -- a new loyalty tier -------------------------------------------------------------------------------------


def _earn(worker: Worker, customer_id: str, order_id: str, amount: str) -> None:
    with UnitOfWork(worker.db) as uow:
        loyalty.earn_for_order(
            uow,
            order_id=order_id,
            customer_id=customer_id,
            channel="web",
            currency="EUR",
            lines=[PaidLine(line_id="l1", sku=LIN_S, quantity=1, amount=Decimal(amount))],
        )
        uow.commit()


@pytest.mark.parametrize(
    ("lang", "subject", "benefit"),
    [
        ("fr", "Félicitations, vous atteignez le palier Privilège\u00a0!", "×1,25"),
        ("en", "Congratulations, you reach Privilège!", "×1.25"),
    ],
)
def test_a_promotion_is_congratulated_with_the_tier_s_benefits_a_demotion_or_a_first_tier_is_not(
    worker: Worker, inbox: tuple[Inbox, int], lang: str, subject: str, benefit: str
) -> None:
    box = inbox[0]
    worker.programme()
    nora = worker.customer("Nora", "nora@example.fr", locale=lang, source="web")
    # Given a first small purchase: Nora joins the programme at its first tier — nothing to congratulate
    _earn(worker, nora, "ord_first", "30.00")
    worker.run()
    assert box.take() == []
    # When a large one takes her to Privilège
    _earn(worker, nora, "ord_second", "1200.00")
    worker.run()
    # Then she is congratulated, with the tier's points multiplier and her balance
    (mail,) = box.take()
    assert mail["Subject"] == subject
    assert benefit in text_of(mail) and "Carte Comptoir" in text_of(mail)
    with UnitOfWork(worker.db, read_only=True) as uow:
        assert loyalty.account(uow, nora).tier == "privilege"
    # When she goes back down at the yearly review (as loyalty tells it: a demotion)
    with UnitOfWork(worker.db) as uow:
        uow.record(
            TierChanged(customer_id=nora, previous_tier="privilege", tier="essentiel", direction="demotion")
        )
        uow.commit()
    worker.run()
    # Then nothing: a demotion is never announced
    assert box.take() == []
    # And promoted to Privilège again, she is not congratulated twice for the same tier
    with UnitOfWork(worker.db) as uow:
        uow.record(
            TierChanged(customer_id=nora, previous_tier="essentiel", tier="privilege", direction="promotion")
        )
        uow.commit()
    worker.run()
    assert box.take() == []
    assert worker.messages(nora) == {"new_tier/congratulations/0": "sent"}


# -- birthdays ----------------------------------------------------------------------------------------------

BIRTHDAY = date(1990, 4, 17)


def _wishes_at(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    ("lang", "subject", "gift"),
    [("fr", "Joyeux anniversaire, {name}\u00a0!", "10\u00a0€"), ("en", "Happy birthday, {name}!", "€10")],
)
def test_birthdays_are_wished_at_10_on_each_customer_s_clock_once_with_the_programme_s_voucher(
    worker: Worker, inbox: tuple[Inbox, int], lang: str, subject: str, gift: str
) -> None:
    box = inbox[0]
    worker.programme()
    # Given customers born on 17 April in Paris, on Réunion (UTC+4) and in Tahiti (UTC-10), one born on
    # 16 April (whose morning is gone), one on 17 April without an opt-in; it is Friday 16 April, 22:00 in
    # Paris — already Saturday 17 on Réunion, still the 16th's morning in Tahiti
    paris = worker.customer("Amélie", "amelie@example.fr", locale=lang, birth_date=BIRTHDAY, source="web")
    reunion = worker.customer(
        "Zoé", "zoe@example.re", locale=lang, birth_date=BIRTHDAY, postcode="97400", source="web"
    )
    tahiti = worker.customer(
        "Moana", "moana@example.pf", locale=lang, birth_date=BIRTHDAY, postcode="98714", source="web"
    )
    yesterday = worker.customer("Jules", "jules@example.fr", birth_date=date(1985, 4, 16), source="web")
    silent = worker.customer("Marc", "marc@example.fr", birth_date=BIRTHDAY, consent=False, source="web")
    worker.run()
    # When the daily job runs — twice, as two workers might
    assert birthdays.run(worker.db, worker.settings) == 3
    assert birthdays.run(worker.db, worker.settings) == 0
    worker.drain()
    # Then each is wished a happy birthday at 10:00 on their own clock, not a minute before
    day = date(2027, 4, 17)
    for who, zone, name in (
        (reunion, "Indian/Reunion", "Zoé"),
        (paris, "Europe/Paris", "Amélie"),
        (tahiti, "Pacific/Tahiti", "Moana"),
    ):
        worker.at(_wishes_at(day, zone) - timedelta(minutes=1))
        worker.run()
        assert box.take() == []
        worker.at(_wishes_at(day, zone))
        worker.run()
        (mail,) = box.take()
        assert mail["Subject"] == subject.format(name=name)
        # with the programme's birthday voucher: its amount and its code, issued once
        with UnitOfWork(worker.db, read_only=True) as uow:
            (coupon,) = pricing.coupons_of(uow, who)
        assert coupon.code in text_of(mail) and gift in text_of(mail) and coupon.amount == Decimal("10.00")
        assert worker.messages(who) == {"birthday/wishes/0": "sent"}
    # And the job the next day tells nobody again; Jules and Marc were never told
    worker.at(NOW + timedelta(days=1))
    assert birthdays.run(worker.db, worker.settings) == 0
    worker.run()
    assert box.take() == []
    assert worker.messages(yesterday) == {} and worker.messages(silent) == {}
    with UnitOfWork(worker.db, read_only=True) as uow:
        assert pricing.coupons_of(uow, silent) == []
    # And Amélie's erasure forgets that she was told (the day it was written says when her birthday is)
    with UnitOfWork(worker.db) as uow:
        customers.erase(uow, paris, worker.settings)
        uow.commit()
    worker.drain()
    with UnitOfWork(worker.db, read_only=True) as uow:
        told = uow.session.scalars(select(BirthdayTold.customer_id)).all()
    assert sorted(told) == sorted([reunion, tahiti])


def test_the_birthday_job_is_daily_and_29_february_is_celebrated_on_28_february_in_common_years(
    worker: Worker, inbox: tuple[Inbox, int]
) -> None:
    (job,) = [j for j in engagement_jobs.jobs(worker.settings) if j.name == "engagement.birthdays"]
    assert job.every_seconds == 24 * 3600
    # Given Léon, born on 29 February 1996; it is Saturday 27 February 2027, 20:00 in Paris
    worker.at(datetime(2027, 2, 27, 19, 0, tzinfo=UTC))
    leon = worker.customer("Léon", "leon@example.fr", birth_date=date(1996, 2, 29), source="web")
    worker.run()
    # When the job runs as the dispatcher runs it
    with UnitOfWork(worker.db) as uow:
        job.run(uow)
        uow.commit()
    worker.drain()
    # Then he is wished a happy birthday on Sunday 28 February at 10:00 in Paris (no voucher: no programme)
    worker.at(datetime(2027, 2, 28, 10, 0, tzinfo=PARIS))
    worker.run()
    (mail,) = inbox[0].take()
    assert mail["To"] == "leon@example.fr" and "Léon" in str(mail["Subject"])
    with UnitOfWork(worker.db, read_only=True) as uow:
        (instance,) = engagement.instances_of(uow, leon)
    assert (instance.journey_code, instance.subject) == ("birthday", "birthday-2027")

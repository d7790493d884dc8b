"""The sender's rules through real work on the database: consent read at send time, pressure caps and quiet
hours shown through the API, an event delivered twice, a hard bounce from a real SMTP server (aiosmtpd),
the SMS gateway's answers (an HTTP gateway faked by ``httpx.MockTransport``), and a person's erasure."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import BookIn, CompleteIn, SlotIn
from comptoir.core import clock, messaging
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.events import DomainEvent, parse_event
from comptoir.core.models import HandlerDelivery, OutboxEvent
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import audience, engine, journeys, sending, textsend
from comptoir.engagement import service as engagement
from comptoir.engagement.models import Delivery, Instance, Message, Suppression
from comptoir.engagement.schemas import MessageOut
from tests.appointments.conftest import RIVOLI, build, quick_password_hashes  # noqa: F401
from tests.conftest import make_key
from tests.engagement.conftest import Inbox
from tests.engagement.test_appointment_journey import NOW, STARTS, World
from tests.support.processes import free_port

TUESDAY_10_PARIS = datetime(2027, 3, 23, 9, 0, tzinfo=UTC)  # the J-1 reminder of STARTS (Wednesday)
REFUSED = "550 5.1.1 <rebond@example.fr>: Recipient address rejected"


def monday(hour: int) -> datetime:
    return datetime(2027, 3, 22, hour, 0, tzinfo=UTC)


class Mailbox(Inbox):
    """A mail server that keeps what it receives and refuses the recipients the test names."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: dict[str, str] = {}
        self.rcpt: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.rcpt.append(address)
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


class Shop(World):
    """The appointment journey's world, with customers, bookings and readings of one's own."""

    def __init__(self, db: Database, settings: Settings, app: Any, box: Mailbox, port: int) -> None:
        super().__init__(db, settings, app, port, build(db))
        self.app, self.box = app, box

    def person(self, given: str, address: str, phone: str, *marketing: str) -> str:
        """A customer, with an opt-in for marketing on each channel of ``marketing``."""
        consents = [{"purpose": "marketing", "channel": c, "granted": True} for c in marketing]
        family = "Garnier" if given < "M" else "Rousseau"
        record = {"given_name": given, "family_name": family, "email": address, "phone": phone}
        with UnitOfWork(self.db) as uow:
            found = customers.ingest(
                uow, "web", CustomerRecord.model_validate({**record, "locale": "fr_FR", "consents": consents})
            )
            uow.commit()
        return found.customer_id

    def book_at(self, customer_id: str, starts: datetime) -> str:
        actor = Actor(
            key_id=None, channel="web", scopes=frozenset({"*"}), customer_id=customer_id, kind="customer"
        )
        slot = SlotIn(service_id=self.retailer.styling, place_id=RIVOLI, starts_at=starts, language="fr")
        with UnitOfWork(self.db, actor) as uow:
            out = appointments.book(uow, BookIn(slot=slot), self.settings)
            uow.commit()
        return out.id

    def complete(self, *appointment_ids: str) -> None:
        with UnitOfWork(self.db) as uow:
            for appointment_id in appointment_ids:
                appointments.complete(uow, appointment_id, CompleteIn(), self.settings)
            uow.commit()

    def journey(self, customer_id: str, appointment_id: str) -> dict[str, MessageOut]:
        """The messages of the customer's journey about one appointment, by ``step/channel``."""
        with UnitOfWork(self.db, read_only=True) as uow:
            (instance,) = [
                i for i in engagement.instances_of(uow, customer_id) if i.subject == appointment_id
            ]
        return {f"{m.step}/{m.channel}": m for m in instance.messages}

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """The API's answer (200) to a staff member's key allowed everything."""
        headers = {"Authorization": f"Bearer {make_key(self.db, ['*'])}"}
        with TestClient(self.app) as client:
            answer = client.request(method, path, headers=headers, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def api_messages(self, customer_id: str) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/v1/engagement/customers/{customer_id}/messages"))

    def event(self, event_type: str) -> DomainEvent:
        """The event recorded in the outbox, as the dispatcher hands it to the handlers."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(OutboxEvent).where(OutboxEvent.type == event_type)).one()
        return parse_event(row.type, row.event_id, row.occurred_at, row.payload)

    def footprint(self, customer_id: str, message_ids: list[str]) -> tuple[int, int, int]:
        """The person's journey instances, messages, and delivery log lines of the messages named."""
        return (
            self.count(Instance, Instance.customer_id == customer_id),
            self.count(Message, Message.customer_id == customer_id),
            self.count(Delivery, Delivery.message_id.in_(message_ids)),
        )

    def count(self, model: Any, *where: Any) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.fixture
def shop(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Shop]:
    from comptoir.app import create_app

    shop_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    clock.set_clock(lambda: NOW)
    try:
        yield Shop(db, shop_settings, create_app(shop_settings, db=db), box, port)
    finally:
        clock.set_clock(None)
        controller.stop()


# -- consent ----------------------------------------------------------------------------------------------


def test_consent_is_read_when_the_message_is_due(shop: Shop) -> None:
    # Given Léa, with an opt-in for marketing e-mails, whose appointment at 11:00 is completed at 14:00
    lea = shop.person("Léa", "lea@example.fr", "+33612345678", "email")
    appointment_id = shop.book_at(lea, monday(10))
    shop.run()
    assert [m["To"] for m in shop.box.take()] == ["lea@example.fr"]  # the confirmation
    shop.at(monday(13))
    shop.complete(appointment_id)
    shop.run()
    # the report is scheduled for 15:00 in Paris while she still consents
    report = shop.journey(lea, appointment_id)["report/email"]
    assert (report.status, report.purpose, report.due_at) == ("scheduled", "marketing", monday(14))
    # When she withdraws her opt-in before it is due
    shop.at(monday(13) + timedelta(minutes=30))
    with UnitOfWork(shop.db) as uow:
        customers.record_consents(
            uow, lea, [ConsentIn(purpose="marketing", channel="email", granted=False)], "web"
        )
        uow.commit()
    shop.at(monday(14))
    shop.run()
    # Then the report is skipped for want of consent, and nothing reaches the mail server
    report = shop.journey(lea, appointment_id)["report/email"]
    assert (report.status, report.hold_code) == ("skipped", "no_consent")
    assert report.hold_reason == "No consent for marketing by email when it was due."
    assert [d.kind for d in report.deliveries] == ["skipped"]
    assert shop.box.take() == []


def test_transactional_messages_need_no_consent(shop: Shop) -> None:
    # Given Noé, who never said anything about being contacted
    noe = shop.person("Noé", "noe@example.fr", "+33698765432")
    with UnitOfWork(shop.db, read_only=True) as uow:
        assert not customers.may_contact(uow, noe, "marketing", "email")
    # When he books an appointment and the worker runs
    appointment_id = shop.book_at(noe, monday(10))
    shop.run()
    # Then his confirmation goes all the same
    (confirmation,) = shop.box.take()
    assert confirmation["To"] == "noe@example.fr"
    sent = shop.journey(noe, appointment_id)["confirmation/email"]
    assert (sent.status, sent.purpose, sent.hold_code) == ("sent", "transactional", "")


# -- pressure ---------------------------------------------------------------------------------------------


def test_the_daily_cap_holds_the_third_marketing_message_not_a_confirmation(shop: Shop) -> None:
    # Given Manon, with an opt-in for marketing e-mails, whose three appointments are completed at once
    manon = shop.person("Manon", "manon@example.fr", "+33611223344", "email")
    visits = [shop.book_at(manon, monday(hour)) for hour in (10, 11, 12)]
    shop.run()
    assert len(shop.box.take()) == 3  # the confirmations: transactional, never counted
    shop.at(monday(13))
    shop.complete(*visits)
    shop.run()
    # and a fourth appointment booked just when the three reports are due
    shop.at(monday(14))
    fourth = shop.book_at(manon, monday(16))
    # When the worker runs at 15:00 in Paris
    shop.run()
    # Then two reports go, the third waits for the next local day (midnight in Paris), as the API says
    messages = shop.api_messages(manon)
    reports = [m for m in messages if m["step"] == "report"]
    assert sorted(m["status"] for m in reports) == ["scheduled", "sent", "sent"]
    (held,) = [m for m in reports if m["status"] == "scheduled"]
    assert datetime.fromisoformat(held["planned_at"]) == monday(14)
    assert datetime.fromisoformat(held["due_at"]) == monday(23)  # Tuesday 00:00 in Paris
    assert held["hold_code"] == "cap:any:all:day"
    assert held["hold_reason"].startswith(
        "Pressure cap: at most 2 commercial messages across all channels per day, "
        "and 2 already went out today"
    )
    assert held["hold_reason"].endswith("Held until 2027-03-23 00:00 (Europe/Paris).")
    # and the fourth appointment's confirmation went in the same run: caps never hold transactional mail
    confirmation_id = shop.journey(manon, fourth)["confirmation/email"].id
    (confirmation,) = [m for m in messages if m["id"] == confirmation_id]
    assert (confirmation["status"], confirmation["hold_code"]) == ("sent", "")
    assert len(shop.box.take()) == 3  # two reports and the confirmation
    # When the next local day begins, the held report goes
    shop.at(monday(23))
    shop.run()
    assert len(shop.box.take()) == 1
    assert sorted(m["status"] for m in shop.api_messages(manon) if m["step"] == "report") == ["sent"] * 3


@pytest.mark.postgres
def test_two_workers_at_once_keep_to_the_daily_cap(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    if not shop.db.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    # Given Manon, one report sent today at 15:00 in Paris, and two more due at 16:00
    manon = shop.person("Manon", "manon@example.fr", "+33611223344", "email")
    visits = [shop.book_at(manon, monday(hour)) for hour in (10, 11, 12)]
    shop.at(monday(13))
    shop.complete(visits[0])
    shop.run()
    shop.at(monday(14))
    shop.complete(visits[1], visits[2])
    shop.run()
    shop.box.take()
    # When two workers run at once, each taking one message, both reading the history before either commits
    both, history = threading.Barrier(2), sending._history

    def meeting(*args: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait(timeout=2)  # bounded: a sender that serialises a customer's decisions never meets
        return history(*args)

    monkeypatch.setattr(sending, "_history", meeting)
    shop.at(monday(15))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: engagement.send_due(shop.db, shop.settings, limit=1), range(2)))
    shop.dispatcher.drain()
    # Then one goes and the other waits for tomorrow: never three commercial e-mails in a day
    reports = sorted(
        (m.status, m.hold_code) for v in visits for m in [shop.journey(manon, v)["report/email"]]
    )
    assert reports == [("scheduled", "cap:any:all:day"), ("sent", ""), ("sent", "")]
    assert len(shop.box.take()) == 1


def test_a_marketing_sms_waits_out_the_night_sunday_and_easter_monday(shop: Shop) -> None:
    # Given the retailer's appointment journey sending its report by e-mail and by SMS
    definition = journeys.APPOINTMENT.model_dump(mode="json")
    for step in definition["steps"]:
        if step["key"] == "report":
            step["channels"] = ["email", "sms"]
    assert shop.api("PUT", "/v1/engagement/journeys/appointment", json=definition)["version"] == 1
    # and Chloé, with opt-ins for marketing e-mails and SMS, seen on Saturday at 18:00 in Paris
    chloe = shop.person("Chloé", "chloe@example.fr", "+33655443322", "email", "sms")
    appointment_id = shop.book_at(chloe, datetime(2027, 3, 27, 17, 0, tzinfo=UTC))
    shop.run()
    shop.at(datetime(2027, 3, 26, 9, 0, tzinfo=UTC))  # Friday 10:00 in Paris: the reminder
    shop.run()
    shop.box.take()
    shop.at(datetime(2027, 3, 27, 18, 30, tzinfo=UTC))  # Saturday 19:30 in Paris
    shop.complete(appointment_id)
    shop.run()
    # When the report is due, on Saturday at 20:30 in Paris
    shop.at(datetime(2027, 3, 27, 19, 30, tzinfo=UTC))
    shop.run()
    # Then the e-mail goes, and the SMS waits for Tuesday 08:00 in Paris (summer time by then): the French
    # rules allow no commercial SMS at night, on Sunday nor on a public holiday (Easter Monday, 29 March)
    assert len(shop.box.take()) == 1
    (sms,) = [m for m in shop.api_messages(chloe) if m["step"] == "report" and m["channel"] == "sms"]
    assert (sms["status"], sms["hold_code"]) == ("scheduled", "sms_night")
    assert datetime.fromisoformat(sms["due_at"]) == datetime(2027, 3, 30, 6, 0, tzinfo=UTC)
    assert sms["hold_reason"] == (
        "Commercial SMS go out from 08:00 to 20:00, Monday to Saturday: French SMS code of conduct. "
        "Held until 2027-03-30 08:00 (Europe/Paris)."
    )
    # When Sunday and Easter Monday come, nothing; on Tuesday at 08:00, it goes
    for day in (28, 29):
        shop.at(datetime(2027, 3, day, 10, 0, tzinfo=UTC))
        shop.run()
        assert shop.journey(chloe, appointment_id)["report/sms"].status == "scheduled"
    shop.at(datetime(2027, 3, 30, 6, 0, tzinfo=UTC))
    shop.run()
    assert shop.journey(chloe, appointment_id)["report/sms"].status == "sent"
    texts = [
        json.loads(line)
        for path in Path(shop.settings.sms_url.removeprefix("sandbox://")).glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert [t["to"] for t in texts] == ["+33655443322", "+33655443322"]  # the reminder, then the report


# -- an event delivered twice -----------------------------------------------------------------------------


def test_an_event_delivered_twice_schedules_each_message_once(shop: Shop) -> None:
    # Given Inès's appointment, whose booking the journeys' handler already followed
    ines = shop.person("Inès", "ines@example.fr", "+33677889900", "email")
    appointment_id = shop.book_at(ines, STARTS)
    shop.dispatcher.drain()
    # When the dispatcher delivers the same event again (its delivery mark lost), and so does a twin
    with shop.db.engine.begin() as conn:
        conn.execute(
            update(HandlerDelivery)
            .where(HandlerDelivery.handler == "engagement.journeys@appointments.booked")
            .values(status="pending", next_attempt_at=NOW, completed_at=None)
        )
    shop.dispatcher.drain()
    for _ in range(2):
        with UnitOfWork(shop.db) as uow:
            engine.react(uow, shop.event("appointments.booked"), shop.settings)
            uow.commit()
    # Then one instance, one message per step and channel
    assert shop.count(Instance, Instance.customer_id == ines) == 1
    expected = ["confirmation/email", "reminder/email", "reminder/sms"]
    assert sorted(shop.journey(ines, appointment_id)) == expected
    # and one confirmation reaches the mail server
    engagement.send_due(shop.db, shop.settings)
    shop.dispatcher.drain()
    assert len(shop.box.take()) == 1
    # When the completion is delivered twice too
    shop.at(STARTS + timedelta(minutes=50))
    shop.complete(appointment_id)
    shop.dispatcher.drain()
    with UnitOfWork(shop.db) as uow:
        engine.react(uow, shop.event("appointments.completed"), shop.settings)
        uow.commit()
    # Then the report and the follow-up are scheduled once each
    assert shop.count(Message, Message.customer_id == ines, Message.step.in_(["report", "follow_up"])) == 2


def test_an_event_about_a_person_erased_since_starts_no_journey(shop: Shop) -> None:
    # Given Noé's booking, whose event is still waiting when Noé is erased
    noe = shop.person("Noé", "noe@example.fr", "+33611112222", "email")
    shop.book_at(noe, STARTS)
    event = shop.event("appointments.booked")
    with UnitOfWork(shop.db) as uow:
        customers.erase(uow, noe, shop.settings)
        uow.commit()
    shop.dispatcher.drain()
    # When the journeys' handler follows the booking after the erasure
    with UnitOfWork(shop.db) as uow:
        engine.react(uow, event, shop.settings)
        uow.commit()
    # Then no journey starts: nothing of the person is kept, nothing will be sent
    assert shop.count(Instance, Instance.customer_id == noe) == 0
    assert shop.count(Message, Message.customer_id == noe) == 0


# -- bounces ----------------------------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_the_address(shop: Shop) -> None:
    # Given a mail server that knows no mailbox rebond@example.fr
    shop.box.refused["rebond@example.fr"] = REFUSED
    hugo = shop.person("Hugo", "rebond@example.fr", "+33600112233")
    first = shop.book_at(hugo, monday(10))
    # When the confirmation is sent and the mail queue gives up on it
    shop.run()
    # Then the message bounced with the server's answer, and the address is suppressed (as a keyed hash)
    bounced = shop.journey(hugo, first)["confirmation/email"]
    assert (bounced.status, bounced.hold_code) == ("bounced", "bounced")
    assert "5.1.1" in bounced.hold_reason and "Recipient address rejected" in bounced.hold_reason
    assert [d.kind for d in bounced.deliveries] == ["queued", "bounced"]
    digest = audience.address_hash(shop.settings, "email", "rebond@example.fr")
    with shop.db.engine.connect() as conn:
        rows = conn.execute(select(Suppression.address_hash, Suppression.channel, Suppression.reason)).all()
    assert [tuple(r) for r in rows] == [(digest, "email", "hard_bounce")]
    # When another message is due to that address
    second = shop.book_at(hugo, monday(12))
    shop.run()
    # Then it is skipped, and the mail server never hears of it
    skipped = shop.journey(hugo, second)["confirmation/email"]
    assert (skipped.status, skipped.hold_code) == ("skipped", "suppressed")
    assert skipped.hold_reason == "This address bounced: nothing more is sent to it."
    assert shop.box.rcpt == ["rebond@example.fr"]
    assert shop.box.take() == []


# -- the SMS gateway --------------------------------------------------------------------------------------


class Gateway:
    """An SMS provider's HTTP gateway answering as the test says, in order."""

    def __init__(self) -> None:
        self.answers: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)


@pytest.fixture
def gateway(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """The gateway the sender posts to, through an ``httpx.MockTransport``."""
    current = Gateway()
    transport = httpx.MockTransport(current)
    monkeypatch.setattr(
        textsend,
        "sms_sender_from_settings",
        lambda settings: messaging.sms_sender_from_settings(settings, transport=transport),
    )
    shop.settings = shop.settings.model_copy(
        update={"sms_url": "https://sms.example.net/v1/messages", "sms_token": "tok-123"}
    )
    return current


def test_a_number_the_gateway_refuses_is_suppressed(shop: Shop, gateway: Gateway) -> None:
    # Given a gateway that refuses the number (400), and Paul's appointment on Wednesday
    gateway.answers = [httpx.Response(400, json={"error": "invalid destination number"})]
    paul = shop.person("Paul", "paul@example.fr", "+33699887766")
    first = shop.book_at(paul, STARTS)
    shop.run()
    # When the J-1 reminder is due
    shop.at(TUESDAY_10_PARIS)
    shop.run()
    # Then the SMS bounced and the number is suppressed; the e-mail reminder went
    messages = shop.journey(paul, first)
    assert (messages["reminder/sms"].status, messages["reminder/sms"].hold_code) == ("bounced", "bounced")
    assert "400" in messages["reminder/sms"].hold_reason
    assert messages["reminder/email"].status == "sent"
    (request,) = gateway.requests
    assert request.headers["Idempotency-Key"] == messages["reminder/sms"].id
    assert request.headers["Authorization"] == "Bearer tok-123"
    digest = audience.address_hash(shop.settings, "sms", "+33699887766")
    assert shop.count(Suppression, Suppression.address_hash == digest, Suppression.channel == "sms") == 1
    # When the next SMS to that number is due (a second appointment, on Thursday)
    second = shop.book_at(paul, datetime(2027, 3, 25, 14, 0, tzinfo=UTC))
    shop.run()
    shop.at(datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    shop.run()
    # Then it is skipped, and the gateway never hears of it
    sms = shop.journey(paul, second)["reminder/sms"]
    assert (sms.status, sms.hold_code) == ("skipped", "suppressed")
    assert len(gateway.requests) == 1


def _busy_then_sent(shop: Shop, gateway: Gateway) -> MessageOut:
    """A J-1 reminder by SMS to a gateway busy once (503, Retry-After: 120), then taking it."""
    gateway.answers = [
        httpx.Response(503, headers={"Retry-After": "120"}, text="overloaded"),
        httpx.Response(200, json={"id": "prov-42"}),
    ]
    rose = shop.person("Rose", "rose@example.fr", "+33644556677")
    appointment_id = shop.book_at(rose, STARTS)
    shop.run()
    # When the J-1 reminder is due
    shop.at(TUESDAY_10_PARIS)
    shop.run()
    # Then the SMS is scheduled again, 120 s later, saying why
    sms = shop.journey(rose, appointment_id)["reminder/sms"]
    assert (sms.status, sms.hold_code) == ("scheduled", "gateway_busy")
    assert sms.due_at == TUESDAY_10_PARIS + timedelta(seconds=120)
    assert "503" in sms.hold_reason
    # When the worker runs before then, nothing; when the clock has moved on, it goes
    shop.at(TUESDAY_10_PARIS + timedelta(seconds=119))
    shop.run()
    assert len(gateway.requests) == 1
    shop.at(TUESDAY_10_PARIS + timedelta(seconds=120))
    shop.run()
    return shop.journey(rose, appointment_id)["reminder/sms"]


def test_a_busy_gateway_gets_the_sms_again_when_it_asked(shop: Shop, gateway: Gateway) -> None:
    sms = _busy_then_sent(shop, gateway)
    assert (sms.status, sms.reference) == ("sent", "prov-42")
    # under the same idempotency key both times
    assert [r.headers["Idempotency-Key"] for r in gateway.requests] == [sms.id, sms.id]
    assert [d.kind for d in sms.deliveries] == ["retry", "sent"]


def test_a_text_sent_after_a_hold_no_longer_says_it_is_held(shop: Shop, gateway: Gateway) -> None:
    sms = _busy_then_sent(shop, gateway)
    # Then, like an e-mail once queued, a sent SMS gives no reason to be held
    assert (sms.status, sms.hold_code, sms.hold_reason) == ("sent", "", "")


# -- erasure ----------------------------------------------------------------------------------------------


def test_erasure_removes_the_persons_journeys_messages_and_logs(shop: Shop) -> None:
    # Given Jade and Marius, each with an appointment whose confirmation went
    jade = shop.person("Jade", "jade@example.fr", "+33633221100")
    marius = shop.person("Marius", "marius@example.fr", "+33622110099")
    shop.book_at(jade, monday(10))
    shop.book_at(marius, monday(11))
    shop.run()
    jade_ids = [m["id"] for m in shop.api_messages(jade)]
    marius_ids = [m["id"] for m in shop.api_messages(marius)]
    assert shop.footprint(jade, jade_ids) == shop.footprint(marius, marius_ids) == (1, 3, 2)  # queued, sent
    # When Jade is erased through the API and the worker passes the news on
    shop.api("DELETE", f"/v1/customers/{jade}")
    shop.dispatcher.drain()
    # Then nothing of her journeys, messages or delivery logs is left; Marius's are untouched
    assert shop.footprint(jade, jade_ids) == (0, 0, 0)
    assert shop.count(Message, Message.id.in_(jade_ids)) == 0
    assert shop.footprint(marius, marius_ids) == (1, 3, 2)

"""A sending run reads what its batch needs once for the whole batch (customers, consents, suppressions,
recent sends, appointments, shops, invitations): as many queries for six messages as for two, the
decisions the same (an address suppressed, a consent withdrawn), and the
batch reads of the customers and appointments domains give what their one-at-a-time reads give."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import CancelIn
from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn
from comptoir.engagement import audience, sending_reads
from comptoir.engagement import service as engagement
from comptoir.engagement.models import Message, Suppression
from tests.appointments.conftest import RIVOLI, quick_password_hashes  # noqa: F401 (fixture)
from tests.engagement import test_sending
from tests.engagement.test_sending import Shop, monday

shop = test_sending.shop  # the sending tests' shop, a fixture


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def free_starts(shop: Shop) -> list[datetime]:
    """Free start times at Rivoli over the next two weeks, an hour or more apart."""
    query = appointments.SlotQuery(
        service_id=shop.retailer.styling,
        first_day=clock.now().date() + timedelta(days=2),
        days=14,
        place_ids=(RIVOLI,),
    )
    with UnitOfWork(shop.db, read_only=True) as uow:
        (place,) = appointments.search_slots(uow, query, "web", clock.now()).places
    zone = ZoneInfo(place.timezone)
    starts = [
        datetime.fromisoformat(f"{day.date}T{t}").replace(tzinfo=zone)
        for day in place.days
        for t in day.times
    ]
    return starts[::4]


def confirmations_due(shop: Shop, people: int, first: int) -> list[str]:
    """``people`` customers, each booking an appointment: their confirmations scheduled, not sent yet."""
    found, starts = [], free_starts(shop)
    for n in range(first, first + people):
        customer = shop.person(f"Client{n}", f"client{n}@example.fr", f"+336000000{n:02d}", "email")
        shop.book_at(customer, starts[n])
        found.append(customer)
    shop.dispatcher.drain()  # the engine schedules them
    return found


def test_a_run_reads_as_much_for_six_messages_as_for_two(shop: Shop) -> None:
    counts = []
    for people, first in ((2, 0), (6, 10)):
        confirmations_due(shop, people, first)
        with statements(shop.db) as seen:
            report = engagement.send_due(shop.db, shop.settings)
        assert (report.considered, report.queued) == (people, people)
        # (PostgreSQL's advisory lock per customer is a SELECT too: the locks are per customer, the reads not)
        reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "pg_advisory" not in s]
        counts.append(len(reads))
    assert counts[0] == counts[1]
    shop.dispatcher.drain()
    assert len(shop.box.take()) == 8


def test_a_batch_decides_each_message_as_one_by_one_reads_would(shop: Shop) -> None:
    # Given four customers whose confirmations are due in the same run, one of them with a suppressed
    # address
    people = confirmations_due(shop, 4, 0)
    with UnitOfWork(shop.db) as uow:
        digest = audience.address_hash(shop.settings, "email", "client1@example.fr")
        uow.session.add(
            Suppression(address_hash=digest, channel="email", reason="hard_bounce", created_at=clock.now())
        )
        uow.commit()
    # When the run sends them
    report = engagement.send_due(shop.db, shop.settings)
    # Then three go, the suppressed one is skipped
    assert (report.considered, report.queued, report.skipped) == (4, 3, 1)
    with shop.db.engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(Message.customer_id, Message.hold_code).where(Message.step == "confirmation")
            ).all()
        )
    assert rows == {people[0]: "", people[1]: "suppressed", people[2]: "", people[3]: ""}
    shop.dispatcher.drain()
    assert sorted(m["To"] for m in shop.box.take()) == [
        "client0@example.fr",
        "client2@example.fr",
        "client3@example.fr",
    ]


def test_the_customers_batch_reads_agree_with_the_one_by_one_reads(shop: Shop) -> None:
    lea = shop.person("Léa", "lea@example.fr", "+33612345678", "email")
    noe = shop.person("Noé", "noe@example.fr", "+33698765432")
    ines = shop.person("Inès", "ines@example.fr", "+33611223344", "email", "sms")
    with UnitOfWork(shop.db) as uow:
        customers.record_consents(
            uow, ines, [ConsentIn(purpose="marketing", channel="email", granted=False)], "web"
        )
        uow.commit()
    with UnitOfWork(shop.db, read_only=True) as uow:
        many = customers.get_customers(uow, [lea, noe, ines, "cus_unknown"])
        assert many == {c: customers.get_customer(uow, c) for c in (lea, noe, ines)}
        for channel in ("email", "sms"):
            allowed = customers.contactable(uow, [lea, noe, ines], "marketing", channel)
            assert allowed == {
                c for c in (lea, noe, ines) if customers.may_contact(uow, c, "marketing", channel)
            }
        assert customers.contactable(uow, [lea, noe, ines], "marketing", "email") == {lea}


def test_the_appointments_batch_reads_agree_with_the_one_by_one_reads(shop: Shop) -> None:
    lea = shop.person("Léa", "lea@example.fr", "+33612345678")
    booked = [shop.book_at(lea, monday(hour)) for hour in (10, 11)]
    with UnitOfWork(shop.db) as uow:
        appointments.cancel(uow, booked[1], CancelIn(), shop.settings)
        uow.commit()
    with UnitOfWork(shop.db, read_only=True) as uow:
        many = appointments.get_appointments(uow, [*booked, "apt_unknown"], shop.settings)
        assert many == {a: appointments.get_appointment(uow, a, shop.settings) for a in booked}
        places = {a.place_id: ("Rivoli", "12 rue de Rivoli, 75004 Paris") for a in many.values()}
        invitations = appointments.invitations_of(uow, booked, shop.settings, places)
        assert invitations == {
            a: appointments.invitation(uow, a, shop.settings, "Rivoli", "12 rue de Rivoli, 75004 Paris")
            for a in booked
        }
    assert b"METHOD:CANCEL" in invitations[booked[1]]


def test_reads_are_kept_for_the_run_only(shop: Shop) -> None:
    confirmations_due(shop, 1, 0)
    engagement.send_due(shop.db, shop.settings)
    with UnitOfWork(shop.db) as uow:
        assert sending_reads.of(uow) is None

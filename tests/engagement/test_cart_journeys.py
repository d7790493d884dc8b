"""The carts' and wishlists' journeys end to end, the events through the real bus and the e-mails caught by
a real SMTP server (aiosmtpd), in French and English: an abandoned cart's reminder an hour later and the
next day at 10:00 with the cart as it is then (its current prices, the Omnibus reference, the link back to
it); an order — of that cart or any other — ends it; a product back in stock online goes once to each
customer who wishes for it, not again when the stock flaps, again after a week; a price drop goes to its
wishers at their price with the Omnibus reference, a small one to nobody; an erased customer gets nothing,
a withdrawn consent stops what was scheduled; two workers handling the same restock at once (PostgreSQL)
write once to each customer."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.carts import service as carts
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core import clock
from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import service as engagement
from comptoir.engagement import wishes
from comptoir.engagement.models import WishWatch
from comptoir.engagement.schemas import JourneyDefinition
from comptoir.inventory import service as inventory
from comptoir.inventory.events import StockChanged
from comptoir.inventory.schemas import MovementIn
from comptoir.orders.events import OrderPlaced
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
from tests.engagement.conftest import Inbox, text_of
from tests.orders.conftest import (
    LIN_M,
    LIN_S,
    OPERA,
    RIVOLI,
    SOIE_M,
    SOIE_S,
    WAREHOUSE,
    checkout,
    customer_token,
)

NOW = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris
CART_LINK = "https://boutique.example.fr/shop/sign-in?next=/shop/cart"
WISHLIST_LINK = "https://boutique.example.fr/shop/account/wishlist"
DRESS = {"fr": "Robe en lin d'été", "en": "Summer linen dress"}  # the linen and the silk dress alike


class World:
    def __init__(self, db: Database, settings: Settings, app: Any, port: int) -> None:
        self.db, self.settings, self.app = db, settings, app
        self._moves = itertools.count(1)
        self.dispatcher = Dispatcher(
            db,
            app.state.comptoir.bus,
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

    def customer(self, given: str, email: str, locale: str, *, consent: bool = True) -> str:
        consents = [ConsentIn(purpose="marketing", channel="email", granted=True)] if consent else []
        with UnitOfWork(self.db) as uow:
            record = CustomerRecord(
                given_name=given, family_name="Martin", email=email, locale=locale, consents=consents
            )
            found = customers.ingest(uow, "web", record)
            uow.commit()
        return found.customer_id

    def consent(self, customer_id: str, granted: bool) -> None:
        with UnitOfWork(self.db) as uow:
            statement = ConsentIn(purpose="marketing", channel="email", granted=granted)
            customers.record_consents(uow, customer_id, [statement], "web")
            uow.commit()

    @staticmethod
    def shopper(customer_id: str) -> Actor:
        return Actor(
            key_id=None, channel="web", scopes=frozenset({"*"}), customer_id=customer_id, kind="customer"
        )

    def cart(self, customer_id: str, lines: list[tuple[str, int]]) -> str:
        with UnitOfWork(self.db, self.shopper(customer_id)) as uow:
            cart, _ = carts.create_cart(uow, CartIn(lines=[LineIn(sku=s, quantity=q) for s, q in lines]))
            uow.commit()
        return cart.id

    def abandon(self) -> None:
        with UnitOfWork(self.db) as uow:
            carts.abandon_idle(uow, timedelta(minutes=60))
            uow.commit()

    def wish(self, customer_id: str, sku: str) -> None:
        with UnitOfWork(self.db, self.shopper(customer_id)) as uow:
            carts.add_to_wishlist(uow, customer_id, sku)
            uow.commit()

    def move(self, kind: str, sku: str, place_id: str, quantity: int) -> None:
        with UnitOfWork(self.db) as uow:
            reference = f"{kind}-{sku}-{place_id}-{next(self._moves)}"
            inventory.record_movement(
                uow,
                MovementIn(kind=kind, sku=sku, place_id=place_id, quantity=quantity, reference=reference),  # type: ignore[arg-type]
            )
            uow.commit()

    def price(self, code: str, sku: str, amount: str) -> None:
        with UnitOfWork(self.db) as uow:
            pricing.set_prices(uow, code, PricesIn(prices=[PriceIn(sku=sku, amount=Decimal(amount))]))
            uow.commit()

    def erase(self, customer_id: str) -> None:
        with UnitOfWork(self.db) as uow:
            customers.erase(uow, customer_id, self.settings)
            uow.commit()

    def messages(self, customer_id: str) -> list[tuple[str, str, str]]:
        with UnitOfWork(self.db, read_only=True) as uow:
            return sorted(
                (m.journey_code, m.step, m.status) for m in engagement.messages_of(uow, customer_id)
            )


@pytest.fixture
def world(stocked: Database, settings: Settings, tmp_path: Path, inbox: tuple[Inbox, int]) -> Iterator[World]:
    from comptoir.app import create_app

    journey_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
            "sms_url": f"sandbox://{tmp_path / 'sms'}",
        }
    )
    clock.set_clock(lambda: NOW)
    built = World(stocked, journey_settings, create_app(journey_settings, db=stocked), inbox[1])
    built.run()  # the shop's own stock and prices: what the wishlists' watch first learns of each SKU
    yield built
    clock.set_clock(None)


def _by_address(mails: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in mails}


# -- abandoned cart -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "linen_line", "silk_price", "total", "ends_with"),
    [
        (
            "fr",
            "Claire, votre panier vous attend",
            "2\u00a0×\u00a059,90\u00a0€",
            "89,00\u00a0€",
            "Total\u00a0: 208,80\u00a0€",
            "Retrouver mon panier",
        ),
        (
            "en",
            "Claire, your cart is waiting for you",
            "2 × €59.90",
            "€89.00",
            "Total: €208.80",
            "Go back to my cart",
        ),
    ],
)
def test_an_abandoned_cart_is_recalled_an_hour_later_then_the_next_day_at_ten(
    world: World,
    inbox: tuple[Inbox, int],
    lang: str,
    subject: str,
    linen_line: str,
    silk_price: str,
    total: str,
    ends_with: str,
) -> None:
    box, _ = inbox
    # Given Claire, with an opt-in for marketing e-mails, who leaves two linen dresses and a silk one
    claire = world.customer("Claire", "claire@example.fr", lang)
    world.cart(claire, [(LIN_S, 2), (SOIE_S, 1)])
    # When the cart has been left untouched for an hour, the carts domain marks it abandoned
    world.at(NOW + timedelta(minutes=61))
    world.abandon()
    world.run()
    assert box.take() == []
    # Then an hour later, the reminder: the cart's lines at today's prices, the total and the way back
    world.at(NOW + timedelta(minutes=120))
    world.run()
    assert box.take() == []
    world.at(NOW + timedelta(minutes=121))
    world.run()
    (reminder,) = box.take()
    body = text_of(reminder)
    assert reminder["To"] == "claire@example.fr" and reminder["Subject"] == subject
    assert body.count(DRESS[lang]) == 2 and linen_line in body and silk_price in body and total in body
    assert f"{ends_with}\u00a0: {CART_LINK}" in body or f"{ends_with}: {CART_LINK}" in body
    assert str(reminder["List-Unsubscribe"]).startswith(
        "<https://boutique.example.fr/v1/engagement/unsubscribe"
    )
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # When Claire takes the silk dress out of her cart (the cart opens again)
    with UnitOfWork(world.db, World.shopper(claire)) as uow:
        cart = carts.current_cart(uow)
        assert cart is not None
        silk_line = next(line for line in cart.lines if line.sku == SOIE_S)
        carts.remove_line(uow, cart.id, silk_line.line_id)
        uow.commit()
    # Then the next day at 10:00 in Paris the second message shows the cart as it is now
    world.at(datetime(2027, 6, 8, 7, 59, tzinfo=UTC))
    world.run()
    assert box.take() == []
    world.at(datetime(2027, 6, 8, 8, 0, tzinfo=UTC))
    world.run()
    (next_day,) = box.take()
    assert text_of(next_day).count(DRESS[lang]) == 1 and silk_price not in text_of(next_day)
    assert world.messages(claire) == [
        ("abandoned_cart", "next_day", "sent"),
        ("abandoned_cart", "reminder", "sent"),
    ]


def test_ordering_the_cart_ends_the_journey(
    world: World, inbox: tuple[Inbox, int], marie: str, web: dict[str, str]
) -> None:
    box, _ = inbox
    # Given Marie, who opted in, left a linen dress in her cart on the website
    world.consent(marie, True)
    client = TestClient(world.app)
    response = client.post("/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}]}, headers=web)
    assert response.status_code == 201, response.text
    world.at(NOW + timedelta(minutes=61))
    world.abandon()
    world.run()
    assert [(c, s) for c, _, s in world.messages(marie) if c == "abandoned_cart"] == [
        ("abandoned_cart", "scheduled"),
        ("abandoned_cart", "scheduled"),
    ]
    # When she comes back (signed in again) and orders it before the reminder
    web = {**web, "X-Customer-Token": customer_token(world.settings, marie)}
    got = client.get(f"/v1/carts/{response.json()['id']}", headers=web)
    assert got.status_code == 200, got.text
    cart = got.json()
    order = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI)
    assert order.status_code == 201, order.text
    world.run()
    box.take()  # the order's confirmation
    # Then neither reminder goes
    world.at(NOW + timedelta(days=2))
    world.run()
    assert not [m for m in box.take() if "panier" in str(m["Subject"])]
    cart_messages = [(step, s) for code, step, s in world.messages(marie) if code == "abandoned_cart"]
    assert cart_messages == [("next_day", "cancelled"), ("reminder", "cancelled")]


def test_an_order_placed_another_way_ends_the_journey_too(world: World, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    hugo = world.customer("Hugo", "hugo@example.fr", "fr")
    world.cart(hugo, [(LIN_M, 1)])
    world.at(NOW + timedelta(minutes=61))
    world.abandon()
    world.run()
    # When an order of Hugo's is placed that names no cart of his (a shop's sale, a call-centre order)
    with UnitOfWork(world.db) as uow:
        uow.record(
            OrderPlaced(
                order_id="ord_at_the_till",
                customer_id=hugo,
                channel=f"store:{OPERA}",
                number="CMD-2027-000999",
                mode="store_sale",
                currency="EUR",
                total="59.90",
            )
        )
        uow.commit()
    world.run()
    # Then his abandoned-cart journey ends: nothing is sent
    world.at(NOW + timedelta(days=2))
    world.run()
    assert box.take() == []
    assert world.messages(hugo) == [
        ("abandoned_cart", "next_day", "cancelled"),
        ("abandoned_cart", "reminder", "cancelled"),
    ]


def test_a_withdrawn_consent_stops_the_reminder_and_an_erased_customer_gets_nothing(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    ines = world.customer("Inès", "ines@example.fr", "fr")
    leo = world.customer("Léo", "leo@example.fr", "fr")
    nobody = world.customer("Zoé", "zoe@example.fr", "fr", consent=False)
    for person in (ines, leo, nobody):
        world.cart(person, [(LIN_S, 1)])
    world.at(NOW + timedelta(minutes=61))
    world.abandon()
    world.run()
    assert world.messages(nobody) == []  # no opt-in at all: she does not enter
    # When Inès withdraws her consent and Léo is erased, both after their reminders were scheduled
    world.consent(ines, False)
    world.erase(leo)
    world.at(NOW + timedelta(days=2))
    world.run()
    # Then nothing is sent: Inès's messages are skipped for want of consent, Léo's are gone with him
    assert box.take() == []
    assert world.messages(ines) == [
        ("abandoned_cart", "next_day", "skipped"),
        ("abandoned_cart", "reminder", "skipped"),
    ]
    assert world.messages(leo) == []


# -- back in stock --------------------------------------------------------------------------------------------


def test_back_in_stock_goes_once_to_each_wisher_even_when_the_stock_flaps(
    world: World, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, _ = inbox
    monkeypatch.setattr(wishes, "PAGE", 2)  # the wishers are read a page at a time
    # Given the silk dress in M, only at the Opéra shop (which does not ship): not orderable online
    with UnitOfWork(world.db, read_only=True) as uow:
        watch = uow.session.get(WishWatch, SOIE_M)
        assert watch is not None and watch.in_stock is False
    # and five customers who wish for it: three with an opt-in (French, English), one without, one erased
    claire = world.customer("Claire", "claire@example.fr", "fr")
    tom = world.customer("Tom", "tom@example.co.uk", "en")
    anna = world.customer("Anna", "anna@example.fr", "fr")
    lea = world.customer("Léa", "lea@example.fr", "fr", consent=False)
    gone = world.customer("Paul", "paul@example.fr", "fr")
    for person in (claire, tom, anna, lea, gone):
        world.wish(person, SOIE_M)
    world.erase(gone)
    world.run()
    # When the warehouse receives four
    world.move("receipt", SOIE_M, WAREHOUSE, 4)
    world.run()
    # Then each wisher with an opt-in gets one message, in their language, with the product and its price
    mails = _by_address(box.take())
    assert sorted(mails) == ["anna@example.fr", "claire@example.fr", "tom@example.co.uk"]
    french, english = mails["claire@example.fr"], mails["tom@example.co.uk"]
    assert french["Subject"] == "Robe en lin d'été est de retour en stock"
    assert english["Subject"] == "Summer linen dress is back in stock"
    assert "89,00\u00a0€" in text_of(french) and "€89.00" in text_of(english)
    assert "https://boutique.example.fr/shop/p/ROBE-SOIE" in text_of(english)
    assert WISHLIST_LINK in text_of(english)
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # When the stock flaps: sold out, back, sold out, back again within the week
    for _ in range(2):
        world.move("sale", SOIE_M, WAREHOUSE, 4)
        world.run()
        world.move("receipt", SOIE_M, WAREHOUSE, 4)
        world.run()
    # Then nobody is told again
    assert box.take() == []
    assert world.messages(claire) == [("back_in_stock", "notice", "sent")]
    assert world.messages(lea) == [] and world.messages(gone) == []
    # But a week later, sold out and back again: once more
    world.at(NOW + timedelta(days=8))
    world.move("sale", SOIE_M, WAREHOUSE, 4)
    world.run()
    world.move("receipt", SOIE_M, WAREHOUSE, 2)
    world.run()
    assert sorted(_by_address(box.take())) == ["anna@example.fr", "claire@example.fr", "tom@example.co.uk"]


def test_a_restock_at_a_shop_that_does_not_ship_is_not_back_in_stock_online(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    claire = world.customer("Claire", "claire@example.fr", "fr")
    world.wish(claire, SOIE_M)
    world.move("receipt", SOIE_M, OPERA, 5)  # Opéra: click & collect only
    world.run()
    assert box.take() == []
    world.move("receipt", SOIE_M, RIVOLI, 1)  # Rivoli ships from the shop
    world.run()
    (mail,) = box.take()
    assert mail["To"] == "claire@example.fr"


def test_a_back_in_stock_message_sold_out_again_before_it_goes_is_skipped(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    claire = world.customer("Claire", "claire@example.fr", "fr")
    world.wish(claire, SOIE_M)
    world.move("receipt", SOIE_M, WAREHOUSE, 1)
    world.dispatcher.drain()  # the journey starts; the sender has not run yet
    world.move("sale", SOIE_M, WAREHOUSE, 1)
    world.run()
    assert box.take() == []
    assert world.messages(claire) == [("back_in_stock", "notice", "skipped")]


# -- price drop -----------------------------------------------------------------------------------------------


def test_a_price_drop_goes_to_its_wishers_at_their_price_a_small_one_to_nobody(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    claire = world.customer("Claire", "claire@example.fr", "fr")
    tom = world.customer("Tom", "tom@example.co.uk", "en")
    for person in (claire, tom):
        world.wish(person, LIN_M)
    # When the linen dress goes on sale the next day, from 59.90 to 39.90 on the website
    world.at(NOW + timedelta(days=1))
    with UnitOfWork(world.db) as uow:
        pricing.create_price_list(
            uow, PriceListIn(code="soldes", name="Soldes d'été", is_sale=True, priority=10)
        )
        uow.commit()
    world.price("soldes", LIN_M, "39.90")
    world.run()
    # Then each wisher is told, with the Omnibus reference (the lowest price of the 30 days before)
    mails = _by_address(box.take())
    french, english = mails["claire@example.fr"], mails["tom@example.co.uk"]
    assert french["Subject"] == "Baisse de prix sur Robe en lin d'été"
    assert english["Subject"] == "The price of Summer linen dress has gone down"
    assert "39,90\u00a0€" in text_of(french) and "Prix de référence\u00a0: 59,90\u00a0€" in text_of(french)
    assert "€39.90" in text_of(english) and "Reference price: €59.90" in text_of(english)
    # When it goes down by less than 5 % (39.90 → 38.90), nobody is told
    world.at(NOW + timedelta(days=9))
    world.price("soldes", LIN_M, "38.90")
    world.run()
    assert box.take() == []
    # When the regular price of another wished-for dress drops by a sixth, its wisher is told, no reference
    world.wish(tom, LIN_S)
    world.price("base", LIN_S, "49.90")
    world.run()
    (drop,) = box.take()
    assert drop["To"] == "tom@example.co.uk" and "€49.90" in text_of(drop)
    assert "Reference price" not in text_of(drop) and "instead of" not in str(drop["Subject"])
    assert [k for k, *_ in world.messages(tom)] == ["price_drop", "price_drop"]


def test_a_price_back_up_before_the_message_goes_skips_it(world: World, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    claire = world.customer("Claire", "claire@example.fr", "fr")
    world.wish(claire, SOIE_S)
    world.price("base", SOIE_S, "69.00")
    world.dispatcher.drain()
    world.price("base", SOIE_S, "89.00")
    world.run()
    assert box.take() == []
    assert world.messages(claire) == [("price_drop", "notice", "skipped")]


# -- two workers at once (PostgreSQL) -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("same_event", [True, False])
def test_two_workers_handling_the_restock_at_once_write_once_to_each_wisher(
    world: World, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch, same_event: bool
) -> None:
    if not world.db.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    box, _ = inbox
    people = [world.customer(f"Client{n}", f"client{n}@example.fr", "fr") for n in range(6)]
    for person in people:
        world.wish(person, SOIE_M)
    # Given the silk dress received at the warehouse and at Rivoli (both ship), their events not yet handled
    world.move("receipt", SOIE_M, WAREHOUSE, 3)
    world.move("receipt", SOIE_M, RIVOLI, 2)
    events = [
        StockChanged(
            event_id="evt_restock_warehouse",
            sku=SOIE_M,
            place_id=WAREHOUSE,
            on_hand=3,
            reserved=0,
            available=3,
            cause="receipt",
        ),
        StockChanged(
            event_id="evt_restock_rivoli",
            sku=SOIE_M,
            place_id=RIVOLI,
            on_hand=2,
            reserved=0,
            available=2,
            cause="receipt",
        ),
    ]
    if same_event:
        events = [events[0], events[0]]  # one event delivered to two workers at once
    # When two workers handle them at the same moment, both having read nothing yet
    both, watch = threading.Barrier(2), wishes._watch

    def meeting(uow: UnitOfWork, sku: str) -> WishWatch:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait(timeout=5)
        return watch(uow, sku)

    monkeypatch.setattr(wishes, "_watch", meeting)

    def handle(event: StockChanged) -> int:
        with UnitOfWork(world.db, SYSTEM) as uow:
            entered = wishes.fan_out(uow, event, world.settings)
            uow.commit()
        return entered

    with ThreadPoolExecutor(2) as pool:
        entered = sorted(pool.map(handle, events))
    # Then one of them started the episode for the six wishers, the other found it begun
    assert entered == [0, 6]
    monkeypatch.setattr(wishes, "_watch", watch)
    world.run()  # the receipts' own events too: the episode has begun, nothing more
    mails = box.take()
    assert sorted(str(m["To"]) for m in mails) == sorted(f"client{n}@example.fr" for n in range(6))


def test_the_retailer_s_own_version_of_the_journey_is_the_one_fanned_out(
    world: World, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    claire = world.customer("Claire", "claire@example.fr", "fr")  # an opt-in by e-mail, not by SMS
    world.wish(claire, SOIE_M)
    # Given the retailer's version of "back in stock": by SMS as well, a quarter of an hour later
    with UnitOfWork(world.db, read_only=True) as uow:
        definition = engagement.get_journey(uow, "back_in_stock").definition.model_dump(mode="json")
    definition["steps"][0] |= {"channels": ["email", "sms"], "timing": {"minutes": 15}}
    with UnitOfWork(world.db) as uow:
        engagement.save_journey(uow, "back_in_stock", JourneyDefinition.model_validate(definition), "Camille")
        uow.commit()
    # When the silk dress is back online
    world.move("receipt", SOIE_M, WAREHOUSE, 2)
    world.run()
    assert box.take() == []
    world.at(NOW + timedelta(minutes=15))
    world.run()
    # Then the e-mail goes a quarter of an hour later, under the version it started on
    (mail,) = box.take()
    assert mail["To"] == "claire@example.fr"
    with UnitOfWork(world.db, read_only=True) as uow:
        (instance,) = engagement.instances_of(uow, claire)
    assert instance.journey_code == "back_in_stock" and instance.version == 1
    assert sorted((m.channel, m.status, m.hold_code) for m in instance.messages) == [
        ("email", "sent", ""),
        ("sms", "skipped", "no_consent"),
    ]

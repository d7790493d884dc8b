"""Two real browsers in a live video session: the customer's page served by one API process, the advisor's
console by another, on one PostgreSQL database (signalling crosses through LISTEN/NOTIFY). The customer
asks to talk, the advisor accepts, each page plays the other's camera (Chromium's fake device: decoded
frames keep coming), the advisor shows a product, the customer adds it to the cart and checks out for click
& collect in the call: the order is the live channel's, and the session's report is stored once it ends.
On the way the customer's network drops (every connection to their server reset): their WebSocket comes
back by itself, the chat reaches them again and the video never stopped.
Then once more with the browsers forced through a TURN relay (coturn started by the test)."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from comptoir.core import staff
from comptoir.core.db import Database
from comptoir.core.migrate import upgrade
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import STAFF_COOKIE
from comptoir.inventory import service as inventory
from comptoir.orders import service as orders
from tests.catalog.conftest import build_taxonomy, dress
from tests.conftest import create_empty_database, drop_database
from tests.live.test_processes import round_the_clock
from tests.orders.conftest import LIN_S, RIVOLI, WAREHOUSE, places, receive
from tests.support.page_checks import check
from tests.support.processes import ROOT, free_port, launch_server, stop, wait_ready
from tests.support.tcp_proxy import TcpProxy

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TURNSERVER = Path("/usr/bin/turnserver")
TIMEOUT_MS = 30_000

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@dataclass
class Servers:
    db_url: str
    console: str  # the advisor's console is served here
    shop: str  # the customer's page is served here
    staff_token: str


def _retailer(db: Database) -> None:
    """The order tests' small retailer: linen and silk dresses priced, stock at Rivoli and the warehouse."""
    from decimal import Decimal

    from comptoir.catalog import service as catalog
    from comptoir.pricing import service as pricing
    from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn

    with UnitOfWork(db) as uow:
        build_taxonomy(uow)
        catalog.create_product(uow, dress("ROBE-LIN", status="active"))
        places(uow)
        inventory.sync_places(uow)
        pricing.create_price_list(uow, PriceListIn(code="base", name="Prix de base"))
        pricing.set_prices(uow, "base", PricesIn(prices=[PriceIn(sku=LIN_S, amount=Decimal("59.90"))]))
        receive(uow, {(LIN_S, WAREHOUSE): 20, (LIN_S, RIVOLI): 3})
        uow.commit()


@pytest.fixture
def start_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``start_servers(**env)``: a scratch database with the retailer and a round-the-clock studio, and
    two ``comptoir serve`` processes on it with that environment."""
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    made: list[tuple[str, list[Any]]] = []

    def _start(**env: str) -> Servers:
        url = create_empty_database("postgresql", tmp_path)
        procs: list[Any] = []
        made.append((url, procs))
        upgrade(url, "head")  # the migrations: PostgreSQL's search index is theirs
        db = Database(url, pool_size=1)
        _retailer(db)
        staff_token, _key = round_the_clock(db)
        db.dispose()
        path = f"{ROOT / 'src'}:{ROOT}"
        for n in (1, 2):
            log = tmp_path / f"serve-{n}.log"
            procs.append(launch_server(url, log, PYTHONPATH=path, **env))  # type: ignore[arg-type]
        for n, (proc, base) in enumerate(procs, start=1):
            wait_ready(proc, base, tmp_path / f"serve-{n}.log")
        return Servers(url, procs[0][1], procs[1][1], staff_token)

    yield _start
    for url, procs in made:
        for proc, _ in procs:
            stop(proc)
        drop_database(url)


@pytest.fixture
def turn(tmp_path: Path) -> Iterator[dict[str, str]]:
    """coturn on loopback (REST credentials from a shared secret), no daemon; the servers' environment."""
    if not TURNSERVER.exists():
        pytest.skip("the relayed video test needs coturn (apt-get install coturn)")
    secret, port, low = secrets.token_hex(16), free_port(), 49152 + secrets.randbelow(10_000)
    log = (tmp_path / "turnserver.log").open("ab")
    args = [str(TURNSERVER), "-n", "--no-cli", "--no-tls", "--no-dtls", "--use-auth-secret",
            f"--static-auth-secret={secret}", "--realm=comptoir", "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1", f"--listening-port={port}", f"--min-port={low}",
            f"--max-port={low + 200}", "--allow-loopback-peers", "--fingerprint", "--log-file=stdout",
            "--simple-log", "--no-stun-backward-compatibility"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    try:
        assert proc.poll() is None, (tmp_path / "turnserver.log").read_text()
        yield {
            "COMPTOIR_LIVE_TURN_URLS": json.dumps([f"turn:127.0.0.1:{port}?transport=udp"]),
            "COMPTOIR_LIVE_TURN_SECRET": secret,
            "COMPTOIR_LIVE_ICE_TRANSPORT_POLICY": "relay",
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- the pages ---------------------------------------------------------------------------------------

STATS_JS = """async () => {
  const call = window.__comptoirLiveCall;
  if (!call) return null;
  const stats = await call.pc.getStats();
  let frames = 0, pair = null, transport = null;
  const byId = {};
  stats.forEach(s => { byId[s.id] = s; });
  stats.forEach(s => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
    if (s.type === 'transport' && s.selectedCandidatePairId) transport = s.selectedCandidatePairId;
  });
  stats.forEach(s => {
    if (s.type === 'candidate-pair' && (s.id === transport || (!transport && s.nominated && s.state === 'succeeded'))) pair = s;
  });
  const local = pair && byId[pair.localCandidateId], remote = pair && byId[pair.remoteCandidateId];
  return {frames, local: local && local.candidateType, remote: remote && remote.candidateType};
}"""


def _new_page(browser: Browser, base: str, lang: str = "fr") -> Page:
    context = browser.new_context(
        base_url=base,
        locale="fr-FR" if lang == "fr" else "en-GB",
        extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9" if lang == "fr" else "en-GB,en;q=0.9"},
        viewport={"width": 1024, "height": 768},
        permissions=["camera", "microphone"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _plays_video(page: Page) -> dict[str, Any]:
    """The remote video has a picture, and decoded frames keep coming."""
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-live-remote]'); return v && v.videoWidth > 0; }",
        timeout=TIMEOUT_MS,
    )
    first = page.evaluate(STATS_JS)
    deadline = time.monotonic() + 15
    while True:
        page.wait_for_timeout(700)
        later = page.evaluate(STATS_JS)
        if later and first and later["frames"] > first["frames"] > 0:
            return dict(later)
        assert time.monotonic() < deadline, f"no decoded frames: {first} then {later}"


def _heard_again(console: Page, customer: Page) -> None:
    """The advisor writes while the customer's page is cut off: once back, the page shows it (what was said
    meanwhile is read again from the session's chat)."""
    console.fill("#live-text", "Vous m'entendez toujours ?")
    console.click("[data-live-chat-form] [type=submit]")
    customer.wait_for_function(
        "() => document.querySelector('[data-live-chat]').textContent.includes('entendez toujours')",
        timeout=20_000,
    )


def _journey(
    browser: Browser, servers: Servers, *, relayed: bool, checked: bool, network: TcpProxy | None = None
) -> None:
    """``network``: the customer reaches their server through this proxy, which the journey cuts once
    (a network drop) — the page's WebSocket comes back and the call goes on."""
    console = _new_page(browser, servers.console, "fr")
    console.context.add_cookies(
        [{"name": STAFF_COOKIE, "value": servers.staff_token, "url": servers.console}]
    )
    customer = _new_page(browser, f"http://127.0.0.1:{network.port}" if network else servers.shop, "en")
    try:
        # the advisor opens the console and becomes available
        console.goto("/seller/live")
        if checked:
            check(console, "live-console")
        console.check("[data-live-presence] input[value=available]")
        console.wait_for_function(
            "() => document.querySelector('[data-live-presence] input[value=available]').checked && "
            "document.querySelector('[data-live-presence-state]').textContent.includes('disponible')"
        )
        # the customer asks to talk now
        customer.goto("/shop/live")
        if checked:
            check(customer, "live-ask")
        customer.select_option("#f-language", "fr")  # the studio's advisor speaks French
        customer.fill("#f-postcode", "75001")
        customer.click("form[action='/shop/live/ask'] [type=submit]")
        customer.wait_for_selector("[data-live-shop]", state="attached")
        # the offer reaches the other process's console; the advisor accepts
        console.click("[data-live-offers] [data-accept]")
        customer.wait_for_selector("[data-live-session]:not([hidden])")
        seen_by_advisor = _plays_video(console)
        seen_by_customer = _plays_video(customer)
        if relayed:
            assert seen_by_advisor["local"] == "relay" and seen_by_customer["local"] == "relay", (
                seen_by_advisor,
                seen_by_customer,
            )
        if checked:
            check(customer, "live-session")
        # the advisor finds the linen dress and shows it
        console.fill("#live-q", "robe")
        console.click("[data-live-search] [type=submit]")
        console.click(f"[data-push='{LIN_S}']")
        console.wait_for_selector("[data-live-said] [role=status]")
        card = customer.wait_for_selector(f".live-card[data-sku='{LIN_S}']")
        if network is not None:  # the customer's network drops: their WebSocket comes back, the call goes on
            assert network.drop() > 0
            _heard_again(console, customer)
            _plays_video(customer)
        # the customer adds it to the cart and checks out for click & collect, in the call
        card.query_selector("[data-a=cart]").click()  # type: ignore[union-attr]
        customer.wait_for_selector("[data-live-checkout]")
        customer.select_option("#lc-pickup", RIVOLI)
        customer.fill("#lc-email", "zoe@example.org")
        customer.click("[data-live-checkout] [type=submit]")
        placed = customer.wait_for_selector("[data-live-order]")
        assert placed is not None
        number = placed.get_attribute("data-live-order")
        console.wait_for_function("() => document.querySelector('[data-live-activity] li') !== null")
        # the advisor ends the session: its report is shown and stored
        console.click("[data-live-end]")
        console.wait_for_selector("[data-live-report]")
        customer.wait_for_selector("[data-live-ended]:not([hidden])")
    finally:
        console.context.close()
        customer.context.close()
    db = Database(servers.db_url, pool_size=1)
    try:
        with UnitOfWork(db, read_only=True) as uow:
            row = uow.session.execute(
                text("select cart_id, report from live_sessions where status = 'ended'")
            ).one()
            order_id = uow.session.execute(
                text("select order_id from carts_carts where id = :c"), {"c": row.cart_id}
            ).scalar_one()
            order = orders.get_order(uow, order_id)
        assert order.number == number and order.channel == "live" and order.mode == "click_and_collect"
        assert order.pickup_place_id == RIVOLI and [line.sku for line in order.lines] == [LIN_S]
        report = row.report if isinstance(row.report, dict) else json.loads(row.report)
        assert report["shown"] == [LIN_S] and report["added"] == [LIN_S]
    finally:
        db.dispose()


def test_two_browsers_talk_show_and_buy_in_a_live_session(chromium: Browser, start_servers: Any) -> None:
    started = time.monotonic()
    servers = start_servers()
    with TcpProxy(int(servers.shop.rsplit(":", 1)[1])) as network:
        _journey(chromium, servers, relayed=False, checked=True, network=network)
    print(f"live browser journey: {time.monotonic() - started:.1f} s")


def test_the_video_goes_through_a_turn_relay_when_only_relay_is_allowed(
    chromium: Browser, start_servers: Any, turn: dict[str, str]
) -> None:
    started = time.monotonic()
    servers = start_servers(**turn)
    _journey(chromium, servers, relayed=True, checked=False)
    print(f"live browser journey (relay): {time.monotonic() - started:.1f} s")

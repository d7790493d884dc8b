"""Engagement: the journeys' e-mails rendered and delivered per second by one worker, on PostgreSQL.

The retailer of ``bench/_appointments.py`` (50 shops, 200 advisors, 5 services), and N customers (each
their own: distinct customers), each with an opt-in for marketing by e-mail and an appointment booked
through ``appointments.service.book``; the engine schedules their confirmations (the bus's handlers, as a
worker delivers them). Then one process does what a worker does until the mail server has accepted every
confirmation: ``engagement.send_due`` in batches of 200 (consent read from the ledger, suppressions,
caps and quiet hours, the appointment and the shop read, the e-mail rendered in the customer's language
with its CSS inlined, the .ics attached, queued under its Message-ID — each read made once for the batch)
and the kernel's mail queue delivering over SMTP, DKIM-signed (RSA 2048), a batch over one connection, to
a sink (aiosmtpd) in a process of its own — ``messages_per_s``; ``message_bytes`` is their mean size.
Beside it, in the same run, the same number of messages of that size signed (the same signer, OpenSSL's
RSA) and sent by ``smtplib`` alone to the same sink, over one connection for 100 messages as the mail queue
keeps it: ``raw_smtp_messages_per_s`` (the transport's own ceiling on this machine).

The issue's goals: ``messages_per_s`` ≥ 300, and the J+30 step scheduled for a million customers in under
60 s: ``schedule_1m_customers_s`` and the other ``launch_*`` figures come from
``bench/_engagement_launch.py`` (a journey launched to a segment; its docstring says how), run after.

    .venv/bin/python bench/engagement.py           # 1,000 customers (launch: a million)
    .venv/bin/python bench/engagement.py --quick   # 200 customers (launch: 100,000, extrapolated)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import smtplib
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench._db import reachable, scratch_database, server_url  # noqa: E402


def _sink(port: int, ready: Any, counter: Any, size: Any) -> None:
    """The mail server: accepts everything, counts messages and their bytes."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
                size.value += len(envelope.content)
            return "250 queued"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    time.sleep(3600)


def _customers_and_bookings(url: str, count: int) -> None:
    """``count`` customers with an opt-in, each booking one free start of the retailer's shops."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bench import _appointments
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import BookIn, SlotIn
    from comptoir.core import clock
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.core.errors import Conflict
    from comptoir.core.uow import UnitOfWork
    from comptoir.customers import service as customers
    from comptoir.customers.schemas import ConsentIn, CustomerRecord

    retailer = _appointments.build(url, clock.now())
    db = Database(url, pool_size=2)
    service_id, _ = retailer.services["retouches"]
    slots: list[tuple[str, datetime]] = []
    with UnitOfWork(db, read_only=True) as uow:
        for place_id in retailer.places:
            query = appointments.SlotQuery(
                service_id=service_id,
                first_day=clock.now().date() + timedelta(days=1),
                days=30,
                place_ids=(place_id,),
            )
            for place in appointments.search_slots(uow, query, "web", clock.now()).places:
                tz = ZoneInfo(place.timezone)
                for day in place.days:
                    slots += [
                        (place_id, datetime.fromisoformat(f"{day.date}T{t}").replace(tzinfo=tz))
                        for t in day.times[::3]
                    ]
    booked = 0
    for n, (place_id, starts_at) in enumerate(slots):
        if booked == count:
            break
        with UnitOfWork(db) as uow:
            customer_id = customers.ingest(
                uow,
                "web",
                CustomerRecord(
                    given_name="Client",
                    family_name=f"Banc{n:05d}",
                    email=f"client{n:05d}@exemple.fr",
                    locale="fr_FR" if n % 3 else "en_GB",
                    consents=[ConsentIn(purpose="marketing", channel="email", granted=True)],
                ),
            ).customer_id
            uow.commit()
        actor = Actor(
            key_id=None, channel="web", scopes=frozenset({"*"}), customer_id=customer_id, kind="customer"
        )
        try:
            with UnitOfWork(db, actor) as uow:
                appointments.book(
                    uow, BookIn(slot=SlotIn(service_id=service_id, place_id=place_id, starts_at=starts_at))
                )
                uow.commit()
            booked += 1
        except Conflict:
            continue
    assert booked == count, f"only {booked} free starts found"
    db.dispose()


def _dkim_key(folder: Path) -> Path:
    from dkim import dknewkey

    dknewkey.GenRSAKeys(str(folder / "dkim.pem"), verbose=False)
    return folder / "dkim.pem"


def _journeys(url: str, settings: Any) -> Any:
    """The worker's dispatcher (every domain's handlers) and the confirmations the engine scheduled."""
    from comptoir.core.db import Database
    from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
    from comptoir.core.mail import mailer_from_settings
    from comptoir.domains import build_bus

    db = Database(url, pool_size=4)
    worker = Dispatcher(
        db, build_bus(settings), DispatcherConfig(batch_size=500), mailer=mailer_from_settings(settings)
    )
    while worker.fan_out() + worker.deliver_to_handlers():
        pass
    return db, worker


def _send_all(db: Any, worker: Any, settings: Any, counter: Any, expected: int) -> tuple[float, float]:
    """Seconds in all, and the sender's share (deciding, rendering, queueing; the rest: the mail queue)."""
    from comptoir.engagement import service as engagement

    t0 = time.perf_counter()
    deadline, deciding = t0 + 600, 0.0
    while counter.value < expected and time.perf_counter() < deadline:
        t1 = time.perf_counter()
        engagement.send_due(db, settings, limit=200)
        deciding += time.perf_counter() - t1
        while worker.outbound.run():
            pass
    return time.perf_counter() - t0, deciding


def _raw_smtp(port: int, key: Path, count: int, size: int) -> float:
    """``count`` messages of ``size`` bytes, DKIM-signed by the mail queue's signer and sent by smtplib,
    a connection for 100 messages (as the mail queue keeps one)."""
    from comptoir.core.mail import DkimSigner, load_dkim_key

    signer = DkimSigner(load_dkim_key(key), "bench", "boutique.example.fr")
    body = "\r\n".join(["x" * 76] * max(1, (size - 600) // 78))
    smtp: smtplib.SMTP | None = None
    t0 = time.perf_counter()
    for n in range(count):
        message = (
            f"From: Comptoir <bonjour@boutique.example.fr>\r\nTo: raw{n}@exemple.fr\r\nSubject: Confirmation\r\n"
            f"Message-ID: <raw{n}@boutique.example.fr>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
        ).encode()
        signed = signer.sign(message)
        if smtp is None:
            smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
        smtp.sendmail("bonjour@boutique.example.fr", [f"raw{n}@exemple.fr"], signed)
        if n % 100 == 99:
            smtp.quit()
            smtp = None
    if smtp is not None:
        smtp.quit()
    return time.perf_counter() - t0


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    count = args.customers or (200 if args.quick else 1000)
    pg = server_url(args.pg_url)
    if not reachable(pg):
        print("messages_per_s: skipped (PostgreSQL does not answer)")
        return
    from comptoir.core.migrate import upgrade
    from comptoir.core.settings import Settings
    from comptoir.domains import load_models

    load_models()
    started = time.perf_counter()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp_dir, scratch_database(pg, label="bench_engagement") as url:
        tmp = Path(tmp_dir)
        upgrade(url)
        port = _free_port()
        ready, counter, size = ctx.Event(), ctx.Value("i", 0), ctx.Value("q", 0)
        sink = ctx.Process(target=_sink, args=(port, ready, counter, size), daemon=True)
        sink.start()
        if not ready.wait(60):
            raise SystemExit("the SMTP sink did not start")
        try:
            t0 = time.perf_counter()
            _customers_and_bookings(url, count)
            print(f"setup_seconds: {time.perf_counter() - t0:.1f}")
            key = _dkim_key(tmp)
            settings = Settings(
                database_url=url,
                secret_key="bench-secret-key-0123456789-0123456789",
                base_url="https://boutique.example.fr",
                mail_from="Comptoir <bonjour@boutique.example.fr>",
                mail_url=f"smtp://127.0.0.1:{port}",
                dkim_private_key_file=key,
                dkim_selector="bench",
                sms_url=f"sandbox://{tmp / 'sms'}",
            )
            db, worker = _journeys(url, settings)
            seconds, deciding = _send_all(db, worker, settings, counter, count)
            accepted, mean = counter.value, size.value // max(1, counter.value)
            print(f"customers: {count}")
            print(f"messages_accepted: {accepted}")
            print(f"message_bytes: {mean}")
            print(f"messages_per_s: {accepted / seconds:.1f}")
            print(f"sender_ms_per_message: {deciding / count * 1000:.2f}")
            print(f"mail_queue_ms_per_message: {(seconds - deciding) / count * 1000:.2f}")
            raw = _raw_smtp(port, key, count, mean)
            print(f"raw_smtp_messages_per_s: {(counter.value - accepted) / raw:.1f}")
            print(f"messages_vs_raw_smtp: {accepted / seconds / ((counter.value - accepted) / raw):.3f}")
            db.dispose()
        finally:
            sink.terminate()
    _launch(args.quick)
    print(f"bench_seconds: {time.perf_counter() - started:.0f}")


def _launch(quick: bool) -> None:
    """The journey launched to a segment (``bench/_engagement_launch.py``), its figures printed."""
    from bench import _engagement_launch

    for name, value in _engagement_launch.run(quick).items():
        print(f"{name}: {value:.10g}")


if __name__ == "__main__":
    main()

"""Concurrent writes on PostgreSQL: racing ingests of one person, one-time links, sign-in throttling."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comptoir.core.context import SYSTEM
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.customers import accounts, ingestion
from comptoir.customers.models import Account, Customer, SignInThrottle
from comptoir.customers.policies import MAX_FAILED_SIGN_INS
from comptoir.customers.schemas import CustomerRecord, LinkSignInIn, SignUpIn
from tests.conftest import make_key
from tests.customers.conftest import JEAN
from tests.support.concurrency import race
from tests.support.processes import start_server, stop

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(db):  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("race tests run on PostgreSQL")
    return db


def count_customers(db) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).where(Customer.status == "active")) or 0)


def test_racing_ingests_of_one_person_make_one_customer(pg) -> None:
    variants = [
        JEAN,
        {**JEAN, "given_name": "JEAN", "family_name": "DUPONT", "street": None},
        {**JEAN, "email": None},
        {**JEAN, "phone": None, "birth_date": "1980-12-31"},
        {**JEAN, "postcode": None, "city": None},
        {**JEAN, "email": "JEAN.DUPONT@GMAIL.COM"},
    ]

    def ingest(i: int) -> str:
        with UnitOfWork(pg, SYSTEM) as uow:
            result = ingestion.ingest(uow, "web", CustomerRecord(**variants[i]), region="FR")
            uow.commit()
        return result.customer_id

    ids = race(len(variants), ingest)
    assert all(isinstance(i, str) for i in ids), ids
    assert len(set(ids)) == 1
    assert count_customers(pg) == 1


def test_a_one_time_link_signs_in_once_however_many_race_for_it(pg, settings) -> None:
    with UnitOfWork(pg, SYSTEM) as uow:
        accounts.sign_up(
            uow, SignUpIn(email="m@example.org", given_name="Marie", family_name="Curie"), settings
        )
        account_id, customer_id = uow.session.execute(select(Account.id, Account.customer_id)).one()
        token, _ = accounts.make_one_time_token(uow, account_id, "sign-in")
        uow.commit()

    def use(_: int) -> str:
        with UnitOfWork(pg, SYSTEM) as uow:
            out = accounts.sign_in_with_link(uow, LinkSignInIn(token=token), settings)
            uow.commit()
        return out.customer_id

    results = race(6, use)
    assert [r for r in results if isinstance(r, str)] == [customer_id]
    assert sum(isinstance(r, Problem) and r.status == 401 for r in results) == 5


WRONG = {"email": "m@example.org", "password": "mauvais-mot-de-passe"}


def _signed_up(pg, settings) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(pg, SYSTEM) as uow:
        accounts.sign_up(
            uow,
            SignUpIn(email="m@example.org", password="une-phrase-de-passe", given_name="M", family_name="C"),
            settings,
        )
        uow.commit()


def _throttles(pg) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with UnitOfWork(pg, read_only=True) as uow:
        rows = uow.session.execute(select(SignInThrottle.key, SignInThrottle.attempts)).all()
    return {key.split(":")[0]: attempts for key, attempts in rows}


def test_forty_parallel_wrong_passwords_check_no_more_than_the_limit(pg, settings, app) -> None:
    """Given an account, when 40 wrong passwords race through the API from 40 threads, then exactly
    the limit (5) are checked (401) and every other one is refused before any check (429)."""
    _signed_up(pg, settings)
    web = {"Authorization": f"Bearer {make_key(pg, ['customers:write'], channel='web')}"}
    with TestClient(app, raise_server_exceptions=False) as client:

        def attempt(_: int) -> int:
            return int(client.post("/v1/customers/sessions", json=WRONG, headers=web).status_code)

        statuses = race(40, attempt)
    assert sorted(statuses) == [401] * MAX_FAILED_SIGN_INS + [429] * (40 - MAX_FAILED_SIGN_INS)
    assert _throttles(pg) == {"email": MAX_FAILED_SIGN_INS, "client": MAX_FAILED_SIGN_INS}


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_through_two_server_processes(pg, settings, tmp_path) -> None:
    _signed_up(pg, settings)
    token = make_key(pg, ["customers:write"], channel="web")
    proc, base = start_server(
        pg.url, tmp_path / "server.log", workers=2, COMPTOIR_DEFAULT_RATE_LIMIT_PER_MINUTE="100000"
    )
    try:

        def attempt(_: int) -> int:
            response = httpx.post(
                f"{base}/v1/customers/sessions",
                json=WRONG,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            return response.status_code

        statuses = race(40, attempt)
    finally:
        stop(proc)
    assert sorted(statuses) == [401] * MAX_FAILED_SIGN_INS + [429] * (40 - MAX_FAILED_SIGN_INS)


@pytest.mark.slow
def test_two_api_processes_ingesting_the_same_person_make_one_customer(pg, tmp_path) -> None:
    token = make_key(pg, ["customers:write", "customers:read"])
    proc, base = start_server(pg.url, tmp_path / "server.log", workers=2)
    try:
        headers = {"Authorization": f"Bearer {token}"}

        def post(i: int) -> str:
            body = {"source": "pos", **JEAN, "street": f"{12 + (i % 2)} avenue Foch"}
            response = httpx.post(f"{base}/v1/customers/ingest", json=body, headers=headers, timeout=30)
            assert response.status_code == 201, response.text
            return str(response.json()["customer_id"])

        ids = race(8, post)
    finally:
        stop(proc)
    assert all(isinstance(i, str) for i in ids), ids
    assert len(set(ids)) == 1 and count_customers(pg) == 1

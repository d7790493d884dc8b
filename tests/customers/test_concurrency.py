"""Concurrent writes on PostgreSQL: racing ingests of one person, one-time links, failure counting."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from comptoir.core.context import SYSTEM
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.customers import accounts, ingestion
from comptoir.customers.models import Account, Customer
from comptoir.customers.schemas import CustomerRecord, LinkSignInIn, SignInIn, SignUpIn
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
        session = accounts.sign_up(
            uow, SignUpIn(email="m@example.org", given_name="Marie", family_name="Curie"), settings
        )
        account_id = uow.session.scalar(select(Account.id))
        token, _ = accounts.make_one_time_token(uow, account_id, "sign-in")
        uow.commit()

    def use(_: int) -> str:
        with UnitOfWork(pg, SYSTEM) as uow:
            out = accounts.sign_in_with_link(uow, LinkSignInIn(token=token), settings)
            uow.commit()
        return out.customer_id

    results = race(6, use)
    assert [r for r in results if isinstance(r, str)] == [session.customer_id]
    assert sum(isinstance(r, Problem) and r.status == 401 for r in results) == 5


def test_concurrent_failed_sign_ins_are_all_counted(pg, settings) -> None:
    with UnitOfWork(pg, SYSTEM) as uow:
        accounts.sign_up(
            uow,
            SignUpIn(email="m@example.org", password="une-phrase-de-passe", given_name="M", family_name="C"),
            settings,
        )
        uow.commit()

    def fail(_: int) -> None:
        with UnitOfWork(pg, SYSTEM) as uow:
            accounts.sign_in(uow, SignInIn(email="m@example.org", password="mauvais-mot-de-passe"), settings)
            uow.commit()

    race(4, fail)
    with UnitOfWork(pg, read_only=True) as uow:
        assert uow.session.scalar(select(Account.failed_attempts)) == 4


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

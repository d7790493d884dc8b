"""Whose birthday it is: the active customers born on a day of the year, read in id order through the birth
date's index — 29 February's celebrate on 28 February in common years; merged and erased customers never
come back."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text

from comptoir.core.errors import InvalidInput
from comptoir.customers import merging, service
from comptoir.customers.birthdays import birth_dates
from comptoir.customers.models import Customer


def test_the_birth_dates_of_a_day_are_every_year_s_and_29_february_falls_on_28_in_common_years() -> None:
    april = birth_dates(date(2027, 4, 17))
    assert april[0] == date(1900, 4, 17) and april[-1] == date(2027, 4, 17) and len(april) == 128
    common = birth_dates(date(2027, 2, 28))
    assert date(1996, 2, 29) in common and date(1996, 2, 28) in common and date(1904, 2, 29) in common
    leap = birth_dates(date(2028, 2, 28))
    assert date(1996, 2, 29) not in leap
    assert birth_dates(date(2028, 2, 29)) == [date(y, 2, 29) for y in range(1904, 2029, 4)]


def test_the_customers_celebrating_a_day_come_in_pages_by_id(step: Any, ingest: Any, settings: Any) -> None:
    born = {
        "amelie": ingest("web", given_name="Amélie", email="amelie@example.fr", birth_date="1990-04-17"),
        "zoe": ingest(
            "pos", given_name="Zoé", email="zoe@example.re", birth_date="17/04/2001", postcode="97400"
        ),
        "leon": ingest("web", given_name="Léon", email="leon@example.fr", birth_date="1996-02-29"),
        "jules": ingest("web", given_name="Jules", email="jules@example.fr", birth_date="1985-04-16"),
        "anna": ingest("web", given_name="Anna", email="anna@example.fr", birth_date="1970-04-17"),
    }
    ids = {name: found.customer_id for name, found in born.items()}
    with step() as uow:
        page = service.celebrating(uow, date(2027, 4, 17))
    assert [m.id for m in page] == sorted([ids["amelie"], ids["zoe"], ids["anna"]])
    assert {m.id: m.postcode for m in page}[ids["zoe"]] == "97400"
    # in pages, after the last id of the one before
    with step() as uow:
        first = service.celebrating(uow, date(2027, 4, 17), limit=2)
        rest = service.celebrating(uow, date(2027, 4, 17), after=first[-1].id, limit=2)
    assert [m.id for m in first + rest] == [m.id for m in page] and len(rest) == 1
    with step() as uow:
        assert [m.id for m in service.celebrating(uow, date(2027, 2, 28))] == [ids["leon"]]
        assert service.celebrating(uow, date(2028, 2, 28)) == []
        assert [m.id for m in service.celebrating(uow, date(2028, 2, 29))] == [ids["leon"]]
    # an erased customer and one merged away are not celebrated (the survivor is, by their own birth date)
    with step() as uow:
        service.erase(uow, ids["anna"], settings)
        merging.merge(uow, ids["jules"], [ids["amelie"]], reason="staff")
    with step() as uow:
        assert [m.id for m in service.celebrating(uow, date(2027, 4, 17))] == [ids["zoe"]]
        with pytest.raises(InvalidInput):
            service.celebrating(uow, date(2027, 4, 17), limit=0)


def test_the_birth_date_s_index_answers_the_question(step: Any, db: Any) -> None:
    """Index-friendly: the database reads who was born on the day from ix_customers_customers_birth_date
    (PostgreSQL with sequential scans off, as on a large table; SQLite's planner chooses it)."""
    query = (
        select(Customer.id)
        .where(Customer.status == "active", Customer.birth_date.in_(birth_dates(date(2027, 4, 17))))
        .order_by(Customer.id)
        .limit(1000)
    )
    with db.engine.connect() as conn:
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        if db.is_postgres:
            conn.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())
        else:
            plan = "\n".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_customers_customers_birth_date" in plan, plan

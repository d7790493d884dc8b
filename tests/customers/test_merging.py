"""Merge and unmerge round trip with the audit trail, and the staff review queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comptoir.core.errors import Conflict
from comptoir.customers import merging, profiles
from comptoir.customers.models import Account, ConsentStatement, Customer, SourceRecord
from comptoir.customers.schemas import ConsentIn
from tests.customers.conftest import JEAN, MARIE
from tests.customers.test_ingestion import events


def snapshot(uow, customer_id: str) -> dict:
    out = profiles.get_customer(uow, customer_id)
    return {
        "fields": (out.given_name, out.family_name, out.email, out.phone, out.birth_date, out.loyalty_card),
        "segments": out.segments,
        "records": sorted(
            uow.session.scalars(select(SourceRecord.id).where(SourceRecord.customer_id == customer_id))
        ),
        "consents": sorted(
            uow.session.scalars(
                select(ConsentStatement.id).where(ConsentStatement.customer_id == customer_id)
            )
        ),
        "identifiers": [(i.kind, i.value) for i in profiles.identifiers_of(uow, customer_id)],
    }


def test_merge_then_unmerge_restores_both_customers_exactly(db, ingest, step) -> None:
    jean = ingest("web", **JEAN).customer_id
    marie = ingest("pos", **MARIE, loyalty_card="29 1234").customer_id
    with step() as uow:
        profiles.set_segments(uow, jean, ["vip"])
        profiles.set_segments(uow, marie, ["pro"])
        profiles.add_identifier(uow, marie, "receipt", "R-1")
        profiles.consents.record(
            uow, marie, [ConsentIn(purpose="marketing", channel="sms", granted=True)], "pos"
        )
    with step() as uow:
        before = {jean: snapshot(uow, jean), marie: snapshot(uow, marie)}

    with step() as uow:
        merge = merging.merge(uow, jean, [marie], reason="staff")
        merge_id = merge.id
    with step() as uow:
        merged = snapshot(uow, jean)
        assert merged["segments"] == ["pro", "vip"]
        assert merged["records"] == sorted(before[jean]["records"] + before[marie]["records"])
        assert merged["identifiers"] == [("receipt", "R-1")]
        assert profiles.resolve_id(uow, marie) == jean
        assert profiles.get_customer(uow, marie).id == jean
        assert profiles.get_customer(uow, jean).merged_ids == [marie]
        assert merging.merges_of(uow, jean)[0].moved_records == {marie: before[marie]["records"]}

    with step() as uow:
        merging.unmerge(uow, merge_id)
    with step() as uow:
        assert snapshot(uow, jean) == before[jean]
        assert snapshot(uow, marie) == before[marie]
        assert uow.session.get(Customer, marie).status == "active"
        assert merging.are_distinct(uow, jean, marie)
        assert merging.merges_of(uow, jean)[0].undone_at is not None
    types = [
        (t, p) for t, p in events(db) if t in ("customers.customers_merged", "customers.customers_unmerged")
    ]
    assert types == [
        (
            "customers.customers_merged",
            {"surviving_id": jean, "merged_ids": [marie], "merge_id": merge_id, "reason": "staff"},
        ),
        (
            "customers.customers_unmerged",
            {"surviving_id": jean, "restored_ids": [marie], "merge_id": merge_id},
        ),
    ]


def test_an_undone_merge_is_not_redone_automatically(ingest, step) -> None:
    first = ingest("web", **JEAN)
    other = ingest("pos", given_name="Jean", family_name="Dupont", email="jd@free.fr", phone="0711223344",
                   birth_date="1980-12-31")  # fmt: skip
    with step() as uow:
        merge_id = merging.merge(uow, first.customer_id, [other.customer_id], reason="staff").id
    with step() as uow:
        merging.unmerge(uow, merge_id)
    # a record matching both sure enough attaches to one of them, never merges them again
    bridge = ingest("app", **{**JEAN, "email": "jd@free.fr"})
    assert bridge.merged_ids == []


def test_unmerge_refused_when_the_survivor_was_merged_since(ingest, step) -> None:
    a = ingest(**JEAN).customer_id
    b = ingest(**MARIE).customer_id
    c = ingest(given_name="Ada", family_name="Lovelace", email="ada@example.org").customer_id
    with step() as uow:
        first = merging.merge(uow, b, [c], reason="staff").id
    with step() as uow:
        merging.merge(uow, a, [b], reason="staff")
    with step() as uow, pytest.raises(Conflict) as refused:
        merging.unmerge(uow, first)
    assert refused.value.slug == "merge-not-undoable"


def test_a_merge_is_undone_once(ingest, step) -> None:
    a, b = ingest(**JEAN).customer_id, ingest(**MARIE).customer_id
    with step() as uow:
        merge_id = merging.merge(uow, a, [b], reason="staff").id
    with step() as uow:
        merging.unmerge(uow, merge_id)
    with step() as uow, pytest.raises(Conflict):
        merging.unmerge(uow, merge_id)


def test_accepting_a_review_merges_and_rejecting_keeps_apart(ingest, step) -> None:
    first = ingest(**JEAN)
    second = ingest(given_name="Jean", family_name="Dupont", birth_date="1980-12-31", email="jd@free.fr",
                    phone="0711223344")  # fmt: skip
    third = ingest(given_name="Jean", family_name="Dupont", birth_date="1980-12-31", email="jdupont@laposte.net",
                   phone="0799887766")  # fmt: skip
    with step() as uow:
        open_reviews = merging.list_reviews(uow, status="open", cursor=None, limit=10).items
    assert len(open_reviews) == 3
    by_pair = {frozenset((r.customer_a.id, r.customer_b.id)): r.id for r in open_reviews}
    with step() as uow:
        accepted = merging.accept_review(uow, by_pair[frozenset((first.customer_id, second.customer_id))])
    assert accepted.status == "accepted" and accepted.merge_id is not None
    with step() as uow:
        remaining = merging.list_reviews(uow, status="open", cursor=None, limit=10).items
    # the two reviews with the third customer now both name the survivor: one is obsolete
    assert len(remaining) == 1
    with step() as uow:
        rejected = merging.reject_review(uow, remaining[0].id)
    assert rejected.status == "rejected"
    with step() as uow:
        assert merging.are_distinct(uow, first.customer_id, third.customer_id)
    again = ingest(given_name="Jean", family_name="Dupont", birth_date="1980-12-31", email="jdupont@laposte.net",
                   phone="0612345678")  # fmt: skip
    assert again.review_ids == [] and again.merged_ids == []


def test_a_merge_moves_accounts_so_the_customer_keeps_signing_in(ingest, step, settings) -> None:
    from comptoir.customers import accounts
    from comptoir.customers.schemas import SignInIn, SignUpIn

    pos = ingest("pos", **{**MARIE, "email": None}).customer_id
    with step() as uow:
        accounts.sign_up(
            uow,
            SignUpIn(
                email="marie@example.org",
                password="radium-polonium-1898",
                given_name="Marie",
                family_name="Curie",
            ),
            settings,
        )
        web = uow.session.scalar(select(Account.customer_id))
    assert web != pos
    with step() as uow:
        merging.merge(uow, pos, [web], reason="staff")
    with step() as uow:
        assert uow.session.scalar(select(Account.customer_id)) == pos
        outcome = accounts.sign_in(
            uow, SignInIn(email="marie@example.org", password="radium-polonium-1898"), settings, "127.0.0.1"
        )
    assert outcome.session is not None and outcome.session.customer_id == pos

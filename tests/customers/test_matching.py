"""Identity resolution rules without a database: blocking keys, the pair score, its decision, clusters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from comptoir.customers.linkage import CONFLICT_CAP, DEFAULT_MODEL, log_odds, probability
from comptoir.customers.matching import (
    MAX_BLOCK,
    MERGE,
    NO_MATCH,
    REVIEW,
    candidate_pairs,
    cluster_pairs,
    connected_components,
    decide,
    encode_people,
    explain_people,
    person_keys,
    score_pairs,
    score_people,
)
from comptoir.customers.normalisation import Person, normalise

TODAY = date(2025, 6, 1)


def person(**fields: str) -> Person:
    return normalise(fields, today=TODAY).person


JEAN = person(
    given_name="Jean",
    family_name="Dupont",
    email="jean.dupont@gmail.com",
    phone="06 12 34 56 78",
    birth_date="1980-12-31",
    street="12 avenue Foch",
    postcode="06000",
    city="Nice",
)


@pytest.mark.parametrize(
    ("other", "decision"),
    [
        pytest.param(
            person(
                given_name="JEAN",
                family_name="DUPONT",
                email="JEAN.DUPONT@GMAIL.COM",
                phone="+33612345678",
                birth_date="31/12/80",
                street="12 av. Foch",
                postcode="6000",
                city="NICE",
            ),
            MERGE,
            id="same-data-written-differently",
        ),
        pytest.param(
            replace(JEAN, family_name="Dupnot", email="jd@orange.fr"), MERGE, id="typo-and-new-email"
        ),
        pytest.param(replace(JEAN, given_name="Dupont", family_name="Jean"), MERGE, id="swapped-names"),
        pytest.param(
            replace(JEAN, email="jd@orange.fr", street="3 rue Neuve", postcode="75011", city="Paris"),
            MERGE,
            id="moved-with-a-new-email",
        ),
        pytest.param(replace(JEAN, email=None, phone=None), MERGE, id="no-email-no-phone"),
        pytest.param(
            replace(JEAN, family_name="Martin", street="3 rue Neuve", postcode="75011"),
            MERGE,
            id="married-name-after-a-move",
        ),
        pytest.param(
            replace(JEAN, email="jean.dupond@gmail.com", phone=None, street=None, postcode=None),
            MERGE,
            id="email-typo-with-birth-date",
        ),
        pytest.param(
            person(
                given_name="Jean",
                family_name="Dupont",
                email="jdupont@free.fr",
                phone="07 11 22 33 44",
                birth_date="1962-04-02",
                street="5 rue Haute",
                postcode="69001",
            ),
            NO_MATCH,
            id="namesake",
        ),
        pytest.param(
            replace(JEAN, given_name="Sophie", phone="0711223344", birth_date="1982-03-02"),
            NO_MATCH,
            id="spouse-sharing-the-email-and-address",
        ),
        pytest.param(
            replace(JEAN, given_name="Paul", phone="0711223344"), REVIEW, id="twin-sharing-the-email"
        ),
        pytest.param(
            replace(JEAN, phone="0711223344", birth_date="2008-05-14"),
            REVIEW,
            id="son-of-the-same-name-at-home",
        ),
        pytest.param(Person(given_name="Jean", family_name="Dupont"), NO_MATCH, id="names-alone"),
        pytest.param(Person(email="jean.dupont@gmail.com"), MERGE, id="the-e-receipt-bare-email"),
        pytest.param(Person(phone="+33612345678", given_name="Jean"), MERGE, id="phone-and-first-name"),
        pytest.param(
            Person(phone="+33612345678", family_name="Martin"), NO_MATCH, id="same-phone-other-family"
        ),
        pytest.param(
            Person(email="jean.dupont@gmail.com", phone="+33711223344"), NO_MATCH, id="same-email-other-phone"
        ),
    ],
)
def test_pair_decisions(other: Person, decision: str) -> None:
    assert decide(score_people(JEAN, other)) == decision


def test_the_score_is_the_prior_plus_the_evidence_of_each_field() -> None:
    # given the built-in model (no name frequencies learned yet)
    weights = DEFAULT_MODEL.weights()
    # when the same record is compared with itself, and with itself less its e-mail and phone
    same = score_people(JEAN, JEAN)
    without = score_people(JEAN, replace(JEAN, email=None, phone=None))
    # then each field present on both sides adds its exact level's weight to the prior log-odds
    prior = log_odds(DEFAULT_MODEL.prior)
    everything = sum(weights[f][0] for f in ("given", "family", "order", "birth", "street", "locality"))
    assert same == pytest.approx(prior + everything + weights["email"][0] + weights["phone"][0], abs=1e-4)
    assert without == pytest.approx(prior + everything, abs=1e-4)
    score, chance, evidence = explain_people(JEAN, replace(JEAN, email=None, phone=None))
    assert score == pytest.approx(without) and chance == pytest.approx(probability(without))
    assert [(e.field, e.level) for e in evidence] == [
        ("given", 1), ("family", 1), ("order", 1), ("birth", 1), ("street", 1), ("locality", 1),
        ("email", 0), ("phone", 0), ("loyalty", 0),
    ]  # fmt: skip


def test_a_conflict_caps_the_score_below_auto_merge() -> None:
    son = replace(JEAN, birth_date="2008-05-14")
    assert score_people(JEAN, son) == pytest.approx(CONFLICT_CAP, abs=1e-4)
    assert decide(score_people(JEAN, son)) == REVIEW


def test_a_self_asserted_record_never_auto_merges() -> None:
    score = score_people(JEAN, JEAN)
    assert decide(score) == MERGE
    assert decide(score, self_asserted=True) == NO_MATCH


def test_the_vectorised_scores_are_the_single_pair_scores() -> None:
    people = [
        JEAN,
        replace(JEAN, given_name="Dupont", family_name="Jean"),
        replace(JEAN, email=None),
        Person(),
    ]
    enc = encode_people(people)
    left, right = np.array([0, 0, 1, 2, 0]), np.array([1, 2, 2, 3, 3])
    batch = score_pairs(enc, left, right).tolist()
    assert batch == [score_people(people[a], people[b]) for a, b in zip(left, right, strict=True)]


def test_blocking_keys_are_symmetric_in_the_two_names() -> None:
    swapped = replace(JEAN, given_name="Dupont", family_name="Jean", email=None, phone=None)
    shared = set(person_keys(JEAN)) & set(person_keys(swapped))
    assert shared == {
        "n:JN|TPNT:06000", "d:19801231:JT", "y:06000:1980", "h:06000:12:T", "h:06000:12:J",
        "f:TPNT:1980-12", "f:JN:1980-12", "m:1231:JN|TPNT", "a:12 avenue foch", "c:nice:12:T", "c:nice:12:J",
    }  # fmt: skip


def test_records_sharing_no_key_are_never_compared() -> None:
    keys = [["e:a"], ["e:a", "p:1"], ["p:1"], ["p:2"]]
    left, right = candidate_pairs(keys)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (1, 2)]


def test_a_key_shared_by_too_many_records_is_ignored() -> None:
    keys = [["e:noreply@shop.fr"]] * (MAX_BLOCK + 1) + [["e:noreply@shop.fr", "p:1"], ["p:1"]]
    left, right = candidate_pairs(keys)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(MAX_BLOCK + 1, MAX_BLOCK + 2)]


def test_clusters_are_transitive() -> None:
    labels = connected_components(6, np.array([4, 1, 2]), np.array([5, 2, 3]))
    assert labels.tolist() == [0, 1, 1, 1, 4, 4]
    left, right = cluster_pairs(labels)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(1, 2), (1, 3), (2, 3), (4, 5)]

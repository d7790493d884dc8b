"""loyalty: the programme's rules (earning, tiers, rewards) and the rewards catalogue they define."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, InvalidInput, NotFound, check_version
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty.models import Programme, table
from comptoir.loyalty.schemas import ProgrammeOut, ProgrammeRules, RewardOut, RewardRule

P = table(Programme)

PROGRAMME_ID = "default"


class RewardUnavailable(Conflict):
    slug = "reward-unavailable"
    title = "This reward cannot be exchanged"


def programme_rules(uow: UnitOfWork) -> ProgrammeRules:
    """The programme in force (the defaults, without tiers or rewards, until one is set)."""
    row = uow.session.execute(select(P.c.rules).where(P.c.id == PROGRAMME_ID)).first()
    return ProgrammeRules.model_validate(row[0]) if row else ProgrammeRules()


def get_programme(uow: UnitOfWork) -> ProgrammeOut:
    row = uow.session.execute(
        select(P.c.rules, P.c.version, P.c.updated_at).where(P.c.id == PROGRAMME_ID)
    ).first()
    if row is None:
        return ProgrammeOut(**ProgrammeRules().model_dump(), version=0, updated_at=None)
    return ProgrammeOut(
        **ProgrammeRules.model_validate(row.rules).model_dump(),
        version=row.version,
        updated_at=row.updated_at,
    )


def set_programme(
    uow: UnitOfWork, rules: ProgrammeRules, *, expected_version: int | None = None
) -> ProgrammeOut:
    """Replace the programme's rules (they apply from now on; past entries are never recomputed)."""
    now = clock.now()
    data = rules.model_dump(mode="json")
    row = uow.session.execute(select(P.c.version).where(P.c.id == PROGRAMME_ID).with_for_update()).first()
    if row is None:
        check_version(0, expected_version)
        inserted = insert_ignore(
            uow.session,
            Programme,
            [
                {
                    "id": PROGRAMME_ID,
                    "rules": data,
                    "version": 1,
                    "updated_at": now,
                    "updated_by_key": uow.actor.key_id,
                }
            ],
        )
        if not inserted:
            raise Conflict("The programme was created at the same moment; reload it and try again.")
    else:
        check_version(row.version, expected_version)
        done = uow.session.execute(
            update(P)
            .where(P.c.id == PROGRAMME_ID, P.c.version == row.version)
            .values(rules=data, version=row.version + 1, updated_at=now, updated_by_key=uow.actor.key_id)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise Conflict("The programme changed at the same moment; reload it and try again.")
    return get_programme(uow)


def rules_in(uow: UnitOfWork, currency: str) -> ProgrammeRules:
    """The programme's rules, checking that ``currency`` is the one its points are worth."""
    rules = programme_rules(uow)
    if currency.upper() != rules.currency:
        raise InvalidInput(
            f"Points are worth {rules.currency}, not {currency}: pay with points in {rules.currency}.",
            field="currency",
        )
    return rules


def rewards(uow: UnitOfWork) -> list[RewardOut]:
    rules = programme_rules(uow)
    return [reward_out(rules, r) for r in rules.rewards if r.active]


def reward_out(rules: ProgrammeRules, reward: RewardRule) -> RewardOut:
    return RewardOut(
        code=reward.code,
        label=reward.label,
        points=reward.points,
        amount=reward.amount,
        currency=rules.currency,
        valid_days=reward.valid_days,
    )


def get_reward(uow: UnitOfWork, code: str) -> tuple[ProgrammeRules, RewardRule]:
    rules = programme_rules(uow)
    reward = next((r for r in rules.rewards if r.code == code), None)
    if reward is None:
        raise NotFound(f"The rewards catalogue has no reward {code!r}.", slug="reward-not-found")
    if not reward.active:
        raise RewardUnavailable(f"The reward {code!r} is no longer offered.")
    return rules, reward

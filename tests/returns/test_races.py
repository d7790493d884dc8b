"""Returns of the same line racing from several channels never take back more than was bought."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.returns import service
from comptoir.returns.models import Claim
from comptoir.returns.schemas import ReceiveIn, RefundReturnIn, ReturnIn, ReturnLineIn
from tests.orders.conftest import LIN_M, RIVOLI
from tests.returns.conftest import delivered_web_order


@pytest.mark.postgres
def test_eight_returns_of_a_line_of_three_racing_take_back_exactly_three(  # type: ignore[no-untyped-def]
    client, stocked, marie, web, warehouse
) -> None:
    # given a delivered order of three linen dresses
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 3)])
    line_id = order["lines"][0]["line_id"]
    barrier = threading.Barrier(8)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def one_return(n: int) -> None:
        actor = Actor(
            key_id=f"key_{n}", channel=f"store:{RIVOLI}" if n % 2 else "web", scopes=frozenset({"*"})
        )
        command = ReturnIn(
            order_id=order["id"],
            lines=[ReturnLineIn(line_id=line_id, quantity=1)],
            method="in_store",
            place_id=RIVOLI,
        )
        try:
            with UnitOfWork(stocked, actor) as uow:
                barrier.wait(timeout=30)
                out = service.create_return(uow, command)
                uow.commit()
            result: Any = out.id
        except Problem as exc:
            result = exc.slug
        with lock:
            outcomes.append(result)

    # when eight channels start a return of one unit at the same moment
    threads = [threading.Thread(target=one_return, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then exactly three returns exist, the five others were refused, the claim says three
    created = [o for o in outcomes if o.startswith("ret_")]
    refused = [o for o in outcomes if not o.startswith("ret_")]
    assert len(created) == 3 and refused == ["return-exceeds-bought"] * 5
    with UnitOfWork(stocked) as uow:
        assert uow.session.scalars(
            select(Claim.claimed).where(Claim.order_id == order["id"], Claim.line_id == line_id)
        ).all() == [3]
        assert len(service.returns_of_order(uow, order["id"])) == 3


@pytest.mark.postgres
def test_two_refunds_of_one_return_racing_pay_once(client, stocked, marie, web, warehouse) -> None:  # type: ignore[no-untyped-def]
    # given a received return of one dress
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    actor = Actor(key_id="key_till", channel=f"store:{RIVOLI}", scopes=frozenset({"*"}))
    with UnitOfWork(stocked, actor) as uow:
        created = service.create_return(
            uow,
            ReturnIn(
                order_id=order["id"],
                lines=[ReturnLineIn(line_id=order["lines"][0]["line_id"], quantity=1)],
                method="in_store",
            ),
        )
        service.receive(uow, created.id, ReceiveIn())
        uow.commit()
    barrier = threading.Barrier(4)
    refunds: list[str | None] = []

    def refund() -> None:
        with UnitOfWork(stocked, actor) as uow:
            barrier.wait(timeout=30)
            out = service.refund(uow, created.id, RefundReturnIn())
            uow.commit()
        refunds.append(out.refund_id)

    # when four tills press "refund" at once
    threads = [threading.Thread(target=refund) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then one refund was made and every till sees it
    assert len(refunds) == 4 and len(set(refunds)) == 1 and refunds[0] is not None
    with UnitOfWork(stocked) as uow:
        claim = uow.session.scalars(
            select(Claim).where(Claim.order_id == order["id"], Claim.line_id == order["lines"][0]["line_id"])
        ).one()
        assert (claim.refunded, str(claim.refunded_amount)) == (1, order["lines"][0]["total"] + "00")

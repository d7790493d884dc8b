"""engagement: the A/B experiments through the API — their results per variant (sent, opens, clicks,
orders, rates, p-values, the winner) for staff, and an evaluation forced now for the retailer's staff (a
winner is still declared only when significant; the job does it every 15 minutes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from comptoir.core import clock
from comptoir.core.access import RETAILER_ROLES
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.engagement import experiments
from comptoir.engagement.schemas import ExperimentOut

router = APIRouter(prefix="/v1/engagement/experiments", tags=["engagement"], responses=PROBLEM_RESPONSES)

StaffReader = Annotated[RequestContext, Depends(allow("engagement", "read", "staff", "secret"))]
Retailer = Annotated[
    RequestContext,
    Depends(allow("engagement", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]


@router.get("", summary="The A/B experiments of the journeys' steps, newest first, with their results")
def list_experiments(ctx: StaffReader) -> list[ExperimentOut]:
    with ctx.reader() as uow:
        return experiments.list_experiments(uow)


@router.get(
    "/{experiment_id}", summary="One A/B experiment: per variant, sent, opens, clicks, orders, p-values"
)
def get_experiment(experiment_id: str, ctx: StaffReader) -> ExperimentOut:
    with ctx.reader() as uow:
        return experiments.get_experiment(uow, experiment_id)


@router.post(
    "/{experiment_id}/decide",
    summary="Evaluate an experiment now: a winner only when significant, then the rest receive it",
)
def decide(experiment_id: str, ctx: Retailer) -> ExperimentOut:
    with ctx.uow() as uow:
        out = experiments.decide(uow, experiment_id, clock.now())
        uow.commit()
    return out

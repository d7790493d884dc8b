"""engagement: HTTP API of launches — a journey launched to an audience (a campaign), thin: parse, check
who may, call the service (see :mod:`comptoir.engagement.launches`).

Launching is the retailer's decision, as editing a journey is: back office and administrators (staff),
and secret keys with ``engagement:write``; reading launches is staff's and secret keys'. The request runs
the launch's first batch before it answers: an audience that fits in it is done (201), a larger one goes
on in the worker (202, ``running``: read it again until ``done``). A dry run only counts (200). Send an
``Idempotency-Key``: a retry then answers the first launch, never a second one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from comptoir.core.access import RETAILER_ROLES
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.pagination import Page
from comptoir.engagement import service
from comptoir.engagement.schemas import AudienceCount, Code, LaunchIn, LaunchOut

router = APIRouter(prefix="/v1/engagement", tags=["engagement"], responses=PROBLEM_RESPONSES)

Reader = Annotated[RequestContext, Depends(allow("engagement", "read", "staff", "secret"))]
Launcher = Annotated[
    RequestContext,
    Depends(allow("engagement", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]


@router.post(
    "/journeys/{code}/launches",
    status_code=202,
    summary="Launch a journey to an audience: its customers enter it and their messages are scheduled "
    "(send an Idempotency-Key)",
    responses={
        200: {"description": "A dry run: how many customers the audience holds", "model": AudienceCount},
        201: {"description": "Done: every customer of the audience entered", "model": LaunchOut},
        202: {"description": "Running: the worker enters the rest", "model": LaunchOut},
    },
)
def launch(code: str, body: LaunchIn, ctx: Launcher, response: Response) -> LaunchOut | AudienceCount:
    out = service.launch_journey(ctx.state.db, ctx.settings, ctx.actor, code, body)
    if isinstance(out, AudienceCount):
        response.status_code = 200
    else:
        response.status_code = 201 if out.state == "done" else 202
        response.headers["Location"] = f"/v1/engagement/launches/{out.id}"
    return out


@router.get("/launches", summary="The launches, newest first")
def list_launches(
    ctx: Reader,
    journey: Annotated[Code | None, Query(description="One journey's launches")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[LaunchOut]:
    with ctx.reader() as uow:
        return service.list_launches(uow, journey_code=journey, cursor=cursor, limit=limit)


@router.get("/launches/{launch_id}", summary="A launch: how far it has gone, what it entered and scheduled")
def get_launch(launch_id: str, ctx: Reader) -> LaunchOut:
    with ctx.reader() as uow:
        return service.get_launch(uow, launch_id)

"""engagement: HTTP API of satisfaction surveys (thin: parse, check who may, call the service).

What the surveys say — NPS and CSAT by shop, employee, channel, touchpoint and period — and the answers
with their comments are read by the back office, administrators and shop managers (a shop-bound manager
reads their own shops only; a seller, who would read colleagues' scores, does not), and by systems with a
secret key. A customer never reads them. The signed-in customer answers their own survey messages through
the channel's publishable key with their token (``customers:write``, the scope an app keeps the
customer's own choices with), as an app does from the push notification that carries the message's id;
another's message answers 404. The e-mail's links answer through the survey page
(:mod:`comptoir.engagement.pages_surveys`) instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from comptoir.core.access import Role
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.pagination import Page
from comptoir.core.types import BoundedDate
from comptoir.engagement import service
from comptoir.engagement.schemas import (
    SurveyAnswerIn,
    SurveyAnswerOut,
    SurveyKind,
    SurveyPeriod,
    SurveyState,
    SurveyStatsOut,
)

router = APIRouter(prefix="/v1/engagement/surveys", tags=["engagement"], responses=PROBLEM_RESPONSES)

READERS = (Role.BACK_OFFICE, Role.SHOP_MANAGER, Role.ADMIN)
Analyst = Annotated[RequestContext, Depends(allow("engagement", "read", "staff", "secret", roles=READERS))]
Myself = Annotated[RequestContext, Depends(allow("customers", "write", "customer"))]
Since = Annotated[BoundedDate | None, Query(description="The first day (the retailer's clock)")]
Until = Annotated[BoundedDate | None, Query(description="The last day, included (today by default)")]
Shop = Annotated[str | None, Query(max_length=64, description="One shop (a shop manager: one of theirs)")]


@router.get("/stats", summary="NPS and CSAT by shop, employee, channel, touchpoint and period")
def survey_stats(
    ctx: Analyst,
    since: Since = None,
    until: Until = None,
    place_id: Shop = None,
    period: Annotated[SurveyPeriod, Query(description="The trend's period")] = "week",
) -> SurveyStatsOut:
    shops = ctx.shop_filter(place_id)
    dates = service.survey_dates(ctx.settings, since, until)
    with ctx.reader() as uow:
        return service.survey_stats(uow, ctx.settings, dates, period, shops)


@router.get("/answers", summary="The survey answers, the newest first, with their comments")
def survey_answers(
    ctx: Analyst,
    since: Since = None,
    until: Until = None,
    place_id: Shop = None,
    kind: SurveyKind | None = None,
    touchpoint: Annotated[str | None, Query(max_length=32)] = None,
    state: SurveyState | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[SurveyAnswerOut]:
    shops = ctx.shop_filter(place_id)
    dates = service.survey_dates(ctx.settings, since, until) if since or until else None
    with ctx.reader() as uow:
        return service.survey_answers(
            uow,
            ctx.settings,
            dates=dates,
            shops=shops,
            kind=kind,
            touchpoint=touchpoint,
            state=state,
            cursor=cursor,
            limit=limit,
        )


@router.post(
    "/answers", summary="The signed-in customer answers one of their survey messages (again: replaced)"
)
def answer_survey(body: SurveyAnswerIn, ctx: Myself) -> SurveyAnswerOut:
    assert ctx.actor.customer_id is not None  # a customer's token is required
    with ctx.uow() as uow:
        out = service.answer_survey(uow, ctx.actor.customer_id, body)
        uow.commit()
    return out

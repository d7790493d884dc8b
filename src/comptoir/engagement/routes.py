"""engagement: HTTP API (thin: parse, check who may, call the service).

The journeys are the retailer's settings (back office and administrators edit them); what a customer was
sent — and why a message is held, dropped or skipped — is read by staff and by the customer themselves;
the unsubscribe link is its own credential (mail clients POST to it without any, RFC 8058).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse

from comptoir.core.access import RETAILER_ROLES
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import InvalidInput
from comptoir.engagement import service
from comptoir.engagement.schemas import (
    InstanceOut,
    JourneyDefinition,
    JourneyOut,
    MessageOut,
    MessageStatus,
    Pressure,
    PressureOut,
    SendReport,
)

router = APIRouter(prefix="/v1/engagement", tags=["engagement"], responses=PROBLEM_RESPONSES)

StaffReader = Annotated[RequestContext, Depends(allow("engagement", "read", "staff", "secret"))]
Reader = Annotated[RequestContext, Depends(allow("engagement", "read", "customer", "staff", "secret"))]
Retailer = Annotated[
    RequestContext,
    Depends(allow("engagement", "write", "staff", "secret", roles=RETAILER_ROLES, retailer_wide=True)),
]
# The unsubscribe link carries its own signed token: every caller is admitted, the token decides.
Anyone = Annotated[
    RequestContext,
    Depends(allow(None, "write", "public", "publishable", "customer", "shop", "secret", "staff")),
]
Token = Annotated[str, Query(min_length=10, max_length=1000, description="The link's signed token")]


@router.get("/journeys", summary="The journeys in force (built-in ones until edited)")
def list_journeys(ctx: StaffReader) -> list[JourneyOut]:
    with ctx.reader() as uow:
        return service.list_journeys(uow)


@router.get("/journeys/{code}", summary="One journey, its current version")
def get_journey(code: str, ctx: StaffReader) -> JourneyOut:
    with ctx.reader() as uow:
        return service.get_journey(uow, code)


@router.put("/journeys/{code}", summary="Save a new version of a journey (instances keep theirs)")
def save_journey(code: str, body: JourneyDefinition, ctx: Retailer) -> JourneyOut:
    with ctx.uow() as uow:
        out = service.save_journey(uow, code, body, ctx.actor.principal_id or "")
        uow.commit()
    return out


@router.get("/pressure", summary="The pressure rules: caps, quiet hours, the French rules for SMS")
def get_pressure(ctx: StaffReader) -> PressureOut:
    with ctx.reader() as uow:
        return service.get_pressure(uow)


@router.put("/pressure", summary="Replace the pressure rules (the next sending run applies them)")
def set_pressure(body: Pressure, ctx: Retailer) -> PressureOut:
    with ctx.uow() as uow:
        out = service.set_pressure(uow, body)
        uow.commit()
    return out


@router.get("/customers/{customer_id}/journeys", summary="A customer's journeys and their messages")
def customer_journeys(customer_id: str, ctx: Reader) -> list[InstanceOut]:
    ctx.own_customer(customer_id)
    with ctx.reader() as uow:
        return service.instances_of(uow, customer_id)


@router.get(
    "/customers/{customer_id}/messages",
    summary="A customer's messages, newest first, with why any is held, dropped or skipped",
)
def customer_messages(
    customer_id: str,
    ctx: Reader,
    status: Annotated[MessageStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessageOut]:
    ctx.own_customer(customer_id)
    with ctx.reader() as uow:
        return service.messages_of(uow, customer_id, status, limit)


@router.get(
    "/preview/{template}", summary="A template rendered for a sample customer", response_class=HTMLResponse
)
def preview(
    template: str,
    ctx: StaffReader,
    lang: Annotated[Literal["fr", "en"], Query()] = "fr",
    part: Annotated[Literal["html", "text", "sms", "push"], Query()] = "html",
) -> HTMLResponse:
    if template not in service.TEMPLATES:
        raise InvalidInput(
            f"Unknown template {template} (known: {', '.join(service.TEMPLATES)}).", field="template"
        )
    rendered = service.preview(template, lang)
    if part == "html":
        return HTMLResponse(rendered.html)
    body = {
        "text": rendered.text,
        "sms": rendered.sms,
        "push": f"{rendered.push_title}\n{rendered.push_body}",
    }[part]
    return HTMLResponse(body, media_type="text/plain; charset=utf-8")


@router.post("/send", summary="Send what is due now (the worker's job does it every 30 s)")
def send_due(ctx: Retailer) -> SendReport:
    return service.send_due(ctx.state.db, ctx.settings)


@router.post(
    "/unsubscribe",
    summary="Leave a purpose on a channel from a message's link (one click, RFC 8058)",
    status_code=200,
)
def unsubscribe(
    token: Token,
    ctx: Anyone,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe")] = None,
) -> dict[str, str]:
    with ctx.uow() as uow:
        left = service.unsubscribe(uow, ctx.settings, token, "one-click" if one_click else "page")
        uow.commit()
    return {"purpose": left.purpose, "channel": left.channel, "status": "unsubscribed"}

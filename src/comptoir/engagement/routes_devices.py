"""engagement: HTTP API of the customers' push devices (thin: parse, check who may, call the service).

The customer's app registers and unregisters its device itself, through the channel's publishable key
with the customer's token (``customers:write``, the scope that lets the app keep the customer's own
contact details); staff and systems may unregister one (a lost phone) and read a customer's devices. A
customer reaches their own devices only (another's answers 404). The token is never shown back: only
its last characters.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.engagement import service
from comptoir.engagement.schemas import DeviceIn, DeviceOut

router = APIRouter(prefix="/v1/engagement", tags=["engagement"], responses=PROBLEM_RESPONSES)

Registrant = Annotated[RequestContext, Depends(allow("customers", "write", "customer"))]
Unregistrant = Annotated[RequestContext, Depends(allow("customers", "write", "customer", "staff", "secret"))]
Reader = Annotated[RequestContext, Depends(allow("engagement", "read", "customer", "staff", "secret"))]


@router.post(
    "/devices",
    status_code=201,
    summary="Register the signed-in customer's device for push notifications (again: still in use)",
    responses={200: {"description": "The token was known: the device is the caller's, active, seen now"}},
)
def register_device(body: DeviceIn, ctx: Registrant, response: Response) -> DeviceOut:
    assert ctx.actor.customer_id is not None  # a customer's token is required
    with ctx.uow() as uow:
        out, created = service.register_device(uow, ctx.actor.customer_id, body, ctx.actor.channel)
        uow.commit()
    response.status_code = 201 if created else 200
    return out


@router.delete(
    "/devices/{device_id}", status_code=204, summary="Unregister a device: it receives nothing more"
)
def unregister_device(device_id: str, ctx: Unregistrant) -> Response:
    with ctx.uow() as uow:
        found = service.get_device(uow, device_id)
        ctx.own_customer(found.customer_id, "Device", device_id)
        service.unregister_device(uow, device_id)
        uow.commit()
    return Response(status_code=204)


@router.get(
    "/customers/{customer_id}/devices",
    summary="A customer's devices, active first, the most recently seen first",
)
def customer_devices(customer_id: str, ctx: Reader) -> list[DeviceOut]:
    ctx.own_customer(customer_id)
    with ctx.reader() as uow:
        return service.devices_of(uow, customer_id)

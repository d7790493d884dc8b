"""engagement: the links a marketing e-mail's reader follows without knowing it — the open pixel
(``/pages/engagement/o/<token>.gif``, a 1×1 GIF) and the click redirect
(``/pages/engagement/c/<token>?u=<address>``). No credentials: the signed token is the proof (see
:mod:`comptoir.engagement.tracking`). A token not ours, or an address the message did not carry, is a 404:
the redirect leads nowhere else. Nothing is cached, so that each reader's open reaches us."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from comptoir.core import clock
from comptoir.core.api import app_state
from comptoir.core.context import Actor
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Public
from comptoir.engagement import tracking

router = APIRouter(prefix="/pages/engagement", include_in_schema=False)
PUBLIC = Actor(key_id=None, channel="web", scopes=frozenset())
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


@router.get("/o/{token}.gif")
def opened(request: Request, token: str, _: Public) -> Response:
    state = app_state(request)
    message_id = tracking.opened_message(state.settings, token)
    if message_id is None:
        raise NotFound("This image does not exist.", slug="tracking-link-invalid")
    with UnitOfWork(state.db, PUBLIC) as uow:
        tracking.record_open(uow, message_id, clock.now())
        uow.commit()
    return Response(tracking.PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/c/{token}")
def clicked(
    request: Request, token: str, _: Public, u: Annotated[str, Query(min_length=1, max_length=2000)]
) -> RedirectResponse:
    state = app_state(request)
    message_id = tracking.clicked_message(state.settings, token, u)
    if message_id is None:
        raise NotFound("This link is not valid.", slug="tracking-link-invalid")
    with UnitOfWork(state.db, PUBLIC) as uow:
        tracking.record_click(uow, message_id, u, clock.now())
        uow.commit()
    return RedirectResponse(u, status_code=302, headers=NO_STORE)

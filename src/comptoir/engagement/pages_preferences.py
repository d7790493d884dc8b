"""engagement: the preference page every message's footer links to (no sign-in: the signed link is the
credential, see :mod:`comptoir.engagement.choices`). Opening it changes nothing (mail scanners open
links); saving the choices, or unsubscribing from everything commercial, is a form post with its CSRF
token. A link that is not ours, or a person erased since, answers the 404 page."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import app_state
from comptoir.core.context import Actor
from comptoir.core.i18n import N_
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, Public
from comptoir.engagement import service
from comptoir.engagement.choices import CHANNELS, PURPOSES

pages = Pages(__package__ or "comptoir.engagement")
router = APIRouter(prefix="/pages/engagement", include_in_schema=False)
PUBLIC = Actor(key_id=None, channel="web", scopes=frozenset())

PURPOSE_LABELS = {
    "marketing": N_("Our offers and news"),
    "satisfaction-surveys": N_("Our satisfaction surveys"),
}
CHANNEL_LABELS = {"email": N_("By e-mail"), "sms": N_("By SMS"), "push": N_("By app notification")}
assert set(PURPOSE_LABELS) == set(PURPOSES) and set(CHANNEL_LABELS) == set(CHANNELS)


def _page(request: Request, token: str, choices: service.Choices, notice: str | None) -> HTMLResponse:
    return pages.response(
        request,
        "engagement/preferences.html",
        token=token,
        purposes=[(p, PURPOSE_LABELS[p]) for p in PURPOSES],
        channels=[(c, CHANNEL_LABELS[c]) for c in CHANNELS],
        granted=choices.granted,
        notice=notice,
    )


@router.get("/preferences/{token}", response_class=HTMLResponse)
def preferences_form(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    with UnitOfWork(state.db, PUBLIC, read_only=True) as uow:
        choices = service.preferences_of(uow, state.settings, token)
    return _page(request, token, choices, None)


@router.post("/preferences/{token}", response_class=HTMLResponse)
def save_preferences(
    request: Request,
    token: str,
    _: Public,
    consent: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    """The boxes ticked (``<purpose>:<channel>``) are the opt-ins; the others are withdrawn."""
    state = app_state(request)
    wanted = [(p, c) for p, _sep, c in (v.partition(":") for v in consent or ()) if c]
    with UnitOfWork(state.db, PUBLIC) as uow:
        choices = service.save_preferences(uow, state.settings, token, wanted)
        uow.commit()
    return _page(request, token, choices, "saved")


@router.post("/preferences/{token}/unsubscribe-all", response_class=HTMLResponse)
def unsubscribe_all(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    with UnitOfWork(state.db, PUBLIC) as uow:
        choices = service.stop_everything(uow, state.settings, token)
        uow.commit()
    return _page(request, token, choices, "stopped")

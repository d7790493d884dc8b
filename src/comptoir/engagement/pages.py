"""engagement: the unsubscribe page a message's footer links to (no API key: the signed token is the
credential). Opening it changes nothing (mail scanners open links); confirming withdraws the consent in
the customers' ledger. Mail clients use the one-click POST of the API instead (RFC 8058)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import app_state
from comptoir.core.context import Actor
from comptoir.core.errors import NotFound
from comptoir.core.i18n import translations
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, Public, page_language
from comptoir.engagement import context, preferences

pages = Pages(__package__ or "comptoir.engagement")
router = APIRouter(prefix="/pages/engagement", include_in_schema=False)
PUBLIC = Actor(key_id=None, channel="web", scopes=frozenset())


def _labels(request: Request, purpose: str, channel: str) -> dict[str, str]:
    _ = translations(__package__, page_language(request)).gettext
    purposes = {
        "marketing": _("our offers and news"),
        "satisfaction-surveys": _("our satisfaction surveys"),
    }
    channels = {"email": _("e-mail"), "sms": _("SMS"), "push": _("notification")}
    return {"purpose_label": purposes.get(purpose, purpose), "channel_label": channels.get(channel, channel)}


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: str, _: Public) -> HTMLResponse:
    found = context.unsubscription_of(app_state(request).settings, token)
    if found is None:
        raise NotFound("This unsubscribe link is not valid.", slug="unsubscribe-link-invalid")
    labels = _labels(request, found.purpose, found.channel)
    return pages.response(request, "engagement/unsubscribe.html", token=token, done=False, labels=labels)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    found = context.unsubscription_of(state.settings, token)
    if found is None:
        raise NotFound("This unsubscribe link is not valid.", slug="unsubscribe-link-invalid")
    with UnitOfWork(state.db, PUBLIC) as uow:
        preferences.unsubscribe(uow, state.settings, token, "page")
        uow.commit()
    labels = _labels(request, found.purpose, found.channel)
    return pages.response(request, "engagement/unsubscribe.html", token=token, done=True, labels=labels)

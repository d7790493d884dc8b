"""engagement: what a marketing e-mail's reader did — opened it (a 1×1 image), followed one of its links —
recorded in the message's delivery log (``opened``, ``clicked``).

* **Opens**: the HTML carries ``<img src=".../pages/engagement/o/<token>.gif">``, the token signed for the
  message. Opens are an estimate: a reader whose client loads no images is never counted; Apple Mail's
  Privacy Protection (and some corporate mail scanners) fetch every image when the mail arrives, so the
  message counts as opened whether read or not. Prefer clicks or orders to judge an A/B test.
* **Clicks**: each link of the HTML goes through ``/pages/engagement/c/<token>?u=<the address>``, the
  token signed for the message *and* that address (HMAC over both): the redirect only leads to the links
  the message carried — any other address, or a token altered, is a 404, never an open redirect. Mail
  scanners that follow links count as clicks too. The plain-text part keeps its addresses as written.
* **What is tracked**: marketing e-mails only, which only go to customers who opted in to marketing by
  e-mail; their opt-in is taken to cover measuring those messages (say so in the privacy notice). A
  transactional e-mail (an order's, an appointment's invitation and its .ics link) and a survey carry no
  pixel and no rewritten link: they go without consent, or are measured by their answers. The domain's
  own links (unsubscribe, preferences) are left as they are: leaving is not engagement, and each is its
  own credential.
* Each message's first open, and its first click on each address, is logged (a rate counts customers);
  a message erased since records nothing, and its links still lead where they said.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select

from comptoir.core import tokens
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement.mail_types import Rendered
from comptoir.engagement.models import Delivery, Message

OPEN = "engagement-open"
CLICK = "engagement-click"
# A transparent 1×1 GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_OWN_PATHS = ("/pages/engagement/", "/v1/engagement/")


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def _digest(url: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(url.encode()).digest()[:16]).decode().rstrip("=")


def open_token(settings: Settings, message_id: str) -> str:
    return tokens.sign(settings.secret_key, OPEN, {"m": message_id}, None)


def click_token(settings: Settings, message_id: str, url: str) -> str:
    """Signed for the message and the address: it opens no other address."""
    return tokens.sign(settings.secret_key, CLICK, {"m": message_id, "u": _digest(url)}, None)


def opened_message(settings: Settings, token: str) -> str | None:
    """The message a pixel's token was signed for, or ``None`` (not ours, altered)."""
    claims = tokens.verify(settings.secret_key, OPEN, token)
    message_id = claims.get("m") if claims else None
    return message_id if isinstance(message_id, str) and message_id else None


def clicked_message(settings: Settings, token: str, url: str) -> str | None:
    """The message a link's token was signed for when ``url`` is the address it was signed with."""
    claims = tokens.verify(settings.secret_key, CLICK, token)
    if claims is None or not url.startswith(("https://", "http://")):
        return None
    message_id, signed = claims.get("m"), claims.get("u")
    if not (isinstance(message_id, str) and message_id and isinstance(signed, str)):
        return None
    return message_id if hmac.compare_digest(signed, _digest(url)) else None


def pixel_url(settings: Settings, message_id: str) -> str:
    return f"{_base(settings)}/pages/engagement/o/{open_token(settings, message_id)}.gif"


def click_url(settings: Settings, message_id: str, url: str) -> str:
    token = click_token(settings, message_id, url)
    return f"{_base(settings)}/pages/engagement/c/{token}?u={quote(url, safe='')}"


def _tracked(settings: Settings, url: str) -> bool:
    if not url.startswith(("https://", "http://")):
        return False  # mailto:, tel:, anchors
    own = _base(settings)
    return not any(url.startswith(own + path) for path in _OWN_PATHS)


def track(settings: Settings, message_id: str, rendered: Rendered) -> Rendered:
    """The e-mail with its HTML links going through the click redirect and the open pixel before
    ``</body>`` (the plain-text part as it was)."""

    signed: dict[str, str] = {}  # a product's address appears thrice (image, name, button): signed once

    def rewrite(found: re.Match[str]) -> str:
        url = html.unescape(found.group(2))
        if not _tracked(settings, url):
            return found.group(0)
        if url not in signed:
            signed[url] = html.escape(click_url(settings, message_id, url), quote=True)
        return found.group(1) + signed[url] + found.group(3)

    body = _HREF.sub(rewrite, rendered.html)
    pixel = (
        f'<img src="{html.escape(pixel_url(settings, message_id), quote=True)}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    ends = list(_BODY_END.finditer(body))
    body = body[: ends[-1].start()] + pixel + body[ends[-1].start() :] if ends else body + pixel
    return replace(rendered, html=body)


def _log_once(uow: UnitOfWork, message_id: str, kind: str, detail: str, now: datetime) -> bool:
    if uow.session.get(Message, message_id) is None:
        return False  # erased since: nothing of the person is kept
    seen = uow.session.scalar(
        select(Delivery.id).where(
            Delivery.message_id == message_id, Delivery.kind == kind, Delivery.detail == detail
        )
    )
    if seen is not None:
        return False
    uow.session.add(Delivery(id=new_id("dlv"), message_id=message_id, kind=kind, at=now, detail=detail))
    return True


def record_open(uow: UnitOfWork, message_id: str, now: datetime) -> bool:
    """Log the message's first open (True: logged now)."""
    return _log_once(uow, message_id, "opened", "", now)


def record_click(uow: UnitOfWork, message_id: str, url: str, now: datetime) -> bool:
    """Log the message's first click on ``url`` (True: logged now)."""
    return _log_once(uow, message_id, "clicked", url[:500], now)

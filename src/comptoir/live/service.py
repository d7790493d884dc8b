"""The live domain's operations — its public interface with ``schemas`` and ``events``.

Talk now: ``ask`` (a request, routed at once), ``request_state``, ``cancel``, ``leave_message``; advisors:
``set_presence``, ``heartbeat``, ``disconnected``, ``offers_for``, ``accept``, ``decline``, ``queue_view``;
the router's pass ``route`` (a job, and after each change); sessions: ``get_session``, ``session_side``,
``push``, ``note_item``, ``set_notes``, ``chat``, ``end_session``, ``media_for``; ``basket_link`` (the advisor's basket as a checkout link; ``read_basket``, ``basket_filled`` for the
page that opens it); ``credit_order`` (a cart filled
in a session became an order); ``customer_section``, ``export`` and ``erase`` for the 360° and GDPR.

Each operation that changes what someone's screen shows returns its notices (:mod:`comptoir.live.notices`):
the caller publishes them on the hub after committing (``publish(app_state, notices)``). For the apps'
pages: ``read_ticket(secret, ticket)`` (a customer's ticket's claims, 401 otherwise), ``settings()`` (the
live settings), ``ADVISING`` (the roles that take calls).
"""

from __future__ import annotations

from comptoir.core.access import Role
from comptoir.live import baskets, tickets
from comptoir.live.config import LiveSettings, live_settings
from comptoir.live.erasure import customer_section, erase, export
from comptoir.live.hubs import publish
from comptoir.live.operations import (
    accept,
    ask,
    basket_link,
    cancel,
    chat,
    decline,
    disconnected,
    end_session,
    get_session,
    heartbeat,
    leave_message,
    media_for,
    note_item,
    offers_for,
    push,
    queue_view,
    request_state,
    route,
    session_side,
    set_notes,
    set_presence,
)
from comptoir.live.sessions import credit_order

# Who takes live calls: the live service's advisors, and those who may stand in for them.
ADVISING = (Role.ADVISOR, Role.SHOP_MANAGER, Role.BACK_OFFICE, Role.ADMIN)
read_ticket = tickets.read
read_basket = baskets.read
basket_filled = baskets.filled
settings = live_settings

__all__ = [
    "ADVISING",
    "LiveSettings",
    "accept",
    "ask",
    "basket_filled",
    "basket_link",
    "cancel",
    "chat",
    "credit_order",
    "customer_section",
    "decline",
    "disconnected",
    "end_session",
    "erase",
    "export",
    "get_session",
    "heartbeat",
    "leave_message",
    "media_for",
    "note_item",
    "offers_for",
    "publish",
    "push",
    "queue_view",
    "read_basket",
    "read_ticket",
    "request_state",
    "route",
    "session_side",
    "set_notes",
    "set_presence",
    "settings",
]

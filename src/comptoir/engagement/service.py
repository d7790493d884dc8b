"""engagement: the domain's operations — with schemas.py and events.py, its public interface.

* journeys: :func:`list_journeys`, :func:`get_journey`, :func:`save_journey` (a new version; the
  built-in journeys apply until edited);
* what a customer was sent and why something is held: :func:`instances_of`, :func:`get_instance`,
  :func:`messages_of`, :func:`customer_section`, :func:`export`;
* sending: :func:`send_due` (the ``engagement.send_due`` job; ``comptoir engagement send``), under the
  retailer's pressure rules (:func:`get_pressure`, :func:`set_pressure`);
* leaving a purpose from a message's link: :func:`unsubscribe` (:func:`unsubscribe_token` signs one);
* a template with a sample customer: :func:`preview`.
"""

from __future__ import annotations

from comptoir.engagement.context import unsubscribe_token
from comptoir.engagement.erasure import export
from comptoir.engagement.journeys import get_journey, list_journeys
from comptoir.engagement.journeys import save as save_journey
from comptoir.engagement.preferences import Left, unsubscribe
from comptoir.engagement.pressure import current as get_pressure
from comptoir.engagement.pressure import save as set_pressure
from comptoir.engagement.reading import customer_section, get_instance, instances_of, messages_of
from comptoir.engagement.rendering import TEMPLATES, Rendered, render, sample_context
from comptoir.engagement.sending import send_due


def preview(template: str, lang: str) -> Rendered:
    """A template rendered for the sample customer (a Paris shop's appointment, French names)."""
    return render(template, lang, sample_context(template, lang))


__all__ = [
    "TEMPLATES",
    "Left",
    "customer_section",
    "export",
    "get_instance",
    "get_journey",
    "get_pressure",
    "instances_of",
    "list_journeys",
    "messages_of",
    "preview",
    "save_journey",
    "send_due",
    "set_pressure",
    "unsubscribe",
    "unsubscribe_token",
]

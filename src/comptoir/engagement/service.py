"""engagement: the domain's operations — with schemas.py and events.py, its public interface.

* journeys: :func:`list_journeys`, :func:`get_journey`, :func:`save_journey` (a new version; the
  built-in journeys apply until edited);
* what a customer was sent and why something is held: :func:`instances_of`, :func:`get_instance`,
  :func:`messages_of`, :func:`customer_section`, :func:`export`;
* sending: :func:`send_due` (the ``engagement.send_due`` job; ``comptoir engagement send``), under the
  retailer's pressure rules (:func:`get_pressure`, :func:`set_pressure`);
* leaving a purpose from a message's link: :func:`unsubscribe` (:func:`unsubscribe_token` signs one);
* the preference page of a message's footer: :func:`preferences_of`, :func:`save_preferences`,
  :func:`stop_everything` (:func:`preferences_token` signs its link);
* push devices: :func:`register_device`, :func:`unregister_device`, :func:`get_device`,
  :func:`devices_of`;
* satisfaction surveys: :func:`survey_stats` (NPS and CSAT by shop, employee, channel, touchpoint and
  period, over :func:`survey_dates`), :func:`survey_answers`, and the customer's own :func:`answer_survey`;
* journeys launched to an audience (a campaign): :func:`launch_journey` (records it, runs its first
  batch), :func:`run_launch` and :func:`resume_launches` (the ``engagement.launches`` job),
  :func:`get_launch`, :func:`list_launches`;
* a template with a sample customer: :func:`preview`.
"""

from __future__ import annotations

from comptoir.engagement.choices import (
    Choices,
    preferences_of,
    preferences_token,
    save_preferences,
    stop_everything,
)
from comptoir.engagement.context import unsubscribe_token
from comptoir.engagement.devices import devices_of
from comptoir.engagement.devices import get as get_device
from comptoir.engagement.devices import register as register_device
from comptoir.engagement.devices import unregister as unregister_device
from comptoir.engagement.erasure import export
from comptoir.engagement.journeys import get_journey, list_journeys
from comptoir.engagement.journeys import save as save_journey
from comptoir.engagement.launch_runs import resume as resume_launches
from comptoir.engagement.launch_runs import run as run_launch
from comptoir.engagement.launch_runs import start as launch_journey
from comptoir.engagement.launches import get_launch, list_launches
from comptoir.engagement.preferences import Left, unsubscribe
from comptoir.engagement.pressure import current as get_pressure
from comptoir.engagement.pressure import save as set_pressure
from comptoir.engagement.reading import customer_section, get_instance, instances_of, messages_of
from comptoir.engagement.rendering import TEMPLATES, Rendered, render, sample_context
from comptoir.engagement.sending import send_due
from comptoir.engagement.survey_stats import Range as SurveyRange
from comptoir.engagement.survey_stats import date_range as survey_dates
from comptoir.engagement.survey_stats import list_answers as survey_answers
from comptoir.engagement.survey_stats import stats as survey_stats
from comptoir.engagement.surveys import answer_mine as answer_survey


def preview(template: str, lang: str) -> Rendered:
    """A template rendered for the sample customer (a Paris shop's appointment, French names)."""
    return render(template, lang, sample_context(template, lang))


__all__ = [
    "TEMPLATES",
    "Choices",
    "Left",
    "SurveyRange",
    "answer_survey",
    "customer_section",
    "devices_of",
    "export",
    "get_device",
    "get_instance",
    "get_journey",
    "get_launch",
    "get_pressure",
    "instances_of",
    "launch_journey",
    "list_journeys",
    "list_launches",
    "messages_of",
    "preferences_of",
    "preferences_token",
    "preview",
    "register_device",
    "resume_launches",
    "run_launch",
    "save_journey",
    "save_preferences",
    "send_due",
    "set_pressure",
    "stop_everything",
    "survey_answers",
    "survey_dates",
    "survey_stats",
    "unregister_device",
    "unsubscribe",
    "unsubscribe_token",
]

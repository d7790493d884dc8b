"""engagement: the journeys a retailer launches to an audience (a campaign) rather than an event starting
them for one customer — their trigger is ``engagement.launched`` and their subject the launch; and the
built-in one: the season's new arrivals, announced at once, then J+30 at 10:00 on each customer's clock.

A launched journey's steps all go when it is launched (its customers enter it together): none follows
another event, counts from an instant of other facts, or repeats, and nothing but an erasure ends it.
Templates: ``new_arrivals`` and ``new_arrivals_follow_up`` (written with the other message families).
"""

from __future__ import annotations

from comptoir.core.errors import InvalidInput
from comptoir.engagement.events import JourneyLaunched
from comptoir.engagement.schemas import JourneyDefinition, Localised, Step, Timing

TRIGGER = JourneyLaunched.event_type
SUBJECT_FIELD = "launch_id"

NEW_ARRIVALS = JourneyDefinition(
    code="new_arrivals",
    name=Localised(fr="Nouveautés de la saison", en="The season's new arrivals"),
    trigger=TRIGGER,
    subject_field=SUBJECT_FIELD,
    purpose="marketing",  # the launch's audience asks for the opt-in (by default)
    steps=[
        Step(key="announcement", template="new_arrivals", channels=["email"], priority=30),
        Step(
            key="follow_up",
            template="new_arrivals_follow_up",
            channels=["email"],
            timing=Timing(days=30, at="10:00"),
            priority=20,
        ),
    ],
)

DEFINITIONS: tuple[JourneyDefinition, ...] = (NEW_ARRIVALS,)


def is_launched(definition: JourneyDefinition) -> bool:
    return definition.trigger == TRIGGER


def check(definition: JourneyDefinition) -> None:
    """422 naming the field when a launched journey asks for what a launch cannot give."""
    if not is_launched(definition):
        return
    if definition.subject_field != SUBJECT_FIELD:
        raise InvalidInput(f"A launched journey is about its launch: {SUBJECT_FIELD}.", field="subject_field")
    if definition.entry.channels or definition.entry.fields:
        field = "entry/channels" if definition.entry.channels else "entry/fields"
        raise InvalidInput("A launch has no channel or fields to enter by: choose an audience.", field=field)
    if definition.exit_on:
        raise InvalidInput(
            "A launched journey follows no event: nothing but erasure ends it.", field="exit_on/0"
        )
    for n, step in enumerate(definition.steps):
        if step.on or step.repeat:
            raise InvalidInput(
                "A launched journey's steps go when it is launched: they follow no other event.",
                field=f"steps/{n}/{'on' if step.on else 'repeat'}",
            )
        if step.timing.anchor != "event":
            raise InvalidInput(
                "A launched journey's steps count from the launch.", field=f"steps/{n}/timing/anchor"
            )

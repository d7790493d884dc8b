"""Consistency audit: every contradiction between what channels show and the source of truth."""

from __future__ import annotations

from collections.abc import Sequence

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.stores import channels, publishing, service
from comptoir.stores.schemas import CHANNELS, AuditOut, Channel, Contradiction


def audit(uow: UnitOfWork, only: Sequence[Channel] | None = None) -> AuditOut:
    """Compare each channel's snapshots with the places they should show.

    A place missing on a channel of its kind is ``missing_on_channel``; a store code the channel shows that
    Comptoir does not know (or does not publish there) is ``unknown_on_channel``.
    """
    now = clock.now()
    places = service.all_places(uow)
    wanted = list(only or CHANNELS)
    found: list[Contradiction] = []
    for channel in wanted:
        shown_by_code = publishing.snapshots(uow, channel)
        expected_codes = set()
        for place in places:
            if channel not in channels.CHANNELS_BY_KIND[place.kind]:
                continue
            expected_codes.add(place.code)
            shown = shown_by_code.get(place.code)
            if shown is None:
                if place.status != "permanently_closed":
                    found.append(
                        Contradiction(
                            channel=channel,
                            place_id=place.id,
                            store_code=place.code,
                            kind="missing_on_channel",
                            field="",
                            expected="present",
                            shown=None,
                        )
                    )
                continue
            today = publishing.local_today(place, now)
            expected_view = channels.read(channel, channels.render(channel, place, today))
            for kind, field, want, got in channels.compare(
                expected_view, channels.read(channel, shown), today
            ):
                found.append(
                    Contradiction(
                        channel=channel,
                        place_id=place.id,
                        store_code=place.code,
                        kind=kind,
                        field=field,
                        expected=want,
                        shown=got,
                    )
                )
        for code in sorted(set(shown_by_code) - expected_codes):
            found.append(
                Contradiction(
                    channel=channel,
                    place_id=None,
                    store_code=code,
                    kind="unknown_on_channel",
                    field="",
                    expected=None,
                    shown="present",
                )
            )
    return AuditOut(checked_at=now, channels=wanted, places=len(places), contradictions=found)

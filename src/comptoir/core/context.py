"""Who is acting: the principal (a staff person, a key, a customer through a publishable key, or nobody),
its channel, scopes and shop binding. See ``docs/security.md`` and :mod:`comptoir.core.access`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CHANNELS = ("web", "app", "call-centre", "live", "back-office")

# The principals. ``customer`` is a publishable key with a signed-in customer's token; ``system`` is code
# inside Comptoir (handlers, jobs, the CLI), which is not HTTP and stays unrestricted.
Kind = Literal["public", "publishable", "customer", "shop", "secret", "staff", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    key_id: str | None = None
    channel: str | None = None  # "web", "app", "store:<id>", "call-centre", "live", or None (back office)
    scopes: frozenset[str] = field(default_factory=frozenset)
    customer_id: str | None = None  # set when a customer token accompanies a publishable key
    request_id: str | None = None
    kind: Kind = "system"
    staff_id: str | None = None  # the employee acting (staff people only)
    role: str | None = None  # the employee's role
    # The shops this principal may act for: None = every shop (unbound); a shop key holds its own shop.
    shops: frozenset[str] | None = None

    @property
    def store_id(self) -> str | None:
        """The shop this principal acts in: its ``store:<id>`` channel, or its only bound shop."""
        if self.channel and self.channel.startswith("store:"):
            return self.channel.split(":", 1)[1]
        if self.shops is not None and len(self.shops) == 1:
            return next(iter(self.shops))
        return None

    @property
    def channel_kind(self) -> str:
        """``store`` for any ``store:<id>`` channel, the channel itself otherwise, ``back-office`` if unbound."""
        if self.channel is None:
            return "back-office"
        return "store" if self.channel.startswith("store:") else self.channel

    @property
    def principal_id(self) -> str | None:
        """Who to record on a write: the employee when a person acts, otherwise the key."""
        return self.staff_id or self.key_id

    @property
    def is_staff_side(self) -> bool:
        """Staff people, shop keys, secret keys and Comptoir itself: never a shopper."""
        return self.kind in ("staff", "shop", "secret", "system")


SYSTEM = Actor(key_id=None, channel="system", scopes=frozenset({"*"}))


def valid_channel(channel: str) -> bool:
    if channel in ("web", "app", "call-centre", "live"):
        return True
    return channel.startswith("store:") and len(channel) > len("store:")

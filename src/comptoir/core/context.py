"""Who is acting: the API key, its channel and scopes, and the signed-in customer if any."""

from __future__ import annotations

from dataclasses import dataclass, field

CHANNELS = ("web", "app", "call-centre", "live", "back-office")


@dataclass(frozen=True, slots=True)
class Actor:
    key_id: str | None = None
    channel: str | None = None  # "web", "app", "store:<id>", "call-centre", "live", or None (back office)
    scopes: frozenset[str] = field(default_factory=frozenset)
    customer_id: str | None = None  # set when a customer token accompanies a channel key
    request_id: str | None = None

    @property
    def store_id(self) -> str | None:
        if self.channel and self.channel.startswith("store:"):
            return self.channel.split(":", 1)[1]
        return None

    @property
    def channel_kind(self) -> str:
        """``store`` for any ``store:<id>`` channel, the channel itself otherwise, ``back-office`` if unbound."""
        if self.channel is None:
            return "back-office"
        return "store" if self.channel.startswith("store:") else self.channel


SYSTEM = Actor(key_id=None, channel="system", scopes=frozenset({"*"}))


def valid_channel(channel: str) -> bool:
    if channel in ("web", "app", "call-centre", "live"):
        return True
    return channel.startswith("store:") and len(channel) > len("store:")

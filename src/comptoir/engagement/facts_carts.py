"""engagement: what the messages of carts and wishlists: abandoned cart, back in stock, price drop are written from, read when they are sent."""

from __future__ import annotations

from comptoir.engagement.mail_types import Loader

LOADERS: dict[str, Loader] = {}

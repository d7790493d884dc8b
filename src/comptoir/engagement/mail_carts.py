"""engagement: the message templates of carts and wishlists: abandoned cart, back in stock, price drop (a :class:`~.mail_types.Family`)."""

from __future__ import annotations

from comptoir.engagement.mail_types import Family

FAMILIES: tuple[Family, ...] = ()

"""engagement: the message templates of the customer's life: welcome, new loyalty tier, birthday, the e-receipt (a :class:`~.mail_types.Family`)."""

from __future__ import annotations

from comptoir.engagement.mail_types import Family

FAMILIES: tuple[Family, ...] = ()

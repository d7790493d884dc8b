"""engagement: the message templates of surveys (NPS and CSAT after an order, an appointment…) (a :class:`~.mail_types.Family`)."""

from __future__ import annotations

from comptoir.engagement.mail_types import Family

FAMILIES: tuple[Family, ...] = ()

"""receipts: tables (named ``receipts_*``)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base


class Receipt(Base):
    """One receipt per sale: the document as printed (frozen at issue) and where it was sent."""

    __tablename__ = "receipts_receipts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[str] = mapped_column(String(40), unique=True)
    place_id: Mapped[str] = mapped_column(String(40), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8))
    ask_consent: Mapped[bool]
    document: Mapped[dict[str, Any]]
    send_status: Mapped[str] = mapped_column(String(16))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    link_generation: Mapped[int] = mapped_column(Integer, default=0)  # revoking links moves it on

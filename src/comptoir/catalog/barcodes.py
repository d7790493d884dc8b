"""catalog: a barcode scanned at the counter (EAN-13, UPC-A, GTIN-14 …) → the variant it labels."""

from __future__ import annotations

import re

from sqlalchemy import select

from comptoir.catalog.models import Variant
from comptoir.core.uow import UnitOfWork


def gtin_candidates(code: str) -> list[str]:
    """The forms a GTIN may be filed under: as scanned, and padded or unpadded to 8, 12, 13 and 14 digits
    (a UPC-A read by a scanner as EAN-13 carries a leading zero)."""
    digits = re.sub(r"\D", "", code)
    if not 8 <= len(digits) <= 14:
        return []
    core = digits.lstrip("0")
    return list(dict.fromkeys([digits, *(core.zfill(n) for n in (8, 12, 13, 14) if len(core) <= n)]))


def sku_for_gtin(uow: UnitOfWork, code: str) -> str | None:
    """The SKU of the variant whose GTIN is ``code``; None when no variant has it."""
    candidates = gtin_candidates(code)
    if not candidates:
        return None
    return uow.session.scalars(select(Variant.sku).where(Variant.gtin.in_(candidates)).limit(1)).first()

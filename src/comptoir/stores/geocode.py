"""French postcode → coordinates, offline, from ``data/fr_postcodes.csv`` (see ``data/README.md``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class PostcodePoint:
    postcode: str
    latitude: float
    longitude: float
    locality: str
    precision: str  # commune | arrondissement


@lru_cache(maxsize=1)
def _table() -> dict[str, PostcodePoint]:
    path = resources.files("comptoir.stores") / "data" / "fr_postcodes.csv"
    with path.open("r", encoding="utf-8") as fh:
        return {
            row["postcode"]: PostcodePoint(
                row["postcode"], float(row["lat"]), float(row["lon"]), row["locality"], row["precision"]
            )
            for row in csv.DictReader(fh)
        }


def normalise_postcode(value: str) -> str:
    """``" 69 003 "`` → ``"69003"``; a four-digit code lost its leading zero in a spreadsheet: ``"1000"`` → ``"01000"``."""
    digits = "".join(value.split())
    if digits.isdigit() and len(digits) == 4:
        digits = "0" + digits
    return digits


def lookup(postcode: str) -> PostcodePoint | None:
    return _table().get(normalise_postcode(postcode))

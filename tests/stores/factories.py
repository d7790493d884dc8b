"""Places for tests: a valid PlaceIn with overrides."""

from __future__ import annotations

from typing import Any

from comptoir.stores.schemas import PlaceIn

WEEKDAYS_10_19 = [
    {"day": d, "opens": "10:00", "closes": "19:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
]


def place_in(ident: str, **overrides: Any) -> PlaceIn:
    data: dict[str, Any] = {
        "id": ident,
        "name": f"Comptoir {ident}",
        "address": {
            "lines": ["1 rue de la Paix"],
            "postal_code": "75002",
            "locality": "Paris",
            "region": "Île-de-France",
        },
        "latitude": 48.8690,
        "longitude": 2.3310,
        "phone": "01 42 60 12 34",
        "services": ["click_and_collect", "returns"],
        "hours": {"weekly": WEEKDAYS_10_19},
    }
    data.update(overrides)
    return PlaceIn.model_validate(data)

"""Schema-valid but extreme datetimes are a 422 naming the field, never an OverflowError (issue 15, item 7).

Every datetime a client sends goes through one kernel type (years 1900–2199, with an offset); the last
test walks every route so that a new schema cannot take a bare ``datetime``.
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from comptoir.core.types import AwareDatetime, BoundedDate

BOUNDS = typing.get_args(AwareDatetime)[1:] + typing.get_args(BoundedDate)[1:]
LATE = "9999-12-31T23:59:59Z"
EARLY = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize("moment", [LATE, EARLY], ids=["late", "early"])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/stores/places/st_opera/opening?at={}", "at"),
        ("/v1/stores/opening-status?ids=st_opera&at={}", "at"),
        ("/v1/stores/nearest?lat=48.87&lon=2.33&open_at={}", "open_at"),
        ("/v1/inventory/availability/nearest?sku=ROBE-S&lat=48.87&lon=2.33&at={}", "at"),
        ("/v1/pricing/prices/ROBE-S?at={}", "at"),
        ("/v1/customers/cus_1/contact-permission?purpose=marketing&channel=email&at={}", "at"),
    ],
    ids=["opening", "opening-status", "nearest-stores", "availability", "price", "contact-permission"],
)
def test_an_extreme_moment_in_a_query_is_a_422_naming_it(
    client: Any, admin_headers: dict[str, str], path: str, parameter: str, moment: str
) -> None:
    # given / when a query carries a moment years out of range
    response = client.get(path.format(moment.replace("+", "%2B")), headers=admin_headers)
    # then the client is told which parameter, nothing crashes
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["in"], e["parameter"]) for e in response.json()["errors"]] == [("query", parameter)]


def test_a_week_view_of_the_last_day_of_year_9999_is_a_422(
    client: Any, admin_headers: dict[str, str]
) -> None:
    response = client.get("/v1/stores/places/st_opera/week?date=9999-12-31", headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [(e["in"], e["parameter"]) for e in response.json()["errors"]] == [("query", "date")]


@pytest.mark.parametrize("moment", [LATE, EARLY], ids=["late", "early"])
@pytest.mark.parametrize(
    ("method", "path", "body", "pointer"),
    [
        (
            "post",
            "/v1/payments/gift-cards",
            {"amount": "10.00", "currency": "EUR", "reference": "gc-1", "expires_at": "{}"},
            "#/expires_at",
        ),
        (
            "put",
            "/v1/pricing/price-lists/base-eur/prices",
            {"prices": [{"sku": "ROBE-S", "amount": "59.90", "valid_from": "{}"}]},
            "#/prices/0/valid_from",
        ),
        (
            "post",
            "/v1/pricing/promotions",
            {"name": "Soldes", "kind": "percent_off", "params": {"percent": "10"}, "ends_at": "{}"},
            "#/ends_at",
        ),
        ("post", "/v1/inventory/reservations/chk-1/confirm", {"expires_at": "{}"}, "#/expires_at"),
    ],
    ids=["gift-card", "price-validity", "promotion", "reservation"],
)
def test_an_extreme_moment_in_a_body_is_a_422_naming_it(
    client: Any, admin_headers: dict[str, str], method: str, path: str, body: Any, pointer: str, moment: str
) -> None:
    import json

    sent = json.loads(json.dumps(body).replace('"{}"', json.dumps(moment)))
    response = client.request(method, path, json=sent, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_a_moment_without_its_offset_is_a_422(client: Any, admin_headers: dict[str, str]) -> None:
    response = client.get(
        "/v1/stores/opening-status?ids=st_opera&at=2026-03-10T12:00:00", headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert "offset" in response.json()["errors"][0]["detail"]


def _unbounded(annotation: Any) -> bool:
    """Whether a type takes a bare datetime or date somewhere (not one of the kernel's bounded types)."""
    if annotation in (AwareDatetime, BoundedDate):
        return False
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if base in (dt.datetime, dt.date) and any(m in BOUNDS for m in meta):
            return False
        return _unbounded(base)
    if annotation in (dt.datetime, dt.date):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False  # walked on its own
    return any(_unbounded(a) for a in typing.get_args(annotation))


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _models(a)]


def test_every_datetime_a_client_sends_is_bounded(app: FastAPI) -> None:
    routes = [r for router in app.area_routers.values() for r in router.routes if isinstance(r, APIRoute)]
    unbounded: list[str] = []
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel], route: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            metadata_bounded = any(m in BOUNDS for m in field.metadata)
            if _unbounded(field.annotation) and not metadata_bounded:
                unbounded.append(f"{route}: {model.__name__}.{name}")
            for inner in _models(field.annotation):
                walk(inner, route)

    def dependants(d: Any) -> Any:
        yield d
        for sub in d.dependencies:
            yield from dependants(sub)

    for route in routes:
        for d in dependants(route.dependant):
            for param in d.query_params + d.path_params + d.header_params:
                if _unbounded(param.field_info.annotation) and not param.field_info.metadata:
                    unbounded.append(f"{route.path}: {param.name}")
            for param in d.body_params:
                for model in _models(param.field_info.annotation):
                    walk(model, route.path)
    assert len(routes) > 150
    assert unbounded == [], unbounded

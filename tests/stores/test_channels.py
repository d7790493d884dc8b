"""Channel renderings checked against their documented shapes, and the audit's comparison (no database)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from comptoir.stores import channels
from comptoir.stores.schemas import PlaceOut

TODAY = date(2026, 12, 20)


def make_place(**overrides: Any) -> PlaceOut:
    data: dict[str, Any] = {
        "id": "st_lyon_republique",
        "code": "LYON-REPUBLIQUE",
        "kind": "store",
        "name": "Comptoir Lyon République",
        "status": "open",
        "status_reason": "",
        "status_since": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        "address": {
            "lines": ["60 rue de la République"],
            "postal_code": "69002",
            "locality": "Lyon",
            "region": "Auvergne-Rhône-Alpes",
            "country_code": "FR",
        },
        "department": "69",
        "latitude": 45.762,
        "longitude": 4.836,
        "phone": "+33478420517",
        "email": "lyon-republique@comptoir.example",
        "manager": "Claire Martin",
        "website_url": "https://www.comptoir.example/magasins/lyon-republique",
        "timezone": "Europe/Paris",
        "services": ["click_and_collect", "drive", "returns"],
        "attributes": ["wheelchair_accessible"],
        "hours": {
            "weekly": [
                {"day": "monday", "opens": "14:00", "closes": "19:00"},
                *(
                    {"day": d, "opens": "10:00", "closes": "19:00"}
                    for d in ("tuesday", "wednesday", "thursday", "friday", "saturday")
                ),
            ],
            "reserved": [{"day": "tuesday", "opens": "10:00", "closes": "10:30", "audience": "seniors"}],
        },
        "special_days": [
            {"date": "2026-12-01", "closed": True, "reason": "past"},
            {"date": "2026-12-24", "closed": False, "ranges": [{"opens": "10:00", "closes": "17:00"}]},
            {"date": "2026-12-25", "closed": True, "reason": "Noël"},
        ],
        "version": 3,
        "created_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    }
    data.update(overrides)
    return PlaceOut.model_validate(data)


# -- schema.org: the types and properties the JSON-LD uses, as schema.org defines them -----------------------

TEXT, NUMBER, BOOLEAN, URL, TIME, DATE, DAY = "Text", "Number", "Boolean", "URL", "Time", "Date", "DayOfWeek"
# Store ⊂ LocalBusiness ⊂ (Organization, Place) ⊂ Thing: the properties used, with their expected types.
SCHEMA_ORG: dict[str, dict[str, set[str]]] = {
    "Store": {
        "name": {TEXT},
        "branchCode": {TEXT},  # Place
        "address": {"PostalAddress", TEXT},  # Place, Organization
        "geo": {"GeoCoordinates", "GeoShape"},  # Place
        "telephone": {TEXT},  # Place, Organization
        "email": {TEXT},  # Organization
        "url": {URL},  # Thing
        "openingHoursSpecification": {"OpeningHoursSpecification"},  # Place
        "specialOpeningHoursSpecification": {"OpeningHoursSpecification"},  # Place
        "amenityFeature": {"LocationFeatureSpecification"},  # Place
    },
    "PostalAddress": {
        "streetAddress": {TEXT},
        "postalCode": {TEXT},
        "addressLocality": {TEXT},
        "addressRegion": {TEXT},
        "addressCountry": {"Country", TEXT},
    },
    "GeoCoordinates": {"latitude": {NUMBER, TEXT}, "longitude": {NUMBER, TEXT}},
    "OpeningHoursSpecification": {
        "dayOfWeek": {DAY},
        "opens": {TIME},
        "closes": {TIME},
        "validFrom": {DATE, "DateTime"},
        "validThrough": {DATE, "DateTime"},
    },
    "LocationFeatureSpecification": {  # ⊂ PropertyValue
        "name": {TEXT},
        "propertyID": {TEXT, URL},
        "value": {BOOLEAN, NUMBER, TEXT, "StructuredValue"},
        "validFrom": {DATE, "DateTime"},
        "validThrough": {DATE, "DateTime"},
        "hoursAvailable": {"OpeningHoursSpecification"},
    },
}
DAYS_OF_WEEK = {
    f"https://schema.org/{d}"
    for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "PublicHolidays")
}


def _matches(value: Any, expected: set[str]) -> bool:
    if isinstance(value, dict):
        return value.get("@type") in expected
    checks = {
        TEXT: lambda v: isinstance(v, str),
        URL: lambda v: isinstance(v, str) and re.match(r"^https?://", v) is not None,
        NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        BOOLEAN: lambda v: isinstance(v, bool),
        TIME: lambda v: (
            isinstance(v, str) and re.match(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", v) is not None
        ),
        DATE: lambda v: isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", v) is not None,
        DAY: lambda v: v in DAYS_OF_WEEK,
    }
    return any(checks[t](value) for t in expected if t in checks)


def validate_schema_org(node: dict[str, Any], path: str = "$") -> list[str]:
    """Every property belongs to the node's type and every value has a type the property accepts."""
    problems: list[str] = []
    kind = node.get("@type")
    if kind not in SCHEMA_ORG:
        return [f"{path}: unknown @type {kind!r}"]
    for key, value in node.items():
        if key in ("@type", "@id", "@context"):
            continue
        expected = SCHEMA_ORG[kind].get(key)
        if expected is None:
            problems.append(f"{path}.{key}: not a property of {kind}")
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            where = f"{path}.{key}[{i}]"
            if not _matches(item, expected):
                problems.append(f"{where}: {item!r} is not {sorted(expected)}")
            elif isinstance(item, dict):
                problems.extend(validate_schema_org(item, where))
    return problems


def test_jsonld_uses_only_schema_org_types_and_properties() -> None:
    doc = channels.render_jsonld(make_place(), TODAY)
    assert doc["@context"] == "https://schema.org"
    assert validate_schema_org(doc) == []


def test_the_validator_catches_wrong_shapes() -> None:
    bad = {
        "@type": "Store",
        "name": "x",
        "openingHours": "Mo-Fr",
        "geo": {"@type": "GeoCoordinates", "latitude": "north"},
    }
    bad["openingHoursSpecification"] = [
        {"@type": "OpeningHoursSpecification", "dayOfWeek": "Monday", "opens": "24:00"}
    ]
    assert validate_schema_org(bad) == [
        "$.openingHours: not a property of Store",
        "$.openingHoursSpecification[0].dayOfWeek[0]: 'Monday' is not ['DayOfWeek']",
        "$.openingHoursSpecification[0].opens[0]: '24:00' is not ['Time']",
    ]


def test_jsonld_values() -> None:
    doc = channels.render_jsonld(make_place(), TODAY)
    assert doc["branchCode"] == "LYON-REPUBLIQUE"
    assert doc["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "60 rue de la République",
        "postalCode": "69002",
        "addressLocality": "Lyon",
        "addressCountry": "FR",
        "addressRegion": "Auvergne-Rhône-Alpes",
    }
    assert doc["geo"] == {"@type": "GeoCoordinates", "latitude": 45.762, "longitude": 4.836}
    assert doc["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [
                f"https://schema.org/{d}" for d in ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
            ],
            "opens": "10:00",
            "closes": "19:00",
        },
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": ["https://schema.org/Monday"],
            "opens": "14:00",
            "closes": "19:00",
        },
    ]
    assert doc["specialOpeningHoursSpecification"] == [  # the past closure of 1 December is not published
        {
            "@type": "OpeningHoursSpecification",
            "opens": "10:00",
            "closes": "17:00",
            "validFrom": "2026-12-24",
            "validThrough": "2026-12-24",
        },
        {
            "@type": "OpeningHoursSpecification",
            "opens": "00:00",
            "closes": "00:00",
            "validFrom": "2026-12-25",
            "validThrough": "2026-12-25",
        },
    ]
    assert [f["propertyID"] for f in doc["amenityFeature"]] == [
        "service:click_and_collect",
        "service:drive",
        "service:returns",
        "attribute:wheelchair_accessible",
    ]


def test_jsonld_of_a_closed_store_and_a_midnight_closing() -> None:
    closed = make_place(status="temporarily_closed", special_days=[])
    doc = channels.render_jsonld(closed, TODAY)
    assert doc["specialOpeningHoursSpecification"] == [
        {"@type": "OpeningHoursSpecification", "opens": "00:00", "closes": "00:00", "validFrom": "2026-01-05"}
    ]
    late = make_place(
        hours={"weekly": [{"day": "friday", "opens": "18:00", "closes": "24:00"}], "reserved": []}
    )
    doc = channels.render_jsonld(late, TODAY)
    assert doc["openingHoursSpecification"][0]["closes"] == "23:59"
    assert validate_schema_org(doc) == []
    assert channels.read_jsonld(doc).weekly == {4: "18:00-24:00"}


# -- Google Business Profile (Business Information API v1) ---------------------------------------------------

# Field names of each message, as documented for mybusinessbusinessinformation v1.
GBP_LOCATION = {
    "name",
    "languageCode",
    "storeCode",
    "title",
    "phoneNumbers",
    "categories",
    "storefrontAddress",
    "websiteUri",
    "regularHours",
    "specialHours",
    "serviceArea",
    "labels",
    "adWordsLocationExtensions",
    "latlng",
    "openInfo",
    "metadata",
    "profile",
    "relationshipData",
    "moreHours",
    "serviceItems",
}
GBP_POSTAL_ADDRESS = {
    "revision",
    "regionCode",
    "languageCode",
    "postalCode",
    "sortingCode",
    "administrativeArea",
    "locality",
    "sublocality",
    "addressLines",
    "recipients",
    "organization",
}
GBP_TIME_PERIOD = {"openDay", "openTime", "closeDay", "closeTime"}
GBP_SPECIAL_HOUR_PERIOD = {"startDate", "openTime", "endDate", "closeTime", "closed"}
GBP_TIME_OF_DAY = {"hours", "minutes", "seconds", "nanos"}
GBP_DATE = {"year", "month", "day"}
GBP_OPEN_INFO = {"status", "canReopen", "openingDate"}
GBP_ATTRIBUTE = {"name", "valueType", "values", "repeatedEnumValue", "uriValues"}
GBP_DAY_OF_WEEK = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}


def _check_time_of_day(t: dict[str, Any]) -> None:
    assert set(t) <= GBP_TIME_OF_DAY
    assert 0 <= t["hours"] <= 24 and 0 <= t["minutes"] <= 59
    assert t["hours"] < 24 or t["minutes"] == 0  # 24:00 is allowed for a closing time only


def _check_date(d: dict[str, Any]) -> None:
    assert set(d) == GBP_DATE
    date(d["year"], d["month"], d["day"])


def test_gbp_payload_follows_the_business_information_shapes() -> None:
    payload = channels.render_gbp(make_place(), TODAY)
    assert set(payload) == {"storeCode", "location", "attributes"}
    location = payload["location"]
    assert set(location) <= GBP_LOCATION
    assert "name" not in location  # Google assigns locations/{id}; the connector adds it
    assert location["languageCode"] == "fr"
    assert location["storeCode"] == "LYON-REPUBLIQUE"
    assert location["title"] == "Comptoir Lyon République"
    assert location["phoneNumbers"] == {"primaryPhone": "+33478420517"}
    assert location["categories"] == {"primaryCategory": {"name": "categories/gcid:store"}}
    assert set(location["storefrontAddress"]) <= GBP_POSTAL_ADDRESS
    assert location["storefrontAddress"] == {
        "regionCode": "FR",
        "postalCode": "69002",
        "locality": "Lyon",
        "administrativeArea": "Auvergne-Rhône-Alpes",
        "addressLines": ["60 rue de la République"],
    }
    assert location["websiteUri"] == "https://www.comptoir.example/magasins/lyon-republique"
    assert location["latlng"] == {"latitude": 45.762, "longitude": 4.836}
    assert set(location["openInfo"]) <= GBP_OPEN_INFO
    assert location["openInfo"] == {"status": "OPEN"}

    periods = location["regularHours"]["periods"]
    for p in periods:
        assert set(p) == GBP_TIME_PERIOD
        assert p["openDay"] in GBP_DAY_OF_WEEK and p["closeDay"] in GBP_DAY_OF_WEEK
        _check_time_of_day(p["openTime"])
        _check_time_of_day(p["closeTime"])
    assert periods[0] == {
        "openDay": "MONDAY",
        "openTime": {"hours": 14, "minutes": 0},
        "closeDay": "MONDAY",
        "closeTime": {"hours": 19, "minutes": 0},
    }
    assert [p["openDay"] for p in periods] == [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
    ]

    special = location["specialHours"]["specialHourPeriods"]
    for p in special:
        assert set(p) <= GBP_SPECIAL_HOUR_PERIOD
        _check_date(p["startDate"])
    assert special == [
        {
            "startDate": {"year": 2026, "month": 12, "day": 24},
            "openTime": {"hours": 10, "minutes": 0},
            "endDate": {"year": 2026, "month": 12, "day": 24},
            "closeTime": {"hours": 17, "minutes": 0},
        },
        {"startDate": {"year": 2026, "month": 12, "day": 25}, "closed": True},
    ]
    assert location["moreHours"] == [
        {
            "hoursTypeId": "SENIOR_HOURS",
            "periods": [
                {
                    "openDay": "TUESDAY",
                    "openTime": {"hours": 10, "minutes": 0},
                    "closeDay": "TUESDAY",
                    "closeTime": {"hours": 10, "minutes": 30},
                }
            ],
        }
    ]
    for attribute in payload["attributes"]:
        assert set(attribute) <= GBP_ATTRIBUTE
        assert attribute["name"].startswith("attributes/")
        assert len(attribute["values"]) == 1 and isinstance(attribute["values"][0], bool)
    assert payload["attributes"] == [
        {"name": "attributes/has_wheelchair_accessible_entrance", "values": [True]},
        {"name": "attributes/has_wheelchair_accessible_restroom", "values": [False]},
        {"name": "attributes/has_in_store_pickup", "values": [True]},
        {"name": "attributes/has_curbside_pickup", "values": [True]},
    ]


@pytest.mark.parametrize(
    ("status", "gbp"),
    [
        ("open", "OPEN"),
        ("temporarily_closed", "CLOSED_TEMPORARILY"),
        ("permanently_closed", "CLOSED_PERMANENTLY"),
    ],
)
def test_gbp_open_info_status(status: str, gbp: str) -> None:
    assert channels.render_gbp(make_place(status=status), TODAY)["location"]["openInfo"] == {"status": gbp}


# -- reading back and comparing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["locator", "jsonld", "gbp", "csv"])
def test_a_rendering_read_back_agrees_with_itself(channel: str) -> None:
    place = make_place()
    view = channels.read(channel, channels.render(channel, place, TODAY))  # type: ignore[arg-type]
    assert view.problems == []
    assert view.weekly == {
        0: "14:00-19:00",
        1: "10:00-19:00",
        2: "10:00-19:00",
        3: "10:00-19:00",
        4: "10:00-19:00",
        5: "10:00-19:00",
    }
    assert view.special == {date(2026, 12, 24): "10:00-17:00", date(2026, 12, 25): "closed"}
    assert channels.compare(view, view, TODAY) == []


def test_compare_lists_every_contradiction() -> None:
    truth = make_place(status="temporarily_closed")
    shown = make_place(
        name="Comptoir Lyon",
        phone="+33478000000",
        services=["returns"],
        hours={"weekly": [{"day": "monday", "opens": "10:00", "closes": "19:00"}], "reserved": []},
        special_days=[],
        latitude=45.70,
    )
    expected = channels.read("gbp", channels.render_gbp(truth, TODAY))
    found = channels.compare(expected, channels.read("gbp", channels.render_gbp(shown, TODAY)), TODAY)
    kinds = [(kind, field) for kind, field, _, _ in found]
    assert kinds == [
        ("wrong_name", "name"),
        ("open_while_closed", "status"),
        ("wrong_hours", "hours/monday"),
        ("wrong_hours", "hours/tuesday"),
        ("wrong_hours", "hours/wednesday"),
        ("wrong_hours", "hours/thursday"),
        ("wrong_hours", "hours/friday"),
        ("wrong_hours", "hours/saturday"),
        ("wrong_special_hours", "special_days/2026-12-24"),
        ("wrong_special_hours", "special_days/2026-12-25"),
        ("missing_service", "services/click_and_collect"),
        ("missing_service", "services/drive"),
        ("wrong_phone", "phone"),
        ("wrong_location", "location"),
    ]
    assert found[1] == ("open_while_closed", "status", "temporarily_closed", "open")
    assert found[8] == ("wrong_special_hours", "special_days/2026-12-24", "10:00-17:00", "closed (regular)")


def test_services_a_channel_cannot_show_are_not_contradictions() -> None:
    truth = make_place(services=["click_and_collect", "returns", "appointments"])
    shown = channels.read("gbp", channels.render_gbp(make_place(services=["click_and_collect"]), TODAY))
    assert channels.compare(channels.read("gbp", channels.render_gbp(truth, TODAY)), shown, TODAY) == []


def test_an_unreadable_payload_is_one_contradiction() -> None:
    view = channels.read("gbp", {"location": {"title": "x"}})
    assert channels.compare(channels.View(), view, TODAY)[0][0] == "unreadable"


def test_csv_row_columns() -> None:
    row = channels.render_csv_row(make_place(), TODAY)
    assert list(row) == list(channels.CSV_COLUMNS)
    assert row["weekly_hours"] == "Mo 14:00-19:00; Tu-Sa 10:00-19:00"
    assert row["reserved_hours"] == "Tu 10:00-10:30 seniors"
    assert row["special_days"] == "2026-12-24 10:00-17:00; 2026-12-25 closed"
    assert row["services"] == "click_and_collect|drive|returns"

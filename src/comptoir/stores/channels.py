"""One place rendered for each channel, each channel's shape read back, and the comparison of the two.

Pure functions (no I/O). Channels:

* ``locator`` — Comptoir's public store-locator documents (``GET /v1/stores/locator``);
* ``jsonld`` — schema.org ``Store`` JSON-LD for web pages;
* ``gbp`` — a Google Business Profile payload in the shape of the Business Information API v1:
  ``location`` (a ``Location`` without the ``name`` Google assigns: title, storeCode, storefrontAddress,
  phoneNumbers, latlng, regularHours, specialHours, moreHours, openInfo) and ``attributes`` (the
  ``Attribute`` list of ``locations/{id}/attributes``); the connector adds Google's location name;
* ``csv`` — one row of the CSV bulk file (``GET /v1/stores/channels/csv/file``).

The audit renders the source of truth for a channel, reads it back with the same reader that reads
what the channel shows, and compares the two views: one normalisation for both sides.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from comptoir.core.geo import distance_km
from comptoir.stores import policies
from comptoir.stores.schemas import Channel, PlaceOut

CHANNELS_BY_KIND: dict[str, tuple[Channel, ...]] = {
    "store": ("locator", "jsonld", "gbp", "csv"),
    "pickup_point": ("locator", "csv"),
    "warehouse": ("csv",),
}
SPECIAL_DAYS_HORIZON = 366  # days ahead published to channels

SERVICE_LABELS = {
    "click_and_collect": "Click & collect",
    "reserve_and_collect": "Reserve & collect",
    "ship_from_store": "Ship from store",
    "returns": "Returns",
    "appointments": "Appointments",
    "drive": "Drive",
    "live_video_studio": "Live video studio",
}
ATTRIBUTE_LABELS = {
    "wheelchair_accessible": "Wheelchair accessible",
    "accessible_toilets": "Accessible toilets",
    "parking": "Parking",
    "ev_charging": "EV charging",
    "special_measures": "Special health measures",
}
# Google Business Profile attribute ids for what Comptoir knows (BOOL attributes). Services without a
# GBP attribute (returns, appointments, live video, ship from store) are not shown there, so not audited.
GBP_ATTRIBUTES = {
    "attributes/has_wheelchair_accessible_entrance": ("attribute", "wheelchair_accessible"),
    "attributes/has_wheelchair_accessible_restroom": ("attribute", "accessible_toilets"),
    "attributes/has_in_store_pickup": ("service", "click_and_collect"),
    "attributes/has_curbside_pickup": ("service", "drive"),
}
GBP_SERVICES = frozenset(v for kind, v in GBP_ATTRIBUTES.values() if kind == "service")
GBP_CATEGORY = "categories/gcid:store"
GBP_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
GBP_OPEN_INFO = {
    "open": "OPEN",
    "temporarily_closed": "CLOSED_TEMPORARILY",
    "permanently_closed": "CLOSED_PERMANENTLY",
}
GBP_MORE_HOURS = {"seniors": "SENIOR_HOURS"}
SCHEMA_DAYS = tuple(f"https://schema.org/{d.capitalize()}" for d in policies.WEEKDAYS)
CSV_COLUMNS = (
    "store_code",
    "kind",
    "name",
    "status",
    "address_line_1",
    "address_line_2",
    "postal_code",
    "locality",
    "region",
    "country_code",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website_url",
    "timezone",
    "services",
    "attributes",
    "weekly_hours",
    "reserved_hours",
    "special_days",
)


def payload_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- the source of truth as policies objects ---------------------------------------------------------


def hours_of(place: PlaceOut) -> policies.Hours:
    weekly: dict[int, list[policies.Range]] = {}
    for w in place.hours.weekly:
        weekly.setdefault(policies.WEEKDAYS.index(w.day), []).append(policies.Range.parse(w.opens, w.closes))
    reserved: dict[int, list[policies.Reserved]] = {}
    for r in place.hours.reserved:
        reserved.setdefault(policies.WEEKDAYS.index(r.day), []).append(
            policies.Reserved(policies.Range.parse(r.opens, r.closes), r.audience)
        )
    special = {
        s.date: policies.SpecialDay(
            s.date,
            s.closed,
            tuple(sorted(policies.Range.parse(r.opens, r.closes) for r in s.ranges)),
            tuple(policies.Reserved(policies.Range.parse(r.opens, r.closes), r.audience) for r in s.reserved),
            s.reason,
        )
        for s in place.special_days
    }
    return policies.Hours(
        timezone=place.timezone,
        weekly={d: tuple(sorted(r)) for d, r in weekly.items()},
        reserved={d: tuple(r) for d, r in reserved.items()},
        special=special,
        status=place.status,
    )


def upcoming_special(place: PlaceOut, today: date) -> list[policies.SpecialDay]:
    hours = hours_of(place)
    last = date.fromordinal(today.toordinal() + SPECIAL_DAYS_HORIZON)
    return [s for d, s in sorted(hours.special.items()) if today <= d <= last]


# -- renderers ------------------------------------------------------------------------------------------


def render(channel: Channel, place: PlaceOut, today: date) -> dict[str, Any]:
    if channel == "locator":
        return render_locator(place, today)
    if channel == "jsonld":
        return render_jsonld(place, today)
    if channel == "gbp":
        return render_gbp(place, today)
    return render_csv_row(place, today)


def render_locator(place: PlaceOut, today: date) -> dict[str, Any]:
    data = place.model_dump(
        mode="json", exclude={"manager", "created_at", "updated_at", "special_days", "version"}
    )
    data["special_days"] = [s.model_dump(mode="json") for s in place.special_days if s.date >= today]
    return data


def _time(minutes: int) -> str:
    return policies.format_hhmm(minutes)


def _jsonld_weekly(place: PlaceOut) -> list[dict[str, Any]]:
    """The weekly hours, one specification per time range with the days it applies to."""
    hours = hours_of(place)
    by_range: dict[tuple[int, int], list[str]] = {}
    for day in range(7):
        for r in hours.weekly.get(day, ()):
            by_range.setdefault((r.start, r.end), []).append(SCHEMA_DAYS[day])
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": days,
            "opens": _time(start),
            # schema.org Time has no 24:00: a midnight closing is written 23:59, as search engines advise.
            "closes": _time(min(end, policies.DAY_END - 1)),
        }
        for (start, end), days in sorted(by_range.items())
    ]


def _jsonld_special(place: PlaceOut, today: date) -> list[dict[str, Any]]:
    """A closure since the status changed, then each upcoming exceptional day (closed, or its ranges)."""
    special: list[dict[str, Any]] = []
    if place.status != "open":
        special.append(
            {
                "@type": "OpeningHoursSpecification",
                "opens": "00:00",
                "closes": "00:00",
                "validFrom": place.status_since.date().isoformat(),
            }
        )
    for s in upcoming_special(place, today):
        iso = s.day.isoformat()
        if s.closed or not s.ranges:
            special.append(
                {
                    "@type": "OpeningHoursSpecification",
                    "opens": "00:00",
                    "closes": "00:00",
                    "validFrom": iso,
                    "validThrough": iso,
                }
            )
        for r in s.ranges:
            special.append(
                {
                    "@type": "OpeningHoursSpecification",
                    "opens": _time(r.start),
                    "closes": _time(min(r.end, policies.DAY_END - 1)),
                    "validFrom": iso,
                    "validThrough": iso,
                }
            )
    return special


def _jsonld_features(place: PlaceOut) -> list[dict[str, Any]]:
    return [
        {
            "@type": "LocationFeatureSpecification",
            "propertyID": f"service:{s}",
            "name": SERVICE_LABELS[s],
            "value": True,
        }
        for s in place.services
    ] + [
        {
            "@type": "LocationFeatureSpecification",
            "propertyID": f"attribute:{a}",
            "name": ATTRIBUTE_LABELS[a],
            "value": True,
        }
        for a in place.attributes
    ]


def render_jsonld(place: PlaceOut, today: date) -> dict[str, Any]:
    opening = _jsonld_weekly(place)
    special = _jsonld_special(place, today)
    features = _jsonld_features(place)
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Store",
        "@id": f"urn:comptoir:store:{place.code}",
        "branchCode": place.code,
        "name": place.name,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "\n".join(place.address.lines),
            "postalCode": place.address.postal_code,
            "addressLocality": place.address.locality,
            "addressCountry": place.address.country_code,
        },
        "geo": {"@type": "GeoCoordinates", "latitude": place.latitude, "longitude": place.longitude},
        "openingHoursSpecification": opening,
    }
    if place.address.region:
        doc["address"]["addressRegion"] = place.address.region
    if special:
        doc["specialOpeningHoursSpecification"] = special
    if features:
        doc["amenityFeature"] = features
    if place.phone:
        doc["telephone"] = place.phone
    if place.email:
        doc["email"] = place.email
    if place.website_url:
        doc["url"] = place.website_url
    return doc


def _time_of_day(minutes: int) -> dict[str, int]:
    return {"hours": minutes // 60, "minutes": minutes % 60}


def _gbp_date(d: date) -> dict[str, int]:
    return {"year": d.year, "month": d.month, "day": d.day}


def _gbp_periods(by_day: dict[int, tuple[policies.Range, ...]]) -> list[dict[str, Any]]:
    periods = []
    for day in range(7):
        for r in by_day.get(day, ()):
            # A range ending at 24:00 closes on the same day at 24:00 (TimeOfDay allows hours=24).
            periods.append(
                {
                    "openDay": GBP_DAYS[day],
                    "openTime": _time_of_day(r.start),
                    "closeDay": GBP_DAYS[day],
                    "closeTime": _time_of_day(r.end),
                }
            )
    return periods


def render_gbp(place: PlaceOut, today: date) -> dict[str, Any]:
    hours = hours_of(place)
    special_periods: list[dict[str, Any]] = []
    for s in upcoming_special(place, today):
        if s.closed or not s.ranges:
            special_periods.append({"startDate": _gbp_date(s.day), "closed": True})
        for r in s.ranges:
            special_periods.append(
                {
                    "startDate": _gbp_date(s.day),
                    "openTime": _time_of_day(r.start),
                    "endDate": _gbp_date(s.day),
                    "closeTime": _time_of_day(r.end),
                }
            )
    location: dict[str, Any] = {
        "languageCode": "fr" if place.address.country_code == "FR" else "en",
        "storeCode": place.code,
        "title": place.name,
        "categories": {"primaryCategory": {"name": GBP_CATEGORY}},
        "storefrontAddress": {
            "regionCode": place.address.country_code,
            "postalCode": place.address.postal_code,
            "locality": place.address.locality,
            "addressLines": list(place.address.lines),
        },
        "latlng": {"latitude": place.latitude, "longitude": place.longitude},
        "regularHours": {"periods": _gbp_periods(dict(hours.weekly))},
        "specialHours": {"specialHourPeriods": special_periods},
        "openInfo": {"status": GBP_OPEN_INFO[place.status]},
    }
    if place.address.region:
        location["storefrontAddress"]["administrativeArea"] = place.address.region
    if place.phone:
        location["phoneNumbers"] = {"primaryPhone": place.phone}
    if place.website_url:
        location["websiteUri"] = place.website_url
    more = []
    for audience, type_id in GBP_MORE_HOURS.items():
        by_day = {
            d: tuple(r.range for r in items if r.audience == audience) for d, items in hours.reserved.items()
        }
        periods = _gbp_periods({d: r for d, r in by_day.items() if r})
        if periods:
            more.append({"hoursTypeId": type_id, "periods": periods})
    if more:
        location["moreHours"] = more
    owned = {("service", s) for s in place.services} | {("attribute", a) for a in place.attributes}
    attributes = [{"name": name, "values": [key in owned]} for name, key in GBP_ATTRIBUTES.items()]
    return {"storeCode": place.code, "location": location, "attributes": attributes}


def render_csv_row(place: PlaceOut, today: date) -> dict[str, Any]:
    hours = hours_of(place)
    lines = [*place.address.lines, "", ""]
    return {
        "store_code": place.code,
        "kind": place.kind,
        "name": place.name,
        "status": place.status,
        "address_line_1": lines[0],
        "address_line_2": ", ".join(line for line in lines[1:] if line),
        "postal_code": place.address.postal_code,
        "locality": place.address.locality,
        "region": place.address.region,
        "country_code": place.address.country_code,
        "latitude": f"{place.latitude:.6f}",
        "longitude": f"{place.longitude:.6f}",
        "phone": place.phone or "",
        "email": place.email or "",
        "website_url": place.website_url or "",
        "timezone": place.timezone,
        "services": "|".join(place.services),
        "attributes": "|".join(place.attributes),
        "weekly_hours": policies.format_weekly(hours.weekly),
        "reserved_hours": policies.format_reserved(hours.reserved),
        "special_days": policies.format_special(upcoming_special(place, today)),
    }


# -- readers: what a channel shows, as one comparable view ------------------------------------------------


@dataclass
class View:
    """What one channel says about a place. ``None`` means the channel does not show that fact."""

    name: str | None = None
    status: str | None = None  # open | temporarily_closed | permanently_closed | closed (cannot tell which)
    weekly: dict[int, str] | None = None  # day → "09:00-12:00,14:00-19:00"
    special: dict[date, str] | None = None  # date → "closed" or ranges
    services: set[str] | None = None
    services_shown: frozenset[str] = frozenset(policies.SERVICES)
    phone: str | None = None
    address: tuple[str, str] | None = None  # (postcode, locality)
    location: tuple[float, float] | None = None
    problems: list[str] = field(default_factory=list)


def _weekly_text(by_day: dict[int, list[policies.Range]]) -> dict[int, str]:
    return {d: ",".join(r.text for r in policies.merge(rs)) for d, rs in by_day.items() if rs}


def _parse_time(text: str) -> int:
    minutes = policies.parse_hhmm(text[:5])
    return policies.DAY_END if minutes == policies.DAY_END - 1 else minutes  # 23:59 is midnight


def read(channel: Channel, payload: dict[str, Any]) -> View:
    try:
        if channel == "locator":
            return read_locator(payload)
        if channel == "jsonld":
            return read_jsonld(payload)
        if channel == "gbp":
            return read_gbp(payload)
        return read_csv_row(payload)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return View(problems=[f"{type(exc).__name__}: {exc}"])


def read_locator(payload: dict[str, Any]) -> View:
    weekly: dict[int, list[policies.Range]] = {}
    for w in payload["hours"]["weekly"]:
        weekly.setdefault(policies.WEEKDAYS.index(w["day"]), []).append(
            policies.Range.parse(w["opens"], w["closes"])
        )
    special = {}
    for s in payload.get("special_days", []):
        ranges = [policies.Range.parse(r["opens"], r["closes"]) for r in s.get("ranges", [])]
        special[date.fromisoformat(s["date"])] = (
            "closed" if s["closed"] or not ranges else ",".join(r.text for r in policies.merge(ranges))
        )
    return View(
        name=payload["name"],
        status=payload["status"],
        weekly=_weekly_text(weekly),
        special=special,
        services=set(payload["services"]),
        phone=payload.get("phone"),
        address=(payload["address"]["postal_code"], payload["address"]["locality"]),
        location=(float(payload["latitude"]), float(payload["longitude"])),
    )


def read_jsonld(payload: dict[str, Any]) -> View:
    weekly: dict[int, list[policies.Range]] = {}
    for spec in payload.get("openingHoursSpecification", []):
        days = spec["dayOfWeek"]
        for day in [days] if isinstance(days, str) else days:
            index = SCHEMA_DAYS.index(day if day.startswith("https://") else f"https://schema.org/{day}")
            weekly.setdefault(index, []).append(
                policies.Range(_parse_time(spec["opens"]), _parse_time(spec["closes"]))
            )
    status = "open"
    special_ranges: dict[date, list[policies.Range]] = {}
    for spec in payload.get("specialOpeningHoursSpecification", []):
        closed = spec["opens"][:5] == "00:00" and spec["closes"][:5] == "00:00"
        if "validThrough" not in spec:
            if closed:
                status = "closed"
            continue
        day = date.fromisoformat(spec["validFrom"][:10])
        if closed:
            special_ranges.setdefault(day, [])
        else:
            special_ranges.setdefault(day, []).append(
                policies.Range(_parse_time(spec["opens"]), _parse_time(spec["closes"]))
            )
    services = {
        f["propertyID"].split(":", 1)[1]
        for f in payload.get("amenityFeature", [])
        if str(f.get("propertyID", "")).startswith("service:") and f.get("value") is True
    }
    address = payload["address"]
    return View(
        name=payload["name"],
        status=status,
        weekly=_weekly_text(weekly),
        special={
            d: ",".join(r.text for r in policies.merge(rs)) if rs else "closed"
            for d, rs in special_ranges.items()
        },
        services=services,
        phone=payload.get("telephone"),
        address=(address["postalCode"], address["addressLocality"]),
        location=(float(payload["geo"]["latitude"]), float(payload["geo"]["longitude"])),
    )


def _from_time_of_day(t: dict[str, Any]) -> int:
    return int(t.get("hours", 0)) * 60 + int(t.get("minutes", 0))


def read_gbp(payload: dict[str, Any]) -> View:
    location = payload["location"]
    weekly: dict[int, list[policies.Range]] = {}
    for p in location.get("regularHours", {}).get("periods", []):
        day = GBP_DAYS.index(p["openDay"])
        close_day = GBP_DAYS.index(p.get("closeDay", p["openDay"]))
        end = _from_time_of_day(p["closeTime"]) + (policies.DAY_END if close_day != day else 0)
        weekly.setdefault(day, []).append(
            policies.Range(_from_time_of_day(p["openTime"]), min(end, policies.DAY_END))
        )
    special_ranges: dict[date, list[policies.Range]] = {}
    for p in location.get("specialHours", {}).get("specialHourPeriods", []):
        start = p["startDate"]
        on = date(int(start["year"]), int(start["month"]), int(start["day"]))
        if p.get("closed"):
            special_ranges.setdefault(on, [])
        else:
            special_ranges.setdefault(on, []).append(
                policies.Range(_from_time_of_day(p["openTime"]), _from_time_of_day(p["closeTime"]))
            )
    statuses = {v: k for k, v in GBP_OPEN_INFO.items()}
    values = {a["name"]: bool(a.get("values", [False])[0]) for a in payload.get("attributes", [])}
    services = {key for name, (kind, key) in GBP_ATTRIBUTES.items() if kind == "service" and values.get(name)}
    address = location["storefrontAddress"]
    return View(
        name=location["title"],
        status=statuses[location.get("openInfo", {}).get("status", "OPEN")],
        weekly=_weekly_text(weekly),
        special={
            d: ",".join(r.text for r in policies.merge(rs)) if rs else "closed"
            for d, rs in special_ranges.items()
        },
        services=services,
        services_shown=GBP_SERVICES,
        phone=location.get("phoneNumbers", {}).get("primaryPhone"),
        address=(address["postalCode"], address["locality"]),
        location=(float(location["latlng"]["latitude"]), float(location["latlng"]["longitude"])),
    )


def read_csv_row(payload: dict[str, Any]) -> View:
    weekly = policies.parse_weekly(payload["weekly_hours"])
    special = {
        s.day: "closed" if s.closed or not s.ranges else ",".join(r.text for r in s.ranges)
        for s in policies.parse_special(payload.get("special_days", ""))
    }
    return View(
        name=payload["name"],
        status=payload["status"],
        weekly={d: ",".join(r.text for r in rs) for d, rs in weekly.items()},
        special=special,
        services={s for s in payload.get("services", "").split("|") if s},
        phone=payload.get("phone") or None,
        address=(payload["postal_code"], payload["locality"]),
        location=(float(payload["latitude"]), float(payload["longitude"])),
    )


# -- comparison -------------------------------------------------------------------------------------------

LOCATION_TOLERANCE_KM = 0.05


def compare(expected: View, shown: View, today: date) -> list[tuple[str, str, Any, Any]]:
    """Contradictions as (kind, field, expected, shown), in a stable order."""
    if shown.problems:
        return [("unreadable", "payload", None, "; ".join(shown.problems))]
    out: list[tuple[str, str, Any, Any]] = []
    if expected.name != shown.name:
        out.append(("wrong_name", "name", expected.name, shown.name))
    if expected.status != shown.status:
        if expected.status == "open":
            out.append(("closed_while_open", "status", expected.status, shown.status))
        elif shown.status == "open":
            out.append(("open_while_closed", "status", expected.status, shown.status))
        else:
            out.append(("wrong_status", "status", expected.status, shown.status))
    for day in range(7):
        want = (expected.weekly or {}).get(day, "closed")
        got = (shown.weekly or {}).get(day, "closed")
        if want != got:
            out.append(("wrong_hours", f"hours/{policies.WEEKDAYS[day]}", want, got))
    exp_special = {d: v for d, v in (expected.special or {}).items() if d >= today}
    got_special = {d: v for d, v in (shown.special or {}).items() if d >= today}
    for on in sorted(set(exp_special) | set(got_special)):
        want_day = exp_special.get(on, (expected.weekly or {}).get(on.weekday(), "closed") + " (regular)")
        got_day = got_special.get(on, (shown.weekly or {}).get(on.weekday(), "closed") + " (regular)")
        if want_day != got_day:
            out.append(("wrong_special_hours", f"special_days/{on.isoformat()}", want_day, got_day))
    if expected.services is not None and shown.services is not None:
        for service in sorted((expected.services - shown.services) & shown.services_shown):
            out.append(("missing_service", f"services/{service}", True, False))
        for service in sorted((shown.services - expected.services) & shown.services_shown):
            out.append(("unexpected_service", f"services/{service}", False, True))
    if expected.phone != shown.phone:
        out.append(("wrong_phone", "phone", expected.phone, shown.phone))
    if expected.address != shown.address:
        out.append(("wrong_address", "address", list(expected.address or ()), list(shown.address or ())))
    if expected.location and shown.location:
        gap = distance_km(*expected.location, *shown.location)
        if gap > LOCATION_TOLERANCE_KM:
            out.append(("wrong_location", "location", list(expected.location), list(shown.location)))
    return out

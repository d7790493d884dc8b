"""Demo places: 22 stores across France (one in La Réunion), two warehouses and three pickup points.

Ids are stable (``st_paris_rivoli``…) so demo API keys can be bound to ``store:<id>``. Coordinates are
those of the streets named; exceptional days are computed from the day the demo is loaded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.stores import bulk, service
from comptoir.stores.models import Place
from comptoir.stores.schemas import CloseIn, PlaceIn

PARIS = "Mo-Sa 10:00-19:30"
TOURIST = "Mo-Sa 10:00-20:00; Su 11:00-19:00"
REGIONAL = "Mo 14:00-19:00; Tu-Sa 10:00-19:00"
LUNCH = "Mo-Sa 09:30-12:30,14:30-19:00"
WAREHOUSE = "Mo-Fr 06:00-22:00; Sa 06:00-14:00"
ALWAYS = "Mo-Su 00:00-24:00"
BASE = ["click_and_collect", "reserve_and_collect", "returns"]
FLAGSHIP = [*BASE, "ship_from_store", "appointments"]

# id, name, street, postcode, locality, region, lat, lon, phone, hours, services, attributes
STORES: list[tuple[Any, ...]] = [
    (
        "st_paris_rivoli",
        "Comptoir Paris Rivoli",
        "112 rue de Rivoli",
        "75001",
        "Paris",
        "Île-de-France",
        48.8600,
        2.3430,
        "01 42 60 12 34",
        TOURIST,
        [*FLAGSHIP, "live_video_studio"],
        ["wheelchair_accessible", "accessible_toilets"],
    ),
    (
        "st_paris_rennes",
        "Comptoir Paris Rue de Rennes",
        "68 rue de Rennes",
        "75006",
        "Paris",
        "Île-de-France",
        48.8490,
        2.3290,
        "01 45 48 22 10",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible"],
    ),
    (
        "st_paris_bastille",
        "Comptoir Paris Bastille",
        "25 rue du Faubourg Saint-Antoine",
        "75011",
        "Paris",
        "Île-de-France",
        48.8525,
        2.3720,
        "01 43 44 31 07",
        PARIS,
        BASE,
        [],
    ),
    (
        "st_boulogne",
        "Comptoir Boulogne",
        "70 boulevard Jean Jaurès",
        "92100",
        "Boulogne-Billancourt",
        "Île-de-France",
        48.8370,
        2.2400,
        "01 46 05 18 90",
        PARIS,
        [*BASE, "ship_from_store"],
        ["parking"],
    ),
    (
        "st_versailles",
        "Comptoir Versailles",
        "12 rue de la Paroisse",
        "78000",
        "Versailles",
        "Île-de-France",
        48.8055,
        2.1300,
        "01 39 50 27 64",
        REGIONAL,
        BASE,
        ["wheelchair_accessible"],
    ),
    (
        "st_lille_centre",
        "Comptoir Lille Centre",
        "31 rue Neuve",
        "59800",
        "Lille",
        "Hauts-de-France",
        50.6370,
        3.0640,
        "03 20 57 41 22",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible", "accessible_toilets"],
    ),
    (
        "st_rouen",
        "Comptoir Rouen",
        "45 rue du Gros-Horloge",
        "76000",
        "Rouen",
        "Normandie",
        49.4405,
        1.0930,
        "02 35 70 11 48",
        REGIONAL,
        BASE,
        [],
    ),
    (
        "st_rennes",
        "Comptoir Rennes",
        "10 rue Le Bastard",
        "35000",
        "Rennes",
        "Bretagne",
        48.1115,
        -1.6800,
        "02 99 79 30 56",
        REGIONAL,
        [*BASE, "ship_from_store"],
        ["wheelchair_accessible"],
    ),
    (
        "st_nantes",
        "Comptoir Nantes",
        "8 rue Crébillon",
        "44000",
        "Nantes",
        "Pays de la Loire",
        47.2135,
        -1.5600,
        "02 40 48 62 15",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible"],
    ),
    (
        "st_bordeaux",
        "Comptoir Bordeaux Sainte-Catherine",
        "120 rue Sainte-Catherine",
        "33000",
        "Bordeaux",
        "Nouvelle-Aquitaine",
        44.8390,
        -0.5740,
        "05 56 44 20 39",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible", "accessible_toilets"],
    ),
    (
        "st_toulouse",
        "Comptoir Toulouse Capitole",
        "22 rue d'Alsace-Lorraine",
        "31000",
        "Toulouse",
        "Occitanie",
        43.6040,
        1.4450,
        "05 61 21 54 80",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible"],
    ),
    (
        "st_montpellier",
        "Comptoir Montpellier",
        "5 rue de la Loge",
        "34000",
        "Montpellier",
        "Occitanie",
        43.6100,
        3.8770,
        "04 67 60 35 12",
        REGIONAL,
        BASE,
        [],
    ),
    (
        "st_marseille",
        "Comptoir Marseille Canebière",
        "50 La Canebière",
        "13001",
        "Marseille",
        "Provence-Alpes-Côte d'Azur",
        43.2975,
        5.3790,
        "04 91 54 70 26",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible"],
    ),
    (
        "st_nice",
        "Comptoir Nice Jean Médecin",
        "30 avenue Jean Médecin",
        "06000",
        "Nice",
        "Provence-Alpes-Côte d'Azur",
        43.7010,
        7.2680,
        "04 93 87 14 63",
        TOURIST,
        [*BASE, "appointments"],
        ["wheelchair_accessible"],
    ),
    (
        "st_lyon_republique",
        "Comptoir Lyon République",
        "60 rue de la République",
        "69002",
        "Lyon",
        "Auvergne-Rhône-Alpes",
        45.7620,
        4.8360,
        "04 78 42 05 17",
        PARIS,
        [*FLAGSHIP, "live_video_studio"],
        ["wheelchair_accessible", "accessible_toilets"],
    ),
    (
        "st_lyon_part_dieu",
        "Comptoir Lyon Part-Dieu",
        "17 rue du Docteur Bouchut",
        "69003",
        "Lyon",
        "Auvergne-Rhône-Alpes",
        45.7610,
        4.8570,
        "04 72 34 18 95",
        "Mo-Sa 09:30-20:00",
        [*BASE, "ship_from_store", "drive"],
        ["wheelchair_accessible", "parking", "ev_charging"],
    ),
    (
        "st_grenoble",
        "Comptoir Grenoble",
        "9 rue Félix Poulat",
        "38000",
        "Grenoble",
        "Auvergne-Rhône-Alpes",
        45.1900,
        5.7260,
        "04 76 46 33 21",
        REGIONAL,
        BASE,
        [],
    ),
    (
        "st_strasbourg",
        "Comptoir Strasbourg",
        "15 rue des Grandes Arcades",
        "67000",
        "Strasbourg",
        "Grand Est",
        48.5830,
        7.7470,
        "03 88 32 56 74",
        PARIS,
        FLAGSHIP,
        ["wheelchair_accessible"],
    ),
    (
        "st_dijon",
        "Comptoir Dijon",
        "40 rue de la Liberté",
        "21000",
        "Dijon",
        "Bourgogne-Franche-Comté",
        47.3220,
        5.0380,
        "03 80 30 47 52",
        REGIONAL,
        BASE,
        [],
    ),
    (
        "st_tours",
        "Comptoir Tours",
        "60 rue Nationale",
        "37000",
        "Tours",
        "Centre-Val de Loire",
        47.3930,
        0.6880,
        "02 47 05 66 38",
        REGIONAL,
        [*BASE, "ship_from_store"],
        ["wheelchair_accessible"],
    ),
    (
        "st_ajaccio",
        "Comptoir Ajaccio",
        "20 cours Napoléon",
        "20000",
        "Ajaccio",
        "Corse",
        41.9210,
        8.7380,
        "04 95 21 37 40",
        LUNCH,
        BASE,
        [],
    ),
    (
        "st_saint_denis_reunion",
        "Comptoir Saint-Denis",
        "35 rue Jean Chatel",
        "97400",
        "Saint-Denis",
        "La Réunion",
        -20.8800,
        55.4500,
        "+262 262 21 45 67",
        "Mo-Sa 09:00-18:30",
        BASE,
        ["wheelchair_accessible"],
    ),
]
WAREHOUSES: list[tuple[Any, ...]] = [
    (
        "wh_lyon_saint_priest",
        "Entrepôt Lyon Saint-Priest",
        "12 rue du Progrès",
        "69800",
        "Saint-Priest",
        "Auvergne-Rhône-Alpes",
        45.7000,
        4.9400,
        "04 72 23 80 00",
    ),
    (
        "wh_orleans_saran",
        "Entrepôt Orléans Saran",
        "400 rue de la Bergeresse",
        "45770",
        "Saran",
        "Centre-Val de Loire",
        47.9500,
        1.8750,
        "02 38 73 40 00",
    ),
]
PICKUP_POINTS: list[tuple[Any, ...]] = [
    (
        "pp_paris_gare_de_lyon",
        "Point retrait Paris Gare de Lyon",
        "Place Louis-Armand",
        "75012",
        "Paris",
        "Île-de-France",
        48.8443,
        2.3743,
    ),
    (
        "pp_lyon_perrache",
        "Point retrait Lyon Perrache",
        "14 cours de Verdun Perrache",
        "69002",
        "Lyon",
        "Auvergne-Rhône-Alpes",
        45.7490,
        4.8260,
    ),
    (
        "pp_lille_europe",
        "Point retrait Lille Europe",
        "Parvis de Rotterdam",
        "59000",
        "Lille",
        "Hauts-de-France",
        50.6390,
        3.0750,
    ),
]
SENIOR_HOURS = "Tu-Th 09:30-10:00 seniors"  # the first half hour kept for seniors (as in spring 2020)


def _next(month: int, day: int, today: date) -> date:
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _place(
    ident: str,
    kind: str,
    name: str,
    street: str,
    postcode: str,
    locality: str,
    region: str,
    lat: float,
    lon: float,
    *,
    phone: str | None,
    weekly: str,
    reserved: str = "",
    services: list[str],
    attributes: list[str],
    special: str,
) -> PlaceIn:
    return PlaceIn.model_validate(
        {
            "id": ident,
            "code": ident.split("_", 1)[1].upper().replace("_", "-"),
            "kind": kind,
            "name": name,
            "address": {"lines": [street], "postal_code": postcode, "locality": locality, "region": region},
            "latitude": lat,
            "longitude": lon,
            "phone": phone,
            "email": f"{ident.split('_', 1)[1].replace('_', '-')}@comptoir.example",
            "manager": None,
            "services": services,
            "attributes": attributes,
            "hours": bulk.hours_from_text(weekly, reserved).model_dump(),
            "special_days": [d.model_dump(mode="json") for d in bulk.special_from_text(special)],
        }
    )


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.get(Place, "st_paris_rivoli") is not None:
        return
    today = clock.now().date()
    christmas, new_year = _next(12, 25, today), _next(1, 1, today)
    _load_stores(uow, today, christmas, new_year)
    _load_warehouses_and_pickup_points(uow, christmas, new_year)
    rouen = service.get_place(uow, "st_rouen")
    service.set_status(uow, rouen.id, CloseIn(reason="Travaux de rénovation"), expected_version=rouen.version)


def _load_stores(uow: UnitOfWork, today: date, christmas: date, new_year: date) -> None:
    holidays = f"{christmas - timedelta(days=1)} 10:00-17:00; {christmas} closed; {new_year} closed"
    strike = today + timedelta(days=10)
    for (
        ident,
        name,
        street,
        postcode,
        locality,
        region,
        lat,
        lon,
        phone,
        weekly,
        services,
        attributes,
    ) in STORES:
        special = holidays
        if ident == "st_marseille":
            special += f"; {strike} closed"
        if ident == "st_nice":
            special += f"; {today + timedelta(days=(6 - today.weekday()) % 7 + 7)} 11:00-18:00"
        reserved = SENIOR_HOURS if ident in ("st_versailles", "st_rennes", "st_dijon") else ""
        weekly_text = weekly.replace("10:00", "09:30", 1) if reserved else weekly
        place = _place(
            ident,
            "store",
            name,
            street,
            postcode,
            locality,
            region,
            lat,
            lon,
            phone=phone,
            weekly=weekly_text,
            reserved=reserved,
            services=services,
            attributes=attributes,
            special=special,
        )
        service.create_place(uow, place)


def _load_warehouses_and_pickup_points(uow: UnitOfWork, christmas: date, new_year: date) -> None:
    for ident, name, street, postcode, locality, region, lat, lon, phone in WAREHOUSES:
        service.create_place(
            uow,
            _place(
                ident,
                "warehouse",
                name,
                street,
                postcode,
                locality,
                region,
                lat,
                lon,
                phone=phone,
                weekly=WAREHOUSE,
                services=["ship_from_store"],
                attributes=["parking"],
                special=f"{christmas} closed; {new_year} closed",
            ),
        )
    for ident, name, street, postcode, locality, region, lat, lon in PICKUP_POINTS:
        service.create_place(
            uow,
            _place(
                ident,
                "pickup_point",
                name,
                street,
                postcode,
                locality,
                region,
                lat,
                lon,
                phone=None,
                weekly=ALWAYS,
                services=["click_and_collect", "returns"],
                attributes=["wheelchair_accessible"],
                special="",
            ),
        )

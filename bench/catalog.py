"""Catalogue benchmark: import 100k variants with `comptoir import catalog`, then search that catalogue.

For each database (SQLite in a temporary file; PostgreSQL when one answers):

1. migrate a fresh database and create a fashion-and-home taxonomy (families, attributes, categories);
2. write a CSV of N variants (5 sizes of N/5 products: French and English names and descriptions,
   brands, compositions, facet attributes) and import it with the real command,
   ``python -m comptoir.cli import catalog FILE``, in a child process: wall time and that process's
   peak resident memory (``ru_maxrss``);
3. run a mix of searches through ``service.search`` (words, prefixes, English, brand/category/colour
   facets, browsing a category) with a warm-up, and report p50/p95/max latency and the result sizes.
   Facet counts are exact up to 1,000 matches and estimated from an even sample beyond (the
   queries concerned are counted). The baseline in the same run is one SQLAlchemy Core point
   select (the floor of any query).

    .venv/bin/python bench/catalog.py            # 100,000 variants
    .venv/bin/python bench/catalog.py --quick    # 10,000 variants
    .venv/bin/python bench/catalog.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Targets (issue 4): 100k variants imported in under 2 minutes; search p95 under 30 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select, text  # noqa: E402

from bench._db import reachable, scratch_database, server_url  # noqa: E402
from comptoir.catalog import service  # noqa: E402
from comptoir.catalog.models import Variant  # noqa: E402
from comptoir.catalog.policies import fold, gtin_check_digit  # noqa: E402
from comptoir.catalog.schemas import (  # noqa: E402
    AttributeIn,
    CategoryIn,
    FamilyAttribute,
    FamilyIn,
    SearchQuery,
)
from comptoir.core.db import Database  # noqa: E402
from comptoir.core.migrate import upgrade  # noqa: E402
from comptoir.core.uow import UnitOfWork  # noqa: E402

# (code, French, English, parent code, family)
KINDS = [
    ("robe", "Robe", "Dress", "femme", "clothing"),
    ("chemise", "Chemise", "Shirt", "homme", "clothing"),
    ("chemisier", "Chemisier", "Blouse", "femme", "clothing"),
    ("pull", "Pull", "Jumper", "femme", "clothing"),
    ("gilet", "Gilet", "Cardigan", "homme", "clothing"),
    ("jean", "Jean", "Jeans", "homme", "clothing"),
    ("pantalon", "Pantalon", "Trousers", "homme", "clothing"),
    ("jupe", "Jupe", "Skirt", "femme", "clothing"),
    ("veste", "Veste", "Jacket", "homme", "clothing"),
    ("manteau", "Manteau", "Coat", "femme", "clothing"),
    ("tshirt", "T-shirt", "T-shirt", "homme", "clothing"),
    ("echarpe", "Écharpe", "Scarf", "femme", "clothing"),
    ("coussin", "Coussin", "Cushion", "maison", "home"),
    ("plaid", "Plaid", "Throw", "maison", "home"),
    ("nappe", "Nappe", "Tablecloth", "maison", "home"),
    ("housse", "Housse de couette", "Duvet cover", "maison", "home"),
    ("serviette", "Serviette de bain", "Bath towel", "maison", "home"),
    ("rideau", "Rideau", "Curtain", "maison", "home"),
    ("tapis", "Tapis", "Rug", "maison", "home"),
    ("vase", "Vase", "Vase", "maison", "home"),
]
MATERIALS = [
    ("lin", "linen"),
    ("coton", "cotton"),
    ("laine", "wool"),
    ("soie", "silk"),
    ("cachemire", "cashmere"),
    ("velours", "velvet"),
    ("denim", "denim"),
    ("gaze de coton", "cotton gauze"),
    ("chanvre", "hemp"),
    ("viscose", "viscose"),
]
STYLES = [
    ("rayé", "striped"),
    ("uni", "plain"),
    ("brodé", "embroidered"),
    ("imprimé fleuri", "floral print"),
    ("à carreaux", "checked"),
    ("côtelé", "ribbed"),
    ("délavé", "washed"),
    ("matelassé", "quilted"),
]
COLOURS = [
    "bleu",
    "rouge",
    "vert",
    "noir",
    "blanc",
    "écru",
    "beige",
    "kaki",
    "marine",
    "rose",
    "ocre",
    "gris",
]
BRANDS = [
    "Atelier Rivage",
    "Maison Comptoir",
    "Les Tisserands",
    "Boréale",
    "Petit Bateau Bleu",
    "Sud Lumière",
    "Nord Atelier",
    "Linge Particulier",
    "Fil d'Ariane",
    "Côté Jardin",
    "Belle Île",
    "Trois Saisons",
]
SIZES = {"clothing": ["XS", "S", "M", "L", "XL"], "home": ["40x40", "50x50", "140x200", "240x260", "unique"]}
SEASONS = ["printemps-ete", "automne-hiver", "permanent"]

QUERIES = [
    ("robe", {}, "fr_FR"),
    ("robe lin", {}, "fr_FR"),
    ("chemise coton rayee", {}, "fr_FR"),
    ("chem", {}, "fr_FR"),
    ("coussin velours", {}, "fr_FR"),
    ("plaid laine", {}, "fr_FR"),
    ("ecru", {}, "fr_FR"),
    ("brode", {}, "fr_FR"),
    ("linen dress", {}, "en_GB"),
    ("striped shirt", {}, "en_GB"),
    ("wool", {}, "en_GB"),
    ("pull", {"brand": ["Boréale"]}, "fr_FR"),
    ("", {"brand": ["Atelier Rivage"]}, "fr_FR"),
    ("", {"colour": ["marine"]}, "fr_FR"),
    ("veste", {"season": ["automne-hiver"]}, "fr_FR"),
    ("housse couette", {}, "fr_FR"),
    ("cachemire", {"colour": ["noir", "gris"]}, "fr_FR"),
]


def gtin(n: int) -> str:
    body = f"376{n:09d}"
    return body + str(gtin_check_digit(body))


def build_taxonomy(db: Database) -> list[str]:
    """Families, attributes and categories; returns the leaf category codes."""
    with UnitOfWork(db) as uow:
        service.create_attribute(uow, AttributeIn(code="season", type="enum", options=SEASONS, facet=True))
        service.create_attribute(uow, AttributeIn(code="organic", type="boolean", facet=True))
        service.create_attribute(uow, AttributeIn(code="care", type="localised_text"))
        service.create_attribute(uow, AttributeIn(code="length", type="number", unit_kind="length"))
        service.create_family(
            uow,
            FamilyIn(
                code="clothing",
                attributes=[
                    FamilyAttribute(code="season", required_channels=["web"]),
                    FamilyAttribute(code="organic"),
                    FamilyAttribute(code="care", required_channels=["*"]),
                    FamilyAttribute(code="length"),
                ],
            ),
        )
        service.create_family(
            uow,
            FamilyIn(code="home", attributes=[FamilyAttribute(code="organic"), FamilyAttribute(code="care")]),
        )
        for code, fr, en in [
            ("femme", "Femme", "Women"),
            ("homme", "Homme", "Men"),
            ("maison", "Maison", "Home"),
        ]:
            service.create_category(uow, CategoryIn(code=code, name={"fr_FR": fr, "en_GB": en}))
        leaves = []
        for code, fr, en, parent, _ in KINDS:
            service.create_category(
                uow, CategoryIn(code=f"{parent}-{code}", name={"fr_FR": fr, "en_GB": en}, parent_code=parent)
            )
            leaves.append(f"{parent}-{code}")
        uow.commit()
    return leaves


def write_catalogue(path: Path, variants: int, seed: int = 4) -> None:
    """``variants`` rows: products of five sizes each, in the columns of `comptoir catalog export`."""
    rng = random.Random(seed)
    header = [
        "product_code", "family", "category", "brand", "origin", "tax_class", "status",
        "name-fr_FR", "name-en_GB", "description-fr_FR", "description-en_GB", "composition", "labels",
        "axes", "attr-season", "attr-organic", "attr-care-fr_FR", "attr-care-en_GB",
        "sku", "gtin", "size", "colour", "weight",
    ]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        n = 0
        product = 0
        while n < variants:
            product += 1
            code, kind_fr, kind_en, parent, family = rng.choice(KINDS)
            (mat_fr, mat_en), (style_fr, style_en) = rng.choice(MATERIALS), rng.choice(STYLES)
            colour = rng.choice(COLOURS)
            brand = rng.choice(BRANDS)
            name_fr = f"{kind_fr} {style_fr} en {mat_fr}"
            name_en = f"{style_en.capitalize()} {mat_en} {kind_en.lower()}"
            description_fr = (
                f"{kind_fr} {style_fr} en {mat_fr}, coloris {colour}, signé {brand}. "
                f"Confectionné avec soin, facile à vivre et à entretenir."
            )
            description_en = (
                f"{name_en} in {colour} by {brand}. Carefully made, easy to live with and to care for."
            )
            product_row = [
                f"P{product:06d}", family, f"{parent}-{code}", brand, "FR", "standard", "active",
                name_fr, name_en, description_fr, description_en, f"{mat_fr}:100",
                "OEKO-TEX" if rng.random() < 0.3 else "", "size|colour",
                rng.choice(SEASONS) if family == "clothing" else "",
                "true" if rng.random() < 0.2 else "false",
                "Lavage 30°", "Wash at 30°",
            ]  # fmt: skip
            for size in SIZES[family]:
                if n >= variants:
                    break
                n += 1
                sku = f"P{product:06d}-{size}-{fold(colour)[:3].upper()}"
                writer.writerow([*product_row, sku, gtin(n), size, colour, f"{rng.randint(150, 2500)} g"])


def import_with_cli(url: str, path: Path) -> tuple[float, float, str]:
    """Run `comptoir import catalog` in a child process: (seconds, peak RSS in MB, last output line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(
        {"COMPTOIR_DATABASE_URL": url, "COMPTOIR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT / "src")}
    )
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "comptoir.cli", "import", "catalog", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed:\n{out}\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[-1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_search(db: Database, leaves: list[str], rounds: int) -> dict[str, float]:
    queries = [*QUERIES]
    for leaf in leaves[:6]:
        queries.append(("", {"category": [leaf]}, "fr_FR"))
    queries.append(("", {"category": ["maison"]}, "fr_FR"))
    timings: list[float] = []
    totals: list[int] = []
    estimated = 0
    with UnitOfWork(db, read_only=True) as uow:
        for q, filters, locale in queries:  # warm-up: caches, prepared plans
            service.search(uow, SearchQuery(q=q, filters=filters, locale=locale))
        for _ in range(rounds):
            for q, filters, locale in queries:
                started = time.perf_counter()
                result = service.search(uow, SearchQuery(q=q, filters=filters, locale=locale))
                timings.append((time.perf_counter() - started) * 1000)
                totals.append(result.total)
                estimated += not result.facets_exhaustive
        started = time.perf_counter()
        for i in range(500):
            uow.session.execute(select(Variant.sku).where(Variant.sku == f"P{i:06d}-M-BLE")).first()
        point_ms = (time.perf_counter() - started) * 1000 / 500
    return {
        "search_queries": len(timings),
        "search_p50_ms": statistics.median(timings),
        "search_p95_ms": percentile(timings, 0.95),
        "search_max_ms": max(timings),
        "search_median_hits": statistics.median(totals),
        "search_max_hits": max(totals),
        "search_queries_with_estimated_facets": estimated,
        "baseline_point_select_ms": point_ms,
    }


def run(name: str, url: str, variants: int, rounds: int, workdir: Path) -> None:
    upgrade(url)
    db = Database(url)
    leaves = build_taxonomy(db)
    path = workdir / f"catalogue-{name}.csv"
    write_catalogue(path, variants)
    seconds, rss_mb, summary = import_with_cli(url, path)
    with UnitOfWork(db, read_only=True) as uow:
        imported = uow.session.execute(text("SELECT count(*) FROM catalog_variants")).scalar_one()
    print(f"{name}.import_variants: {imported}")
    print(f"{name}.import_seconds: {seconds:.1f}")
    print(f"{name}.import_variants_per_second: {imported / seconds:.0f}")
    print(f"{name}.import_peak_rss_mb: {rss_mb:.0f}")
    print(f"{name}.import_summary: {summary}")
    for key, value in bench_search(db, leaves, rounds).items():
        print(f"{name}.{key}: {value:.2f}" if isinstance(value, float) else f"{name}.{key}: {value}")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 variants instead of 100,000")
    parser.add_argument("--variants", type=int, default=None)
    parser.add_argument(
        "--pg",
        default=os.environ.get(
            "COMPTOIR_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="A PostgreSQL server to create a scratch database on ('' to skip)",
    )
    args = parser.parse_args()
    variants = args.variants or (10_000 if args.quick else 100_000)
    rounds = 5 if args.quick else 10
    print(f"variants: {variants}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run("sqlite", f"sqlite:///{workdir / 'bench.db'}", variants, rounds, workdir)
        if args.pg and not reachable(server_url(args.pg)):
            print("postgresql: skipped (the server does not answer)")
        elif args.pg:
            with scratch_database(args.pg, label="bench_catalog", migrate=False) as url:
                run("postgresql", url, variants, rounds, workdir)


if __name__ == "__main__":
    main()

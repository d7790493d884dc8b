"""Load the demo retailer's catalogue: taxonomy, ~300 products with sizes and colours in French and
English, pictures drawn with Pillow, PDF care guides and assembly plans, usage rights (a campaign
licensed for the web until soon), relations, and publication on every channel where complete.

Products go through the importer (one bulk path, as a retailer's PIM feed would); pictures and
documents through ``upload_asset`` so the worker makes the renditions. Skipped when already loaded.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from comptoir.catalog import demo_data as data
from comptoir.catalog import policies, service
from comptoir.catalog.importer import Importer
from comptoir.catalog.models import Category, Product
from comptoir.catalog.schemas import AssetIn, BulkPublicationIn, CategoryIn, RelationsIn, RightsIn
from comptoir.catalog.storage import Storage, storage_for
from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork

GTIN_PREFIX = "376123"  # a made-up French GS1 company prefix
PRODUCTS_PER_TEMPLATE = 15


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Category.id).where(Category.code == "femme")) is not None:
        return
    for attribute in data.ATTRIBUTES:
        service.create_attribute(uow, attribute)
    for family in data.FAMILIES:
        service.create_family(uow, family)
    for code, fr, en, parent in data.CATEGORIES:
        service.create_category(
            uow, CategoryIn(code=code, name={"fr_FR": fr, "en_GB": en}, parent_code=parent)
        )
    rng = random.Random(2026)
    rows, pictures = _rows(rng)
    importer = Importer()
    for chunk in Importer.chunks(rows):
        importer.apply(uow, chunk)
    report = importer.finish(uow)
    if report.errors:  # the demo data is ours: a refused row is a bug in it
        raise RuntimeError(f"demo catalogue rows refused: {report.errors[:3]}")
    codes = {p.code: p.id for p in uow.session.execute(select(Product.code, Product.id))}
    storage = storage_for(settings)
    _pictures(uow, storage, codes, pictures, rng)
    _documents(uow, storage, codes)
    _relations(uow, codes, rng)
    service.publish_where_complete(
        uow,
        BulkPublicationIn(
            channels=["web", "app", "store", "call-centre", "live"], locales=list(policies.LOCALES)
        ),
    )


def _gtin(n: int) -> str:
    body = f"{GTIN_PREFIX}{n:06d}"
    return body + str(policies.gtin_check_digit(body))


def _rows(rng: random.Random) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[str, str, str, str]]]:
    """Import rows (one per variant), and the pictures to draw: (product code, shape, colour, brand)."""
    rows: list[tuple[int, dict[str, Any]]] = []
    pictures: list[tuple[str, str, str, str]] = []
    serial = 0
    for t_index, (category, family, shape, noun_fr, noun_en, materials, sizes, attributes) in enumerate(
        data.TEMPLATES
    ):
        for n in range(PRODUCTS_PER_TEMPLATE):
            mat_fr, mat_en, composition, organic = materials[n % len(materials)]
            style_fr, style_en = data.STYLES[(n + t_index) % len(data.STYLES)]
            brand = data.BRANDS[(n * 7 + t_index) % len(data.BRANDS)]
            colours = rng.sample(sorted(data.COLOURS), 2 if n % 3 else 3)
            code = f"{policies.fold(noun_fr)[:3].upper()}{t_index:02d}{n:02d}"
            gender = data.NOUN_GENDERS[noun_fr]
            name_fr = f"{noun_fr} {data.agree(style_fr, gender)} en {mat_fr}"
            name_en = f"{style_en.capitalize()} {mat_en} {noun_en.lower()}"
            status = (
                "draft"
                if n == PRODUCTS_PER_TEMPLATE - 1
                else "archived"
                if n == 13 and t_index % 4 == 0
                else "active"
            )
            cells: dict[str, Any] = {
                "product_code": code,
                "family": family,
                "category": category,
                "brand": brand,
                "origin": "FR"
                if brand in ("Maison Comptoir", "Les Tisserands")
                else rng.choice(["PT", "IT", "FR", "IN"]),
                "tax_class": "standard",
                "status": status,
                "name-fr_FR": name_fr,
                "name-en_GB": name_en,
                "description-fr_FR": (
                    f"{name_fr}, {data.agree('signé', gender)} {brand}. "
                    f"{data.agree('Coupé', gender)} et {data.agree('fini', gender)} avec soin pour durer."
                ),
                "composition": composition,
                "labels": "|".join(["OEKO-TEX"] + (["GOTS"] if organic else [])),
                "axes": "size|colour",
            }
            if status != "draft":  # drafts wait for their English description
                cells["description-en_GB"] = f"{name_en} by {brand}. Carefully cut and finished to last."
            for attribute, value in attributes.items():
                cells[f"attr-{attribute}"] = value
            if family == "clothing":
                cells["attr-season"] = ["printemps-ete", "automne-hiver", "toute-saison"][(n + t_index) % 3]
            if family in ("clothing", "bed_bath"):
                cells["attr-organic"] = "true" if organic else "false"
            cells["attr-made_in_france"] = "true" if cells["origin"] == "FR" else "false"
            if family in data.CARE:
                cells["attr-care-fr_FR"], cells["attr-care-en_GB"] = data.CARE[family]
            for index, colour in enumerate(colours):
                if index == 0 or n % 3 == 0:  # every product has a picture, some one per colour
                    pictures.append((code, shape, colour, brand))
                for size in sizes:
                    serial += 1
                    sku = f"{code}-{policies.fold(colour).replace(' ', '')[:6].upper()}-{size.upper()}"
                    weight = {"clothing": 350, "accessories": 250, "bed_bath": 900, "decor": 600}[family]
                    variant = {
                        "sku": sku,
                        "gtin": _gtin(serial),
                        "size": size,
                        "colour": colour,
                        "weight": f"{weight + rng.randint(-60, 120)} g",
                    }
                    rows.append((len(rows) + 2, {**cells, **variant}))
    return rows, pictures


SHAPES: dict[str, list[tuple[float, float]]] = {
    "dress": [(0.42, 0.12), (0.58, 0.12), (0.62, 0.35), (0.78, 0.88), (0.22, 0.88), (0.38, 0.35)],
    "shirt": [(0.35, 0.15), (0.65, 0.15), (0.85, 0.35), (0.75, 0.45), (0.7, 0.4), (0.7, 0.85), (0.3, 0.85),
              (0.3, 0.4), (0.25, 0.45), (0.15, 0.35)],
    "jumper": [(0.33, 0.18), (0.67, 0.18), (0.88, 0.7), (0.78, 0.72), (0.7, 0.45), (0.7, 0.85), (0.3, 0.85),
               (0.3, 0.45), (0.22, 0.72), (0.12, 0.7)],
    "coat": [(0.35, 0.12), (0.65, 0.12), (0.85, 0.8), (0.72, 0.82), (0.68, 0.5), (0.7, 0.9), (0.3, 0.9),
             (0.32, 0.5), (0.28, 0.82), (0.15, 0.8)],
    "skirt": [(0.35, 0.2), (0.65, 0.2), (0.75, 0.85), (0.25, 0.85)],
    "scarf": [(0.2, 0.25), (0.35, 0.15), (0.8, 0.75), (0.65, 0.85)],
    "bag": [(0.25, 0.4), (0.75, 0.4), (0.8, 0.85), (0.2, 0.85)],
    "square": [(0.2, 0.25), (0.8, 0.25), (0.8, 0.8), (0.2, 0.8)],
    "bowl": [(0.2, 0.45), (0.8, 0.45), (0.65, 0.75), (0.35, 0.75)],
    "vase": [(0.42, 0.15), (0.58, 0.15), (0.56, 0.3), (0.7, 0.55), (0.62, 0.88), (0.38, 0.88), (0.3, 0.55),
             (0.44, 0.3)],
    "lamp": [(0.32, 0.15), (0.68, 0.15), (0.78, 0.45), (0.22, 0.45)],
}  # fmt: skip


def picture(shape: str, colour: str, width: int = 400, height: int = 500) -> bytes:
    """A packshot-like JPEG: the product's outline in its colour on a soft background."""
    rgb = data.COLOURS[colour][1]
    background = tuple(min(255, 200 + c // 5) for c in rgb)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    outline = tuple(max(0, c - 40) for c in rgb)
    draw.polygon([(x * width, y * height) for x, y in SHAPES[shape]], fill=rgb, outline=outline, width=3)
    if shape == "bag":
        draw.arc((0.35 * width, 0.22 * height, 0.65 * width, 0.55 * height), 180, 360, fill=outline, width=8)
    if shape == "lamp":
        draw.rectangle((0.48 * width, 0.45 * height, 0.52 * width, 0.85 * height), fill=outline)
        draw.ellipse((0.35 * width, 0.82 * height, 0.65 * width, 0.9 * height), fill=outline)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _pictures(
    uow: UnitOfWork,
    storage: Storage,
    codes: dict[str, str],
    pictures: list[tuple[str, str, str, str]],
    rng: random.Random,
) -> None:
    now = clock.now()
    seen: dict[str, int] = {}
    campaign = 0
    for code, shape, colour, brand in pictures:
        position = seen.get(code, 0)
        seen[code] = position + 1
        rights = RightsIn(holder=f"{brand} — studio photo interne")
        role = "packshot"
        if shape == "dress" and position == 0 and campaign < 10:
            # The summer campaign: shot by an agency with a model, licensed for the web in Europe
            # until a date that comes soon (staff see it in "rights expiring").
            campaign += 1
            role = "campaign"
            rights = RightsIn(
                holder="Studio Lumière — campagne Été 2026",
                valid_until=now + timedelta(days=10 + campaign * 4),
                channels=["web"],
                territories=["FR", "BE", "LU", "CH"],
            )
        service.upload_asset(
            uow,
            storage,
            AssetIn(
                product_id=codes[code],
                role=role,
                colour=colour,
                position=position,
                title=f"{code} {colour}",
                rights=rights,
            ),
            filename=f"{code.lower()}-{policies.fold(colour).replace(' ', '-')}.jpg",
            content_type="image/jpeg",
            data=picture(shape, colour),
        )


def _pdf(title: str, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(40, 540, title)
    pdf.setFont("Helvetica", 10)
    for index, line in enumerate(lines):
        pdf.drawString(40, 510 - 16 * index, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _documents(uow: UnitOfWork, storage: Storage, codes: dict[str, str]) -> None:
    """Care guides for bed linen, assembly plans for lamps."""
    for code in sorted(codes):
        if code.startswith("HOU") and code.endswith(("00", "01", "02")):
            role, title, lines = (
                "manual",
                "Guide d'entretien du linge de lit",
                ["Laver à 60 °C avant la première utilisation.", "Sécher à l'air libre.", "Repasser humide."],
            )
        elif code.startswith("LAM"):
            role, title, lines = (
                "assembly",
                "Notice de montage — lampe à poser",
                ["1. Visser le pied sur le socle.", "2. Poser l'abat-jour.", "Ampoule E27, 40 W maximum."],
            )
        else:
            continue
        service.upload_asset(
            uow,
            storage,
            AssetIn(product_id=codes[code], role=role, title=title, position=10),
            filename=f"{code.lower()}-{role}.pdf",
            content_type="application/pdf",
            data=_pdf(title, lines),
        )


def _relations(uow: UnitOfWork, codes: dict[str, str], rng: random.Random) -> None:
    """Scarves with dresses and coats, pillowcases with duvet covers, cashmere over wool, look-alikes."""
    by_prefix: dict[str, list[str]] = {}
    for code in sorted(codes):
        by_prefix.setdefault(code[:5], []).append(code)
    scarves = [c for c in codes if c.startswith("ECH")]
    pillowcases = [c for c in codes if c.startswith("TAI")]
    for code in sorted(codes):
        siblings = [c for c in by_prefix[code[:5]] if c != code]
        if code.startswith(("ROB", "MAN")) and scarves:
            service.replace_relations(uow, code, "cross_sell", RelationsIn(related=rng.sample(scarves, 2)))
        if code.startswith("HOU") and pillowcases:
            service.replace_relations(uow, code, "accessory", RelationsIn(related=rng.sample(pillowcases, 2)))
        if code.startswith(("ROB", "CHE", "PUL")) and siblings:
            service.replace_relations(uow, code, "substitute", RelationsIn(related=rng.sample(siblings, 3)))
        if code.startswith("PUL") and int(code[-2:]) < 5:
            service.replace_relations(uow, code, "up_sell", RelationsIn(related=siblings[-2:]))

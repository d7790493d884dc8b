"""The demo retailer's catalogue: a French fashion and home brand (taxonomy and product templates)."""

from __future__ import annotations

from comptoir.catalog.schemas import AttributeIn, FamilyAttribute, FamilyIn

ATTRIBUTES = [
    AttributeIn(
        code="season",
        type="enum",
        options=["printemps-ete", "automne-hiver", "toute-saison"],
        option_labels={
            "printemps-ete": {"fr_FR": "Printemps-été", "en_GB": "Spring-summer"},
            "automne-hiver": {"fr_FR": "Automne-hiver", "en_GB": "Autumn-winter"},
            "toute-saison": {"fr_FR": "Toute saison", "en_GB": "All seasons"},
        },
        facet=True,
        label={"fr_FR": "Saison", "en_GB": "Season"},
    ),
    AttributeIn(
        code="fit",
        type="enum",
        options=["ajustee", "droite", "ample"],
        option_labels={
            "ajustee": {"fr_FR": "Ajustée", "en_GB": "Slim"},
            "droite": {"fr_FR": "Droite", "en_GB": "Straight"},
            "ample": {"fr_FR": "Ample", "en_GB": "Loose"},
        },
        facet=True,
        label={"fr_FR": "Coupe", "en_GB": "Fit"},
    ),
    AttributeIn(
        code="collar",
        type="enum",
        options=["rond", "v", "chemise", "montant"],
        option_labels={
            "rond": {"fr_FR": "Rond", "en_GB": "Round"},
            "v": {"fr_FR": "En V", "en_GB": "V-neck"},
            "chemise": {"fr_FR": "Chemise", "en_GB": "Shirt collar"},
            "montant": {"fr_FR": "Montant", "en_GB": "High neck"},
        },
        facet=True,
        label={"fr_FR": "Col", "en_GB": "Collar"},
    ),
    AttributeIn(
        code="sleeves",
        type="enum",
        options=["sans", "courtes", "longues"],
        option_labels={
            "sans": {"fr_FR": "Sans manches", "en_GB": "Sleeveless"},
            "courtes": {"fr_FR": "Courtes", "en_GB": "Short"},
            "longues": {"fr_FR": "Longues", "en_GB": "Long"},
        },
        label={"fr_FR": "Manches", "en_GB": "Sleeves"},
    ),
    AttributeIn(code="care", type="localised_text", label={"fr_FR": "Entretien", "en_GB": "Care"}),
    AttributeIn(code="organic", type="boolean", facet=True, label={"fr_FR": "Bio", "en_GB": "Organic"}),
    AttributeIn(
        code="made_in_france",
        type="boolean",
        facet=True,
        label={"fr_FR": "Fabriqué en France", "en_GB": "Made in France"},
    ),
    AttributeIn(code="thread_count", type="number", label={"fr_FR": "Fils au cm²", "en_GB": "Thread count"}),
    AttributeIn(
        code="capacity", type="number", unit_kind="volume", label={"fr_FR": "Contenance", "en_GB": "Capacity"}
    ),
    AttributeIn(
        code="height", type="number", unit_kind="length", label={"fr_FR": "Hauteur", "en_GB": "Height"}
    ),
]


def _family(code: str, fr: str, en: str, attributes: list[tuple[str, list[str]]]) -> FamilyIn:
    return FamilyIn(
        code=code,
        label={"fr_FR": fr, "en_GB": en},
        attributes=[FamilyAttribute(code=c, required_channels=channels) for c, channels in attributes],
    )


FAMILIES = [
    _family(
        "clothing",
        "Vêtements",
        "Clothing",
        [
            ("season", ["web"]),
            ("care", ["*"]),
            ("description", ["web", "app"]),
            ("images", ["web", "app"]),
            ("fit", []),
            ("collar", []),
            ("sleeves", []),
            ("organic", []),
            ("made_in_france", []),
        ],
    ),
    _family(
        "accessories",
        "Accessoires",
        "Accessories",
        [("care", ["*"]), ("description", ["web"]), ("images", ["web", "app"]), ("made_in_france", [])],
    ),
    _family(
        "bed_bath",
        "Linge de maison",
        "Bed and bath",
        [
            ("care", ["*"]),
            ("description", ["web", "app"]),
            ("images", ["web", "app"]),
            ("thread_count", []),
            ("organic", []),
            ("made_in_france", []),
        ],
    ),
    _family(
        "decor",
        "Table et décoration",
        "Table and decoration",
        [
            ("description", ["web"]),
            ("images", ["web", "app"]),
            ("capacity", []),
            ("height", []),
            ("made_in_france", []),
        ],
    ),
]

# (code, French, English, parent code)
CATEGORIES = [
    ("femme", "Femme", "Women", None),
    ("femme-robes", "Robes", "Dresses", "femme"),
    ("femme-chemisiers", "Chemisiers", "Blouses", "femme"),
    ("femme-mailles", "Pulls et gilets", "Knitwear", "femme"),
    ("femme-jupes", "Jupes et pantalons", "Skirts and trousers", "femme"),
    ("femme-manteaux", "Manteaux et vestes", "Coats and jackets", "femme"),
    ("homme", "Homme", "Men", None),
    ("homme-chemises", "Chemises", "Shirts", "homme"),
    ("homme-mailles", "Pulls", "Jumpers", "homme"),
    ("homme-pantalons", "Pantalons", "Trousers", "homme"),
    ("homme-vestes", "Vestes", "Jackets", "homme"),
    ("accessoires", "Accessoires", "Accessories", None),
    ("accessoires-echarpes", "Écharpes et foulards", "Scarves", "accessoires"),
    ("accessoires-sacs", "Sacs", "Bags", "accessoires"),
    ("maison", "Maison", "Home", None),
    ("maison-lit", "Linge de lit", "Bed linen", "maison"),
    ("maison-bain", "Linge de bain", "Bath linen", "maison"),
    ("maison-coussins", "Coussins et plaids", "Cushions and throws", "maison"),
    ("maison-table", "Arts de la table", "Tableware", "maison"),
    ("maison-deco", "Décoration", "Decoration", "maison"),
]

BRANDS = ["Maison Comptoir", "Atelier Rivage", "Les Tisserands", "Boréale", "Sud Lumière", "Belle Île"]

# Colours: French name (also the variant value), English name, RGB for the generated pictures.
COLOURS = {
    "bleu marine": ("navy", (32, 45, 84)),
    "écru": ("ecru", (236, 228, 208)),
    "terracotta": ("terracotta", (190, 92, 60)),
    "vert sauge": ("sage green", (150, 170, 140)),
    "noir": ("black", (30, 30, 30)),
    "rose poudré": ("dusty pink", (222, 178, 178)),
    "moutarde": ("mustard", (205, 160, 50)),
    "gris chiné": ("heather grey", (150, 150, 155)),
    "blanc": ("white", (246, 246, 242)),
    "bleu ciel": ("sky blue", (150, 190, 225)),
}

CLOTHING_SIZES = ["XS", "S", "M", "L", "XL"]

# Templates: (category, family, shape, French name, English name, materials, sizes, attributes)
# Materials: (French, English, composition, organic).
LINEN = ("lin", "linen", "lin:100", False)
COTTON = ("coton bio", "organic cotton", "coton:100", True)
WOOL = ("laine mérinos", "merino wool", "laine:100", False)
CASHMERE = ("cachemire", "cashmere", "cachemire:100", False)
SILK = ("soie", "silk", "soie:100", False)
VELVET = ("velours de coton", "cotton velvet", "coton:100", False)
GAUZE = ("gaze de coton", "cotton gauze", "coton:100", True)
PERCALE = ("percale", "percale", "coton:100", True)
SANDSTONE = ("grès émaillé", "glazed stoneware", "grès:100", False)
LEATHER = ("cuir", "leather", "cuir:100", False)

TEMPLATES: list[tuple[str, str, str, str, str, list[tuple[str, str, str, bool]], list[str], dict[str, str]]] = [
    ("femme-robes", "clothing", "dress", "Robe", "Dress", [LINEN, COTTON, SILK, GAUZE], CLOTHING_SIZES,
     {"collar": "v", "sleeves": "courtes", "fit": "ample"}),
    ("femme-chemisiers", "clothing", "shirt", "Chemisier", "Blouse", [LINEN, COTTON, SILK], CLOTHING_SIZES,
     {"collar": "chemise", "sleeves": "longues", "fit": "droite"}),
    ("femme-mailles", "clothing", "jumper", "Pull", "Jumper", [WOOL, CASHMERE, COTTON], CLOTHING_SIZES,
     {"collar": "rond", "sleeves": "longues", "fit": "droite"}),
    ("femme-jupes", "clothing", "skirt", "Jupe", "Skirt", [LINEN, VELVET, COTTON], CLOTHING_SIZES,
     {"fit": "ajustee"}),
    ("femme-manteaux", "clothing", "coat", "Manteau", "Coat", [WOOL, CASHMERE], CLOTHING_SIZES,
     {"collar": "montant", "sleeves": "longues", "fit": "droite"}),
    ("homme-chemises", "clothing", "shirt", "Chemise", "Shirt", [LINEN, COTTON], CLOTHING_SIZES,
     {"collar": "chemise", "sleeves": "longues", "fit": "ajustee"}),
    ("homme-mailles", "clothing", "jumper", "Pull", "Jumper", [WOOL, CASHMERE, COTTON], CLOTHING_SIZES,
     {"collar": "v", "sleeves": "longues", "fit": "droite"}),
    ("homme-pantalons", "clothing", "skirt", "Pantalon", "Trousers", [LINEN, COTTON, VELVET], CLOTHING_SIZES,
     {"fit": "droite"}),
    ("homme-vestes", "clothing", "coat", "Veste", "Jacket", [WOOL, LINEN], CLOTHING_SIZES,
     {"collar": "chemise", "sleeves": "longues", "fit": "ajustee"}),
    ("accessoires-echarpes", "accessories", "scarf", "Écharpe", "Scarf", [WOOL, CASHMERE, SILK, GAUZE], ["unique"], {}),
    ("accessoires-sacs", "accessories", "bag", "Cabas", "Tote bag", [LEATHER, COTTON], ["unique"], {}),
    ("maison-lit", "bed_bath", "square", "Housse de couette", "Duvet cover", [LINEN, PERCALE],
     ["140x200", "240x220", "260x240"], {"thread_count": "80"}),
    ("maison-lit", "bed_bath", "square", "Taie d'oreiller", "Pillowcase", [LINEN, PERCALE], ["50x70", "65x65"],
     {"thread_count": "80"}),
    ("maison-bain", "bed_bath", "square", "Drap de bain", "Bath sheet", [COTTON, GAUZE], ["70x140", "100x150"], {}),
    ("maison-coussins", "bed_bath", "square", "Coussin", "Cushion", [VELVET, LINEN], ["40x40", "50x50"], {}),
    ("maison-coussins", "bed_bath", "square", "Plaid", "Throw", [WOOL, CASHMERE], ["130x170"], {}),
    ("maison-table", "decor", "bowl", "Bol", "Bowl", [SANDSTONE], ["unique"], {"capacity": "45 cl"}),
    ("maison-table", "decor", "bowl", "Assiette plate", "Dinner plate", [SANDSTONE], ["unique"], {}),
    ("maison-deco", "decor", "vase", "Vase", "Vase", [SANDSTONE], ["unique"], {"height": "28 cm"}),
    ("maison-deco", "decor", "lamp", "Lampe à poser", "Table lamp", [SANDSTONE, LINEN], ["unique"],
     {"height": "45 cm"}),
]  # fmt: skip

# The grammatical gender of each French noun of the templates: adjectives after it agree with it.
NOUN_GENDERS = {
    "Robe": "f",
    "Chemisier": "m",
    "Pull": "m",
    "Jupe": "f",
    "Manteau": "m",
    "Chemise": "f",
    "Pantalon": "m",
    "Veste": "f",
    "Écharpe": "f",
    "Cabas": "m",
    "Housse de couette": "f",
    "Taie d'oreiller": "f",
    "Drap de bain": "m",
    "Coussin": "m",
    "Plaid": "m",
    "Bol": "m",
    "Assiette plate": "f",
    "Vase": "m",
    "Lampe à poser": "f",
}


def agree(adjective: str, gender: str) -> str:
    """The French adjective (or past participle) agreeing with a singular noun of ``gender``:
    ``agree("rayé", "f")`` → ``"rayée"``; ``"à fleurs"`` and other phrases stay as they are."""
    if gender != "f" or " " in adjective or adjective.endswith("e"):
        return adjective
    return adjective + "e"


# Styles: French (after the noun, agreeing with it), English (before it).
STYLES = [
    ("rayé", "striped"),
    ("uni", "plain"),
    ("brodé", "embroidered"),
    ("à fleurs", "floral"),
    ("à carreaux", "checked"),
    ("côtelé", "ribbed"),
    ("délavé", "washed"),
]

CARE = {
    "clothing": ("Lavage à 30 °C, séchage à plat", "Machine wash at 30 °C, dry flat"),
    "accessories": ("Nettoyage à sec ou lavage à la main", "Dry clean or hand wash"),
    "bed_bath": ("Lavage à 60 °C, repassage doux", "Machine wash at 60 °C, iron gently"),
}

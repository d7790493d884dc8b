"""Normalisation of touchpoint data: names, e-mail, phone (E.164), postal address, birth date.

Pure functions, no I/O. Problems never raise: they come back as quality flags (``email_invalid``,
``phone_invalid``…) so ingestion keeps dirty records and says what is wrong with them. The same
field functions serve single-record ingestion (:func:`normalise`) and the batch engine
(:func:`normalise_columns`, memoised per distinct value), so both see identical canonical values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata

PERSON_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "city",
    "country",
    "loyalty_card",
)
ADDRESS_FIELDS = ("street", "postcode", "city", "country")

# -- text helpers --------------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    """``"Hélène Œuvray"`` → ``"Helene OEuvray"`` (ligatures expanded, combining marks dropped)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean(raw: object) -> str:
    """Text with runs of white space collapsed; ``""`` for ``None``."""
    if raw is None:
        return ""
    return " ".join(str(raw).split())


# -- names ---------------------------------------------------------------------------------------------

# Particles written in lower case inside a name ("de La Fontaine", "d'Artagnan", "van der Berg"), but
# never "Le"/"La" which French family names capitalise ("Le Goff", "La Fontaine").
LOWER_PARTICLES = frozenset({"de", "d", "du", "des", "von", "van", "der", "den"})
# Small words kept in lower case inside place names ("Saint-Germain-des-Prés", "Boulogne-sur-Mer").
PLACE_SMALL_WORDS = frozenset(
    {"de", "d", "du", "des", "en", "sur", "sous", "les", "lès", "le", "la", "aux", "au", "et"}
)
_NAME_JUNK = re.compile(r"[^\w\s'\-]|[\d_]")
_NAME_PARTS = re.compile(r"(\s*[\-']\s*|\s+)")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _case_words(text: str, lower_words: frozenset[str], *, keep_first: bool) -> str:
    """Capitalise each word, except ``lower_words`` followed by another word (and not first if keep_first)."""
    parts = _NAME_PARTS.split(text)
    words = parts[::2]
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(part.strip() or " ")
            continue
        position = index // 2
        lower = part.lower()
        is_small = lower in lower_words and position < len(words) - 1 and not (keep_first and position == 0)
        out.append(lower if is_small else _cap(part))
    return "".join(out)


@lru_cache(maxsize=200_000)
def normalise_name(raw: str | None) -> str | None:
    """Display form: ``"JEAN-PIERRE"`` → ``"Jean-Pierre"``, ``"DE LA FONTAINE"`` → ``"de La Fontaine"``,
    ``"d’ARTAGNAN"`` → ``"d'Artagnan"``, ``"LE GOFF"`` → ``"Le Goff"``. Accents are kept; digits and
    stray punctuation are dropped; ``None`` when no letter is left."""
    text = clean(_NAME_JUNK.sub(" ", clean(raw).replace("’", "'").replace(".", " ")))
    text = text.strip("-' ")
    if not text or not any(c.isalpha() for c in text):
        return None
    return _case_words(text, LOWER_PARTICLES, keep_first=False)


@lru_cache(maxsize=400_000)
def name_key(raw: str | None) -> str:
    """Matching form: no accents, case or punctuation: ``"de La Fontaine"`` → ``"de la fontaine"``."""
    if not raw:
        return ""
    text = strip_accents(str(raw)).lower()
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


_PHONETIC_RULES = [
    (re.compile(r"ph"), "f"),
    (re.compile(r"qu|q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"sch|ch|sh"), "x"),
    (re.compile(r"ck|c"), "k"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"g(?=[eiy])"), "j"),
    (re.compile(r"z"), "s"),
    (re.compile(r"w"), "v"),
    (re.compile(r"y"), "i"),
    (re.compile(r"h"), ""),
    (re.compile(r"(?:e|s|t|x|d|z|p)+$"), ""),
    (re.compile(r"(.)\1+"), r"\1"),
]


@lru_cache(maxsize=400_000)
def phonetic(raw: str | None) -> str:
    """A French-flavoured sound key: ``"Dupond"``, ``"Dupont"``, ``"DUPONT"`` → ``"DPN"``;
    ``"Philippe"`` → ``"FLP"``. First letter kept, later vowels dropped, silent endings removed, 6 letters at most."""
    key = name_key(raw).replace(" ", "")
    if not key:
        return ""
    for pattern, replacement in _PHONETIC_RULES:
        key = pattern.sub(replacement, key)
    if not key:
        return ""
    head, tail = key[0], re.sub(r"[aeiou]", "", key[1:])
    return (head + tail).upper()[:6]


# -- e-mail ----------------------------------------------------------------------------------------------

_SIMPLE_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@lru_cache(maxsize=50_000)
def _valid_domain(domain: str) -> str | None:
    try:
        return validate_email(f"x@{domain}", check_deliverability=False).domain.lower()
    except EmailNotValidError:
        return None


def normalise_email(raw: str | None) -> tuple[str | None, list[str]]:
    """Lower-cased address checked by email-validator (no DNS); ``(None, ["email_invalid"])`` otherwise.

    The common ASCII dot-atom shape is checked with one regex plus a cached email-validator check of
    its domain: the same answer as validating the whole address, about twenty times faster."""
    text = clean(raw)
    if not text:
        return None, []
    lowered = text.lower().removeprefix("mailto:")
    local, at, domain = lowered.rpartition("@")
    if at and len(local) <= 64 and len(lowered) <= 254 and _SIMPLE_LOCAL.match(local):
        checked = _valid_domain(domain)
        return (f"{local}@{checked}", []) if checked is not None else (None, ["email_invalid"])
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None, ["email_invalid"]
    return result.normalized.lower(), []


# -- phone ------------------------------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s.\-()/]")
_FAST_COUNTRY_CODES = {"FR": "33"}


@lru_cache(maxsize=16)
def _valid_national_number(region: str) -> re.Pattern[str]:
    """phonenumbers' own validity rule for ``region`` (any number type's pattern), as one regex."""
    metadata = PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    kinds = (
        "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
        "pager", "uan", "voicemail",
    )  # fmt: skip
    patterns = [
        desc.national_number_pattern
        for desc in (getattr(metadata, kind) for kind in kinds)
        if desc is not None and desc.national_number_pattern
    ]
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _fast_national(text: str, region: str) -> str | None:
    """The national significant number of a French number written in a usual shape, else ``None``."""
    digits = _PHONE_NOISE.sub("", text)
    if not digits[1:].isdigit():
        return None
    if region == "FR" and len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
        return digits[1:]
    if digits.startswith("+33") and len(digits) == 12 and digits[3] != "0":
        return digits[3:]
    if digits.startswith("0033") and len(digits) == 13 and digits[4] != "0":
        return digits[4:]
    if digits.startswith("+330") and len(digits) == 13 and digits[4] != "0":  # "+33 (0)6 …"
        return digits[4:]
    return None


def normalise_phone(raw: str | None, region: str = "FR") -> tuple[str | None, list[str]]:
    """E.164 (``"06 12 34 56 78"`` → ``"+33612345678"``); flagged ``phone_invalid`` when not a valid number.

    French numbers in their usual shapes skip the parser (same result, checked by a test); everything
    else goes through phonenumbers with ``region`` as the default country."""
    if not raw:
        return None, []
    national = _fast_national(raw, region)
    if national is not None:
        valid = _valid_national_number("FR").fullmatch(national) is not None
        return "+33" + national, [] if valid else ["phone_invalid"]
    text = clean(raw)
    if not text:
        return None, []
    if national is not None:
        valid = _valid_national_number("FR").fullmatch(national) is not None
        return "+33" + national, [] if valid else ["phone_invalid"]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, ["phone_invalid"]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, [] if phonenumbers.is_valid_number(number) else ["phone_invalid"]


def phone_key(raw: str | None, region: str = "FR") -> str | None:
    return normalise_phone(raw, region)[0]


# -- addresses ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for locale in ("en", "fr"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name_key(name)] = code
                names[code.lower()] = code
    names.update({"fra": "FR", "bel": "BE", "che": "CH", "lux": "LU", "deu": "DE", "esp": "ES", "ita": "IT"})
    names.update({"gbr": "GB", "uk": "GB", "usa": "US", "angleterre": "GB", "england": "GB"})
    return names


@lru_cache(maxsize=1024)
def normalise_country(raw: str | None, default: str = "FR") -> tuple[str | None, list[str]]:
    """ISO 3166-1 alpha-2 from a code or an English/French name; the default region when empty."""
    text = clean(raw)
    if not text:
        return default, []
    names = _country_names()
    code = names.get(name_key(text)) or names.get(text.lower())
    return (code, []) if code else (None, ["country_invalid"])


_POSTCODE_SHAPES = {
    "FR": re.compile(r"^\d{5}$"),
    "DE": re.compile(r"^\d{5}$"),
    "ES": re.compile(r"^\d{5}$"),
    "IT": re.compile(r"^\d{5}$"),
    "BE": re.compile(r"^\d{4}$"),
    "CH": re.compile(r"^\d{4}$"),
    "LU": re.compile(r"^\d{4}$"),
}
_POSTCODE_NOISE = re.compile(r"[\s.\-]")


@lru_cache(maxsize=200_000)
def normalise_postcode(raw: str | None, country: str | None = "FR") -> tuple[str | None, list[str]]:
    """``"75 011"`` → ``"75011"``; a 4-digit French code regains its leading zero (spreadsheets drop it)."""
    text = clean(raw).upper()
    if not text:
        return None, []
    compact = _POSTCODE_NOISE.sub("", text)
    if country == "LU" and compact.startswith("L"):
        compact = compact[1:]
    if country == "FR" and len(compact) == 4 and compact.isdigit():
        compact = "0" + compact
    shape = _POSTCODE_SHAPES.get(country or "")
    if shape is not None and not shape.match(compact):
        return compact, ["postcode_invalid"]
    return compact, []


STREET_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "boul": "boulevard",
    "r": "rue",
    "pl": "place",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "rte": "route",
    "all": "allee",
    "fg": "faubourg",
    "fbg": "faubourg",
    "sq": "square",
    "crs": "cours",
    "st": "saint",
    "ste": "sainte",
    "res": "residence",
    "lot": "lotissement",
    "qu": "quai",
    "pass": "passage",
}
_STREET_WORDS = re.compile(r"[^a-z0-9]+")
_NUMBER_SUFFIX = re.compile(r"\b(\d+)\s*(bis|ter|quater|[abc])\b")


def normalise_street(raw: str | None) -> str | None:
    text = clean(raw).replace(" ,", ",").strip(" ,")
    return text or None


@lru_cache(maxsize=1 << 20)  # a million distinct streets: blocking and comparison both use them
def street_key(raw: str | None) -> str:
    """Matching form: ``"12 bis, Av. de la République"`` → ``"12bis avenue de la republique"``."""
    if not raw:
        return ""
    text = _NUMBER_SUFFIX.sub(r"\1\2", strip_accents(raw).lower())
    return " ".join(STREET_ABBREVIATIONS.get(w, w) for w in _STREET_WORDS.sub(" ", text).split())


@lru_cache(maxsize=100_000)
def normalise_city(raw: str | None) -> str | None:
    """``"SAINT-GERMAIN-DES-PRES"`` → ``"Saint-Germain-des-Pres"``, ``"LE HAVRE"`` → ``"Le Havre"``."""
    text = clean(raw).replace("’", "'")
    if not text or not any(c.isalpha() for c in text):
        return None
    return _case_words(text, PLACE_SMALL_WORDS, keep_first=True)


# -- birth dates -------------------------------------------------------------------------------------------

_FR_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10,
    "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[t ][\d:.+\-z ]*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2}|\d{4})(?:[t ][\d:.+\-z ]*)?$")
_DMY_TEXT = re.compile(r"^(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$")
# Dates systems write when nobody typed one: not a birth date.
PLACEHOLDER_BIRTH_DATES = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1970, 1, 1)})


@lru_cache(maxsize=100_000)
def parse_birth_date(raw: str | None, today: date) -> tuple[date | None, list[str]]:
    """French and ISO forms: ``31/12/1980``, ``31-12-80``, ``31.12.1980``, ``31121980``, ``1980-12-31``,
    ``1er mars 1980``, ``1980-12-31T00:00:00``. A two-digit year is placed in the past. Impossible
    dates are flagged ``birth_date_invalid``; dates in the future, before 1900 or placeholders such as
    ``01/01/1900`` are flagged ``birth_date_implausible``; both are dropped."""
    text = clean(raw).lower()
    if not text:
        return None, []
    day = month = year = 0
    if m := _YMD.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    elif len(text) == 8 and text.isdigit():
        day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    elif m := _DMY_TEXT.match(strip_accents(text)):
        day, year = int(m[1]), int(m[3])
        month = _FR_MONTHS.get(m[2], 0)
    try:
        value = date(year, month, day)
    except ValueError:
        return None, ["birth_date_invalid"]
    if value > today or value.year < 1900 or value in PLACEHOLDER_BIRTH_DATES:
        return None, ["birth_date_implausible"]
    return value, []


def normalise_loyalty_card(raw: str | None) -> str | None:
    text = re.sub(r"[\s\-.]", "", clean(raw)).upper()
    return text or None


# -- the normalised person -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One record's identity fields in canonical form (what a source record stores beside its raw data)."""

    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None  # ISO 8601
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    loyalty_card: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in PERSON_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        return cls(**{k: (str(data[k]) if data.get(k) is not None else None) for k in PERSON_FIELDS})


@dataclass(frozen=True, slots=True)
class Normalised:
    person: Person
    flags: list[str] = field(default_factory=list)


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def normalise(raw: Mapping[str, Any], region: str = "FR", *, today: date) -> Normalised:
    """Every identity field of a raw record; problems become quality flags, never exceptions."""
    flags: list[str] = []
    email, f = normalise_email(_text(raw, "email"))
    flags += f
    phone, f = normalise_phone(_text(raw, "phone"), region)
    flags += f
    birth, f = parse_birth_date(clean(raw.get("birth_date")) or None, today)
    flags += f
    country, f = normalise_country(_text(raw, "country"), region)
    flags += f
    postcode, f = normalise_postcode(_text(raw, "postcode"), country)
    flags += f
    person = Person(
        given_name=normalise_name(_text(raw, "given_name")),
        family_name=normalise_name(_text(raw, "family_name")),
        email=email,
        phone=phone,
        birth_date=birth.isoformat() if birth else None,
        street=normalise_street(_text(raw, "street")),
        postcode=postcode,
        city=normalise_city(_text(raw, "city")),
        country=country,
        loyalty_card=normalise_loyalty_card(_text(raw, "loyalty_card")),
    )
    if not person.family_name:
        flags.append("family_name_missing")
    if not person.email and not person.phone and not person.loyalty_card:
        flags.append("no_contact_point")
    return Normalised(person, sorted(set(flags)))


def _per_distinct(values: Sequence[str | None], fn: Callable[[str], Any]) -> list[Any]:
    """``[fn(v) for v in values]`` computing ``fn`` once per distinct value (``None`` for empty ones)."""
    table: dict[str | None, Any] = {v: fn(v) for v in set(values) if v}
    table[None] = table[""] = None
    return [table[v] for v in values]


def normalise_columns(
    columns: Mapping[str, Sequence[str | None]], size: int, region: str = "FR", *, today: date
) -> dict[str, list[str | None]]:
    """Column-wise :func:`normalise` for the batch engine: same field functions, memoised per distinct value.

    ``columns`` maps raw field names to equally long sequences (a missing field is allowed)."""
    empty: list[str | None] = [None] * size

    def col(name: str) -> Sequence[str | None]:
        return columns.get(name) or empty

    def birth(value: str) -> str | None:
        parsed = parse_birth_date(clean(value) or None, today)[0]
        return parsed.isoformat() if parsed else None

    codes = _per_distinct(col("country"), lambda v: normalise_country(v, region)[0])
    countries = [code if raw else region for raw, code in zip(col("country"), codes, strict=True)]
    postcodes = [
        normalise_postcode(v, c)[0] if v else None for v, c in zip(col("postcode"), countries, strict=True)
    ]
    return {
        "given_name": _per_distinct(col("given_name"), normalise_name),
        "family_name": _per_distinct(col("family_name"), normalise_name),
        "email": [normalise_email(v)[0] if v else None for v in col("email")],
        "phone": [normalise_phone(v, region)[0] if v else None for v in col("phone")],
        "birth_date": _per_distinct(col("birth_date"), birth),
        "street": [normalise_street(v) if v else None for v in col("street")],
        "postcode": postcodes,
        "city": _per_distinct(col("city"), normalise_city),
        "country": countries,
        "loyalty_card": [normalise_loyalty_card(v) if v else None for v in col("loyalty_card")],
    }


def phone_display(e164: str | None) -> str:
    """``+33612345678`` → ``06 12 34 56 78`` for a French seller; other countries in international form."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    kind = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 33
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, kind)

"""Pure rules of the single customer record: normalisation, blocking, matching, survivorship, consent.

No I/O here. The same functions serve ingest matching (service.py), the batch dedupe engine
(dedupe.py, vectorised but scoring with the very weights and similarity below) and the benchmark,
so the F1 measured by ``bench/identity.py`` is the product's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import JaroWinkler

SOURCES = ("pos", "web", "app", "call-centre", "eticket", "account", "staff", "rectification")
IMPORT_SOURCES = ("pos", "web", "app", "call-centre", "eticket")
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

# -- text helpers --------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    """``"Hélène Œuvray"`` → ``"Helene OEuvray"`` (ligatures expanded, combining marks dropped)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _clean(raw: object) -> str:
    if raw is None:
        return ""
    return " ".join(str(raw).split())


# -- names ---------------------------------------------------------------------------------------------

# Lower-case particles inside French (and neighbouring) family names: "de La Fontaine" keeps "de".
PARTICLES = frozenset(
    {"de", "du", "des", "d", "le", "la", "les", "von", "van", "der", "den", "di", "da", "del"}
)
_NAME_TOKEN = re.compile(r"([\s\-']+)")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower() if word else word


@lru_cache(maxsize=200_000)
def normalise_name(raw: str | None) -> str | None:
    """Display form: ``"JEAN-PIERRE"`` → ``"Jean-Pierre"``, ``"DE LA FONTAINE"`` → ``"de La Fontaine"``,
    ``"d'ARTAGNAN"`` → ``"d'Artagnan"``. Accents are kept; only the first particle stays lower-case."""
    text = _clean(raw).replace("’", "'")
    if not text or not any(c.isalpha() for c in text):
        return None
    parts = _NAME_TOKEN.split(text)
    words = [p for p in parts[::2]]
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 1:
            out.append(" " if part.strip() == "" else part.strip() or " ")
            continue
        word_index = index // 2
        lower = part.lower()
        is_particle = (
            lower in PARTICLES and word_index < len(words) - 1 and word_index == 0 and len(words) > 1
        )
        out.append(lower if is_particle else _cap(part))
    return "".join(out)


@lru_cache(maxsize=200_000)
def name_key(raw: str | None) -> str:
    """Matching form: no accents, no case, no punctuation, particles kept: ``"de La Fontaine"`` → ``"de la fontaine"``."""
    if not raw:
        return ""
    text = strip_accents(str(raw)).lower()
    text = re.sub(r"[^a-z]+", " ", text)
    return " ".join(text.split())


_PHONETIC_RULES = [
    (re.compile(r"ph"), "f"),
    (re.compile(r"qu|q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"ch|sh|sch"), "x"),
    (re.compile(r"ck|c"), "k"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"g(?=[eiy])"), "j"),
    (re.compile(r"z"), "s"),
    (re.compile(r"w"), "v"),
    (re.compile(r"y"), "i"),
    (re.compile(r"th"), "t"),
    (re.compile(r"(?<!^)h|^h"), ""),
    (re.compile(r"(?:e|s|t|x|d|z|p)+$"), ""),
    (re.compile(r"(.)\1+"), r"\1"),
]


@lru_cache(maxsize=200_000)
def phonetic(raw: str | None) -> str:
    """A French-flavoured sound key: ``"Dupond"``, ``"Dupont"``, ``"DUPONT"`` → ``"DPN"``; ``"Philippe"`` → ``"FLP"``.

    First letter kept, later vowels dropped, silent endings removed; 6 characters at most."""
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
def _domain_ok(domain: str) -> str | None:
    try:
        return validate_email(f"x@{domain}", check_deliverability=False).domain.lower()
    except EmailNotValidError:
        return None


def normalise_email(raw: str | None) -> tuple[str | None, list[str]]:
    """Lower-cased, validated address (email-validator, no DNS); ``(None, ["email_invalid"])`` if not an address.

    The common ASCII dot-atom shape is checked by one regex plus a cached email-validator check of the
    domain (it gives the same answer as validating the whole address, about 20 times faster)."""
    text = _clean(raw)
    if not text:
        return None, []
    lowered = text.lower()
    local, at, domain = lowered.rpartition("@")
    if at and len(local) <= 64 and len(lowered) <= 254 and _SIMPLE_LOCAL.match(local):
        checked = _domain_ok(domain)
        if checked is not None:
            return f"{local}@{checked}", []
        return None, ["email_invalid"]
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None, ["email_invalid"]
    return result.normalized.lower(), []


# -- phone ------------------------------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s.\-()/]")


def _fast_e164(text: str, region: str) -> str | None:
    """French numbers in the usual shapes, without parsing metadata (same output as phonenumbers)."""
    digits = _PHONE_NOISE.sub("", text)
    if region == "FR" and len(digits) == 10 and digits[0] == "0" and digits[1] != "0" and digits.isdigit():
        return "+33" + digits[1:]
    if digits.startswith("+33") and len(digits) == 12 and digits[3] != "0" and digits[1:].isdigit():
        return digits
    if digits.startswith("0033") and len(digits) == 13 and digits[4] != "0" and digits.isdigit():
        return "+" + digits[2:]
    return None


def phone_key(raw: str | None, region: str = "FR") -> str | None:
    """E.164 form used for matching (validity not checked; see :func:`normalise_phone`)."""
    text = _clean(raw)
    if not text:
        return None
    fast = _fast_e164(text, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(raw: str | None, region: str = "FR") -> tuple[str | None, list[str]]:
    """E.164 (``"06 12 34 56 78"`` → ``"+33612345678"``) with ``phone_invalid`` when not a valid number."""
    text = _clean(raw)
    if not text:
        return None, []
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, ["phone_invalid"]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        return e164, ["phone_invalid"]
    return e164, []


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
    names.update({"gbr": "GB", "uk": "GB", "usa": "US"})
    return names


def normalise_country(raw: str | None, default: str = "FR") -> tuple[str | None, list[str]]:
    """ISO 3166-1 alpha-2 from a code or an English/French name; the default region when empty."""
    text = _clean(raw)
    if not text:
        return default, []
    code = _country_names().get(name_key(text)) or _country_names().get(text.lower())
    return (code, []) if code else (None, ["country_invalid"])


_POSTCODE_SHAPES = {"FR": re.compile(r"^\d{5}$"), "BE": re.compile(r"^\d{4}$"), "CH": re.compile(r"^\d{4}$")}
_POSTCODE_SHAPES["LU"] = re.compile(r"^\d{4}$")
_POSTCODE_SHAPES["DE"] = re.compile(r"^\d{5}$")


def normalise_postcode(raw: str | None, country: str | None = "FR") -> tuple[str | None, list[str]]:
    """``"75 011"`` → ``"75011"``; a 4-digit French code regains its leading zero (spreadsheets drop it)."""
    text = _clean(raw).upper()
    if not text:
        return None, []
    compact = re.sub(r"[\s.\-]", "", text)
    if country in ("L", "LU") and compact.startswith("L"):
        compact = compact[1:]
    if country == "FR" and re.fullmatch(r"\d{4}", compact):
        compact = "0" + compact
    shape = _POSTCODE_SHAPES.get(country or "")
    if shape is not None and not shape.match(compact):
        return compact, ["postcode_invalid"]
    return compact, []


_STREET_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "r": "rue",
    "pl": "place",
    "ch": "chemin",
    "che": "chemin",
    "imp": "impasse",
    "rte": "route",
    "all": "allee",
    "fg": "faubourg",
    "fbg": "faubourg",
    "sq": "square",
    "crs": "cours",
    "st": "saint",
    "ste": "sainte",
    "bis": "b",
    "ter": "t",
}


def normalise_street(raw: str | None) -> str | None:
    text = _clean(raw).replace(" ,", ",")
    return text or None


@lru_cache(maxsize=200_000)
def street_key(raw: str | None) -> str:
    """Matching form: ``"12, Av. de la République"`` → ``"12 avenue de la republique"``."""
    if not raw:
        return ""
    words = re.sub(r"[^a-z0-9]+", " ", strip_accents(raw).lower()).split()
    return " ".join(_STREET_ABBREVIATIONS.get(w, w) for w in words)


def normalise_city(raw: str | None) -> str | None:
    text = _clean(raw)
    if not text:
        return None
    return "-".join(
        " ".join(_cap(w) if w.lower() not in PARTICLES else w.lower() for w in part.split())
        for part in text.split("-")
    )


# -- birth dates -------------------------------------------------------------------------------------------

_FR_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_DMY = re.compile(r"^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[T ].*)?$")
_DMY_TEXT = re.compile(r"^(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$")


@lru_cache(maxsize=100_000)
def parse_birth_date(raw: str | None, today: date | None = None) -> tuple[date | None, list[str]]:
    """French and ISO forms: ``31/12/1980``, ``31-12-80``, ``31.12.1980``, ``31121980``, ``1980-12-31``,
    ``1er mars 1980``. Two-digit years are placed in the past century when they would be in the future.
    Dates in the future or before 1900 are flagged ``birth_date_implausible`` and dropped."""
    text = _clean(raw).lower()
    if not text:
        return None, []
    today = today or date.today()
    day = month = year = 0
    if m := _YMD.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    elif re.fullmatch(r"\d{8}", text):
        day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    elif m := _DMY_TEXT.match(strip_accents(text)):
        day, year = int(m[1]), int(m[3])
        month = _FR_MONTHS.get(m[2], 0)
    try:
        value = date(year, month, day)
    except ValueError:
        return None, ["birth_date_invalid"]
    if value > today or value.year < 1900:
        return None, ["birth_date_implausible"]
    return value, []


def normalise_loyalty_card(raw: str | None) -> str | None:
    text = re.sub(r"[\s\-]", "", _clean(raw)).upper()
    return text or None


# -- the normalised person -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One record's identity fields in canonical form (a source record's ``normalised`` column)."""

    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None  # ISO
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    loyalty_card: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        return cls(**{k: data.get(k) for k in PERSON_FIELDS})


@dataclass(frozen=True, slots=True)
class Normalised:
    person: Person
    flags: list[str] = field(default_factory=list)


def normalise(raw: Mapping[str, Any], region: str = "FR", *, today: date | None = None) -> Normalised:
    """Every identity field of a raw record; problems become quality flags, never exceptions."""
    flags: list[str] = []
    given = normalise_name(raw.get("given_name"))
    family = normalise_name(raw.get("family_name"))
    email, f = normalise_email(raw.get("email"))
    flags += f
    phone, f = normalise_phone(raw.get("phone"), region)
    flags += f
    birth, f = parse_birth_date(_clean(raw.get("birth_date")) or None, today)
    flags += f
    country, f = normalise_country(raw.get("country"), region)
    flags += f
    postcode, f = normalise_postcode(raw.get("postcode"), country)
    flags += f
    if not family:
        flags.append("family_name_missing")
    if not email and not phone and not raw.get("loyalty_card"):
        flags.append("no_contact_point")
    person = Person(
        given_name=given,
        family_name=family,
        email=email,
        phone=phone,
        birth_date=birth.isoformat() if birth else None,
        street=normalise_street(raw.get("street")),
        postcode=postcode,
        city=normalise_city(raw.get("city")),
        country=country,
        loyalty_card=normalise_loyalty_card(raw.get("loyalty_card")),
    )
    return Normalised(person, sorted(set(flags)))


# -- blocking ------------------------------------------------------------------------------------------------


def blocking_keys(p: Person) -> list[str]:
    """Keys under which a record is filed; only records sharing a key are ever compared.

    Chosen so each kind of duplicate shares at least one: a typo in a name (e-mail, phone, birth date),
    swapped names (keys are symmetric in the two names), a move (e-mail, phone, birth date), a new
    e-mail (phone, name + postcode, birth date)."""
    keys: list[str] = []
    if p.loyalty_card:
        keys.append("l:" + p.loyalty_card)
    if p.email:
        keys.append("e:" + p.email)
    if p.phone:
        keys.append("p:" + p.phone)
    a, b = phonetic(p.family_name), phonetic(p.given_name)
    pair = "|".join(sorted(x for x in (a, b) if x))
    if pair and p.postcode:
        keys.append(f"n:{pair}:{p.postcode}")
    if a and b:
        keys.append(f"nn:{pair}")
    if p.birth_date:
        initials = "".join(sorted(x[:1] for x in (name_key(p.family_name), name_key(p.given_name)) if x))
        if initials:
            keys.append(f"b:{p.birth_date}:{initials}")
    return keys


# -- matching --------------------------------------------------------------------------------------------------

AUTO_MERGE_SCORE = 9.0
REVIEW_SCORE = 5.0


@dataclass(frozen=True)
class Weights:
    """Log-odds-like points for each comparison outcome (a sum ≥ thresholds decides)."""

    loyalty_same: float = 12.0
    loyalty_diff: float = -6.0
    email_same: float = 5.0
    email_diff: float = -1.0
    phone_same: float = 5.0
    phone_diff: float = -1.0
    birth_same: float = 4.0
    birth_near: float = 1.0
    birth_diff: float = -5.0
    name_high: float = 3.0  # per name, Jaro-Winkler ≥ name_high_sim
    name_mid: float = 1.5  # ≥ name_mid_sim (typos)
    name_diff: float = -3.5
    name_high_sim: float = 0.97
    name_mid_sim: float = 0.88
    swap_penalty: float = 0.5  # names matched crosswise are slightly less convincing
    postcode_same: float = 1.0
    street_same: float = 2.0  # only counted with the same postcode
    street_sim: float = 0.9


WEIGHTS = Weights()


def name_points(sim: float, w: Weights = WEIGHTS) -> float:
    if sim >= w.name_high_sim:
        return w.name_high
    if sim >= w.name_mid_sim:
        return w.name_mid
    return w.name_diff


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two matching keys (rapidfuzz, C)."""
    return float(JaroWinkler.normalized_similarity(a, b))


def birth_points(a: str | None, b: str | None, w: Weights = WEIGHTS) -> float:
    """Same date; or a near miss (one of day/month/year differs, or day and month swapped); or different."""
    if not a or not b:
        return 0.0
    if a == b:
        return w.birth_same
    ya, ma, da = a.split("-")
    yb, mb, db = b.split("-")
    same = (ya == yb) + (ma == mb) + (da == db)
    if same == 2 or (ya == yb and ma == db and da == mb):
        return w.birth_near
    return w.birth_diff


def _exact(a: str | None, b: str | None, same: float, diff: float) -> float:
    if not a or not b:
        return 0.0
    return same if a == b else diff


@dataclass(frozen=True, slots=True)
class MatchView:
    """What comparisons need, computed once per record."""

    given: str
    family: str
    email: str | None
    phone: str | None
    birth: str | None
    postcode: str | None
    street: str
    loyalty: str | None

    @classmethod
    def of(cls, p: Person) -> MatchView:
        return cls(
            name_key(p.given_name),
            name_key(p.family_name),
            p.email,
            p.phone,
            p.birth_date,
            p.postcode,
            street_key(p.street),
            p.loyalty_card,
        )


def names_points(a: MatchView, b: MatchView, w: Weights = WEIGHTS) -> float:
    """Best of straight and crosswise (given ↔ family swapped) name agreement; 0 for a missing name."""

    def pts(x: str, y: str) -> float:
        return name_points(similarity(x, y), w) if x and y else 0.0

    straight = pts(a.given, b.given) + pts(a.family, b.family)
    crossed = pts(a.given, b.family) + pts(a.family, b.given) - w.swap_penalty
    return max(straight, crossed)


def score_pair(a: MatchView, b: MatchView, w: Weights = WEIGHTS) -> float:
    """Sum of agreement points; ≥ ``AUTO_MERGE_SCORE`` is the same person, ≥ ``REVIEW_SCORE`` asks staff."""
    score = _exact(a.loyalty, b.loyalty, w.loyalty_same, w.loyalty_diff)
    score += _exact(a.email, b.email, w.email_same, w.email_diff)
    score += _exact(a.phone, b.phone, w.phone_same, w.phone_diff)
    score += birth_points(a.birth, b.birth, w)
    score += names_points(a, b, w)
    if a.postcode and a.postcode == b.postcode:
        score += w.postcode_same
        if a.street and b.street and similarity(a.street, b.street) >= w.street_sim:
            score += w.street_same
    return score


def decide(score: float) -> str:
    if score >= AUTO_MERGE_SCORE:
        return "merge"
    if score >= REVIEW_SCORE:
        return "review"
    return "none"


# -- survivorship ---------------------------------------------------------------------------------------------

# Higher wins when two source records disagree: staff corrections, then what the customer typed
# into their own account, then the e-receipt (typed by the customer at the till), then the rest.
SOURCE_PRIORITY = {
    "rectification": 60,
    "account": 50,
    "app": 40,
    "web": 40,
    "eticket": 30,
    "staff": 25,
    "pos": 20,
    "call-centre": 10,
}
ADDRESS_FIELDS = ("street", "postcode", "city", "country")


@dataclass(frozen=True, slots=True)
class SourceView:
    id: str
    source: str
    received_at: datetime
    person: Person
    email_verified: bool = False
    flags: Sequence[str] = ()


def survive(records: Iterable[SourceView]) -> tuple[Person, dict[str, str]]:
    """The golden record and, per field, the id of the source record it came from.

    * e-mail: the most recent verified one, else the most recent valid one;
    * address (street, postcode, city, country together): the most complete, then the most recent;
    * every other field: highest source priority, then most recent, skipping empty values."""
    recs = list(records)
    values: dict[str, str | None] = dict.fromkeys(PERSON_FIELDS)
    lineage: dict[str, str] = {}

    def by_priority(r: SourceView) -> tuple[int, datetime, str]:
        return (SOURCE_PRIORITY.get(r.source, 0), r.received_at, r.id)

    for name in PERSON_FIELDS:
        if name in ADDRESS_FIELDS or name == "email":
            continue
        for r in sorted(recs, key=by_priority, reverse=True):
            value = getattr(r.person, name)
            if value:
                values[name], lineage[name] = value, r.id
                break
    with_email = [r for r in recs if r.person.email]
    if with_email:
        best = max(with_email, key=lambda r: (r.email_verified, r.received_at, r.id))
        values["email"], lineage["email"] = best.person.email, best.id
    with_address = [r for r in recs if r.person.street or r.person.postcode or r.person.city]
    if with_address:

        def completeness(r: SourceView) -> tuple[int, datetime, str]:
            return (sum(1 for f in ADDRESS_FIELDS if getattr(r.person, f)), r.received_at, r.id)

        best = max(with_address, key=completeness)
        for name in ADDRESS_FIELDS:
            values[name] = getattr(best.person, name)
            if values[name]:
                lineage[name] = best.id
    return Person(**values), lineage


# -- consent -----------------------------------------------------------------------------------------------------

PURPOSES = ("marketing", "profiling", "e-receipt", "partners", "satisfaction-surveys")
CONSENT_CHANNELS = ("email", "sms", "push", "post", "phone")


@dataclass(frozen=True, slots=True)
class Statement:
    purpose: str
    channel: str
    granted: bool
    stated_at: datetime
    seq: int = 0


def current_consent(statements: Iterable[Statement], purpose: str, channel: str) -> bool:
    """The latest statement for (purpose, channel) wins; no statement means no consent (opt-in)."""
    relevant = [s for s in statements if s.purpose == purpose and s.channel == channel]
    if not relevant:
        return False
    return max(relevant, key=lambda s: (s.stated_at, s.seq)).granted


# -- accounts -------------------------------------------------------------------------------------------------------

MAX_FAILED_SIGN_INS = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10


def password_problem(password: str, email: str | None) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if email and email.split("@")[0].lower() in password.lower():
        return "The password must not contain the e-mail address."
    if len(set(password)) < 4:
        return "The password is too repetitive."
    return None


def lock_seconds_after(failures: int) -> int:
    """No lock before ``MAX_FAILED_SIGN_INS`` failures; then 15 min, doubling with each further failure."""
    if failures < MAX_FAILED_SIGN_INS:
        return 0
    return int(min(LOCK_SECONDS * 2 ** (failures - MAX_FAILED_SIGN_INS), 24 * 3600))

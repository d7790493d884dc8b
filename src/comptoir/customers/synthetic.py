"""A synthetic French clientele with known duplicates, for the demo retailer and ``bench/identity.py``.

Names, streets and towns come from Faker's ``fr_FR`` lists; every value is drawn from a seeded
generator, so a population is reproducible. Each person has one original record; some have one to
three more records of themselves, as other touchpoints would hold them:

* written differently (capitals, accents dropped, phone and date formats, "av." for "avenue", a
  postcode that lost its leading zero in a spreadsheet) — the same data, not an error;
* with one to three real differences: a typo in a name, given and family names swapped, a missing
  e-mail, phone, birth date or address, a new address (they moved), a new e-mail.

A duplicate always keeps two of e-mail, phone, birth date and address in common with the original
(the evidence a careful person at a desk would need). Households — spouses sharing an address and
often an e-mail or landline — and namesakes make the non-duplicates hard to tell apart too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker
from faker.providers.person.fr_FR import Provider as PersonNames

from comptoir.customers.normalisation import strip_accents

SOURCES = ("pos", "web", "app", "call-centre", "eticket")
FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "city",
    "loyalty_card",
)
DOMAINS = (
    ("gmail.com", 30), ("orange.fr", 14), ("hotmail.fr", 10), ("free.fr", 9), ("yahoo.fr", 7),
    ("sfr.fr", 6), ("laposte.net", 6), ("wanadoo.fr", 5), ("outlook.fr", 5), ("icloud.com", 4),
    ("live.fr", 2), ("bbox.fr", 2),
)  # fmt: skip
_KEYBOARD = {
    "a": "zqs", "b": "vn", "c": "xv", "d": "sf", "e": "zr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "km", "m": "l", "n": "bm", "o": "ip", "p": "o", "q": "as", "r": "et",
    "s": "qd", "t": "ry", "u": "yi", "v": "cb", "w": "x", "x": "cw", "y": "tu", "z": "ae",
}  # fmt: skip


@dataclass(frozen=True)
class SyntheticRecord:
    record_id: str
    person_id: int  # the truth: records of one person share it
    source: str
    fields: dict[str, str]


class Population:
    """Draws people and their records. ``records(n)`` yields about ``n`` records, duplicates included."""

    def __init__(self, seed: int = 7, *, duplicate_share: float = 0.3, localities: int = 6000) -> None:
        self.rng = random.Random(seed)
        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        self.given_male = list(PersonNames.first_names_male)
        self.given_female = list(PersonNames.first_names_female)
        self.family = list(PersonNames.last_names)
        self.streets = list(dict.fromkeys(faker.street_name() for _ in range(20_000)))
        self.localities = list({faker.postcode(): faker.city() for _ in range(localities)}.items())
        self.domains = [d for d, _ in DOMAINS]
        self.domain_weights = [w for _, w in DOMAINS]
        self.duplicate_share = duplicate_share
        self._emails: set[str] = set()
        self._phones: set[str] = set()
        self._day0 = date(1940, 1, 1)
        self._days = (date(2006, 12, 31) - self._day0).days

    def reserve(self, emails: list[str], phones: list[str]) -> None:
        """Never give a new person an e-mail or phone already used (by another population, say)."""
        self._emails.update(e.lower() for e in emails if e)
        for phone in phones:
            digits = "".join(c for c in phone if c.isdigit())
            if digits.startswith("33"):
                digits = "0" + digits[2:]
            if digits:
                self._phones.add(digits)

    # -- people ----------------------------------------------------------------------------------
    def _given(self, female: bool) -> str:
        names = self.given_female if female else self.given_male
        first = self.rng.choice(names)
        if self.rng.random() < 0.06:  # compound first names are common in France
            return f"{'Marie' if female else 'Jean'}-{first}" if first not in ("Marie", "Jean") else first
        return first

    def _email(self, given: str, family: str) -> str:
        rng = self.rng
        g, f = (strip_accents(x).lower().replace(" ", "").replace("'", "") for x in (given, family))
        shape = rng.random()
        local = (
            f"{g}.{f}"
            if shape < 0.45
            else f"{g[0]}{f}"
            if shape < 0.65
            else f"{g}{f}"
            if shape < 0.8
            else f"{f}.{g}"
        )
        domain = rng.choices(self.domains, self.domain_weights)[0]
        email = f"{local}@{domain}"
        while email in self._emails:
            email = f"{local}{rng.randint(1, 9999)}@{domain}"
        self._emails.add(email)
        return email

    def _phone(self, mobile: bool = True) -> str:
        while True:
            head = (
                self.rng.choice(("06", "07")) if mobile else self.rng.choice(("01", "02", "03", "04", "05"))
            )
            number = (
                head
                + (str(self.rng.randint(3, 9)) if head == "07" else "")
                + "".join(self.rng.choices("0123456789", k=8 if head != "07" else 7))
            )
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _address(self) -> tuple[str, str, str]:
        postcode, city = self.rng.choice(self.localities)
        number = self.rng.randint(1, 180)
        suffix = " bis" if self.rng.random() < 0.03 else ""
        return f"{number}{suffix} {self.rng.choice(self.streets)}", postcode, city

    def _birth(self) -> str:
        return (self._day0 + timedelta(days=self.rng.randrange(self._days))).isoformat()

    def person(self, family: str | None = None, home: tuple[str, str, str] | None = None) -> dict[str, str]:
        rng = self.rng
        given = self._given(female=rng.random() < 0.52)
        family = family or rng.choice(self.family)
        street, postcode, city = home or self._address()
        return {
            "given_name": given,
            "family_name": family,
            "email": self._email(given, family),
            "phone": self._phone(),
            "birth_date": self._birth(),
            "street": street,
            "postcode": postcode,
            "city": city,
            "loyalty_card": f"29{rng.randrange(10**10):010d}" if rng.random() < 0.25 else "",
        }

    # -- how touchpoints write things ------------------------------------------------------------------
    def _restyle(self, rec: dict[str, str]) -> dict[str, str]:
        rng = self.rng
        out = dict(rec)
        roll = rng.random()
        if roll < 0.25:
            out["given_name"], out["family_name"] = out["given_name"].upper(), out["family_name"].upper()
        elif roll < 0.4:
            out["given_name"] = strip_accents(out["given_name"]).lower()
            out["family_name"] = strip_accents(out["family_name"]).upper()
        if out["phone"] and rng.random() < 0.5:
            p = out["phone"]
            out["phone"] = rng.choice((
                f"{p[:2]} {p[2:4]} {p[4:6]} {p[6:8]} {p[8:]}",
                f"+33 {p[1]} {p[2:4]} {p[4:6]} {p[6:8]} {p[8:]}",
                f"{p[:2]}.{p[2:4]}.{p[4:6]}.{p[6:8]}.{p[8:]}",
                f"+33{p[1:]}",
            ))  # fmt: skip
        if len(out["birth_date"]) == 10 and out["birth_date"][4] == "-":  # ISO: write it another way
            y, m, d = out["birth_date"].split("-")
            out["birth_date"] = rng.choice(
                (f"{d}/{m}/{y}", f"{d}/{m}/{y}", f"{y}-{m}-{d}", f"{d}-{m}-{y[2:]}", f"{d}{m}{y}")
            )
        if out["email"] and rng.random() < 0.1:
            out["email"] = out["email"].upper()
        if out["street"] and rng.random() < 0.3:
            out["street"] = (
                out["street"].replace("avenue", "av.").replace("boulevard", "bd").replace("chemin", "ch.")
            )
        if out["postcode"].startswith("0") and rng.random() < 0.3:
            out["postcode"] = out["postcode"][1:]
        return out

    def _typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word))  # first letters are rarely mistyped
        kind = rng.random()
        if kind < 0.3:
            return word[:i] + word[i + 1 :]
        if kind < 0.55 and i < len(word) - 1:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind < 0.8:
            near = _KEYBOARD.get(word[i].lower(), "e")
            return word[:i] + rng.choice(near) + word[i + 1 :]
        return word[:i] + word[i] + word[i:]

    def duplicate(self, original: dict[str, str]) -> dict[str, str]:
        """Another record of the same person, with one to three real differences."""
        rng = self.rng
        while True:
            rec = dict(original)
            for change in rng.sample(
                ("typo", "swap", "no_email", "no_phone", "no_birth", "no_address", "moved", "new_email"),
                rng.choice((1, 1, 2, 2, 3)),
            ):
                if change == "typo":
                    key = rng.choice(("given_name", "family_name"))
                    rec[key] = self._typo(rec[key])
                elif change == "swap":
                    rec["given_name"], rec["family_name"] = rec["family_name"], rec["given_name"]
                elif change == "no_email":
                    rec["email"] = ""
                elif change == "no_phone":
                    rec["phone"] = ""
                elif change == "no_birth":
                    rec["birth_date"] = ""
                elif change == "no_address":
                    rec["street"] = rec["postcode"] = rec["city"] = ""
                elif change == "moved":
                    rec["street"], rec["postcode"], rec["city"] = self._address()
                elif change == "new_email":
                    rec["email"] = self._email(rec["given_name"], rec["family_name"])
            anchors = sum(
                bool(rec[f]) and rec[f] == original[f] for f in ("email", "phone", "birth_date", "street")
            )
            if anchors >= 2:
                rec["loyalty_card"] = rec["loyalty_card"] if rng.random() < 0.5 else ""
                return rec

    # -- records -------------------------------------------------------------------------------------
    def records(self, count: int, *, prefix: str = "r") -> Iterator[SyntheticRecord]:
        """About ``count`` records (exactly ``count``), originals and duplicates interleaved by person."""
        rng = self.rng
        made = 0
        person_id = 0
        while made < count:
            person_id += 1
            original = self.person()
            group = [original]
            if rng.random() < 0.04:  # a household: a spouse at the same address, sometimes same e-mail
                spouse = self.person(
                    family=original["family_name"],
                    home=(original["street"], original["postcode"], original["city"]),
                )
                if rng.random() < 0.5:
                    spouse["email"] = original["email"]
                if rng.random() < 0.3:
                    spouse["phone"] = original["phone"]
                yield from self._emit(spouse, person_id + 10**9, prefix, made)
                made += 1
            extra = 0
            if rng.random() < self.duplicate_share:
                extra = rng.choice((1, 1, 1, 2, 2, 3))
            group += [self.duplicate(original) for _ in range(extra)]
            for rec in group:
                if made >= count:
                    return
                yield from self._emit(rec, person_id, prefix, made)
                made += 1

    def _emit(
        self, rec: dict[str, str], person_id: int, prefix: str, index: int
    ) -> Iterator[SyntheticRecord]:
        styled = self._restyle(rec)
        yield SyntheticRecord(f"{prefix}{index + 1}", person_id, self.rng.choice(SOURCES), styled)


def as_row(record: SyntheticRecord) -> dict[str, Any]:
    return {"id": record.record_id, "source": record.source, **record.fields}


# -- the hard case: dirty records without contact points ----------------------------------------------

FOREIGN_LOCALES = ("de_DE", "es_ES", "it_IT", "pt_PT", "pl_PL", "en_GB", "nl_NL", "tr_TR", "vi_VN")
HARD_FIELDS = ("given_name", "family_name", "birth_date", "street", "postcode", "city")
# Diminutives and short forms people give at a till, as a generator's lookup table would hold them.
NICKNAMES = {
    "Alexandre": "Alex", "Alexandra": "Alex", "Christophe": "Chris", "Christine": "Christine",
    "Nicolas": "Nico", "Frédéric": "Fred", "Sébastien": "Seb", "Stéphanie": "Steph", "Valérie": "Val",
    "Thomas": "Tom", "Maximilien": "Max", "Maxime": "Max", "Dominique": "Dom", "Catherine": "Cathy",
    "Élisabeth": "Babeth", "Isabelle": "Isa", "Benjamin": "Ben", "Guillaume": "Will", "Jean-Baptiste": "JB",
    "Jean-Pierre": "JP", "Jean-Claude": "JC", "Jean-Michel": "JM", "Marie-Christine": "Marie", "Patrick": "Pat",
    "Philippe": "Phil", "Emmanuel": "Manu", "Emmanuelle": "Manue", "Françoise": "Fanfan", "Jacqueline": "Jacky",
    "Jacques": "Jacky", "Joséphine": "Josie", "Raphaël": "Raph", "Anthony": "Tony", "Antoine": "Toine",
    "Mathilde": "Mathou", "Charlotte": "Charlie", "Charles": "Charlie", "Victoria": "Vicky", "Virginie": "Virgi",
    "Caroline": "Caro", "Amandine": "Mandine", "Delphine": "Delph", "Margaux": "Margot", "Marguerite": "Maggie",
    "Bernard": "Nanard", "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katharina": "Kathi",
    "Alejandro": "Alex", "Francisco": "Paco", "José": "Pepe", "Giuseppe": "Beppe", "Francesco": "Checco",
}  # fmt: skip
_OCR = {
    "m": "rn", "rn": "m", "l": "i", "i": "l", "o": "c", "c": "e", "e": "c", "u": "v", "v": "u", "h": "b",
    "0": "8", "8": "0", "1": "7", "7": "1", "3": "8", "5": "6", "6": "5", "9": "4",
}  # fmt: skip
_PHONETIC_SWAPS = (
    ("ph", "f"), ("f", "ph"), ("eau", "o"), ("au", "o"), ("o", "au"), ("ai", "é"), ("ei", "ai"), ("qu", "k"),
    ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"), ("ss", "ç"), ("an", "en"), ("en", "an"), ("ll", "l"),
    ("tt", "t"), ("t", "tt"), ("nn", "n"), ("s", "z"), ("z", "s"), ("ch", "sh"), ("w", "v"), ("th", "t"),
)  # fmt: skip


def _zipf_weights(count: int, exponent: float = 0.9) -> list[float]:
    """Name frequencies as real populations have them: a few very common names, a long tail."""
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


class HardPopulation(Population):
    """People known by name, birth date and address only, and records as dirty as the classic
    record-linkage generators make them (FEBRL, GeCo): each duplicate of a person's original record
    carries one to three corruptions among keyboard typos, OCR errors, phonetic misspellings, missing
    values, given and family names or day and month swapped, a nickname for the first name, a digit
    wrong in the birth date or postcode. Names follow a Zipf law, one person in six has a name from
    another country, and households (same family name and address, another first name and birth date)
    make non-duplicates hard to tell apart. A person has one to five duplicates, or none."""

    def __init__(self, seed: int = 7, *, duplicate_share: float = 0.5, localities: int = 6000) -> None:
        super().__init__(seed, duplicate_share=duplicate_share, localities=localities)
        self.family_weights = _zipf_weights(len(self.family))
        foreign_family: list[str] = []
        foreign_given: list[str] = []
        for code in FOREIGN_LOCALES:
            names = Faker(code).provider("faker.providers.person")
            foreign_family += list(getattr(names, "last_names", ()))[:120]
            foreign_given += list(getattr(names, "first_names", ()))[:120]
        self.foreign_family = sorted(set(foreign_family))
        self.foreign_given = sorted(set(foreign_given))

    def _birth(self) -> str:
        return (self._day0 + timedelta(days=self.rng.randrange(self._days))).isoformat()

    def person(self, family: str | None = None, home: tuple[str, str, str] | None = None) -> dict[str, str]:
        rng = self.rng
        foreign = rng.random() < 1 / 6
        given = rng.choice(self.foreign_given) if foreign else self._given(female=rng.random() < 0.52)
        if family is None:
            family = (
                rng.choice(self.foreign_family)
                if foreign
                else rng.choices(self.family, self.family_weights)[0]
            )
        street, postcode, city = home or self._address()
        return {
            "given_name": given,
            "family_name": family,
            "email": "",
            "phone": "",
            "birth_date": self._birth(),
            "street": street,
            "postcode": postcode,
            "city": city,
            "loyalty_card": "",
        }

    # -- corruptions -------------------------------------------------------------------------------------
    def _ocr(self, word: str) -> str:
        spots = [(i, k) for k in _OCR for i in range(len(word)) if word.startswith(k, i)]
        if not spots:
            return self._typo(word)
        i, k = self.rng.choice(spots)
        return word[:i] + _OCR[k] + word[i + len(k) :]

    def _phonetic_error(self, word: str) -> str:
        lower = word.lower()
        spots = [
            (i, a, b) for a, b in _PHONETIC_SWAPS for i in range(1, len(lower)) if lower.startswith(a, i)
        ]
        if not spots:
            return self._typo(word)
        i, a, b = self.rng.choice(spots)
        return word[:i] + b + word[i + len(a) :]

    def _date_error(self, iso: str) -> str:
        y, m, d = iso.split("-")
        kind = self.rng.random()
        if kind < 0.35 and int(d) <= 12:
            return f"{y}-{d}-{m}"  # day and month swapped
        if kind < 0.6:
            return f"{y[:3]}{int(y[3]) ^ 1}-{m}-{d}"  # a year digit misread
        digits = list(d)
        digits[1] = self._ocr(digits[1])[:1]
        day = "".join(digits)
        return f"{y}-{m}-{day}" if 1 <= int(day) <= 28 else f"{y}-{m}-{d[::-1] if d[1] != '0' else d}"

    def _corrupt(self, rec: dict[str, str], change: str) -> None:
        rng = self.rng
        text_field = rng.choice(("given_name", "family_name", "family_name", "street", "city"))
        if change == "typo" and rec[text_field]:
            rec[text_field] = self._typo(rec[text_field])
        elif change == "ocr" and rec[text_field]:
            rec[text_field] = self._ocr(rec[text_field])
        elif change == "phonetic":
            key = rng.choice(("given_name", "family_name"))
            rec[key] = self._phonetic_error(rec[key]) if rec[key] else rec[key]
        elif change == "missing":
            rec[rng.choice(HARD_FIELDS)] = ""
        elif change == "swap_names":
            rec["given_name"], rec["family_name"] = rec["family_name"], rec["given_name"]
        elif change == "nickname" and rec["given_name"] in NICKNAMES:
            rec["given_name"] = NICKNAMES[rec["given_name"]]
        elif change == "date" and rec["birth_date"]:
            rec["birth_date"] = self._date_error(rec["birth_date"])
        elif change == "postcode" and rec["postcode"]:
            digits = list(rec["postcode"])
            at = rng.randrange(2, len(digits))
            digits[at] = str((int(digits[at]) + rng.choice((1, 9))) % 10)
            rec["postcode"] = "".join(digits)

    def duplicate(self, original: dict[str, str]) -> dict[str, str]:
        rec = dict(original)
        changes = (
            "typo",
            "typo",
            "ocr",
            "phonetic",
            "missing",
            "missing",
            "swap_names",
            "nickname",
            "date",
            "postcode",
        )
        for change in self.rng.sample(changes, self.rng.choice((1, 1, 2, 2, 3))):
            self._corrupt(rec, change)
        return rec

    def records(self, count: int, *, prefix: str = "r") -> Iterator[SyntheticRecord]:
        rng = self.rng
        made = 0
        person_id = 0
        while made < count:
            person_id += 1
            original = self.person()
            group = [original]
            if rng.random() < 0.06:  # a household: a relative at the same address
                relative = self.person(
                    family=original["family_name"],
                    home=(original["street"], original["postcode"], original["city"]),
                )
                yield from self._emit(relative, person_id + 10**9, prefix, made)
                made += 1
            if rng.random() < self.duplicate_share:
                group += [self.duplicate(original) for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 5)))]
            for rec in group:
                if made >= count:
                    return
                yield from self._emit(rec, person_id, prefix, made)
                made += 1

"""appointments: ``comptoir import advisors FILE`` — advisors from a CSV file (a header row) or JSON Lines.

One row (or JSON object) per advisor; the columns:

* ``email`` (required): the employee. Nobody has it: a staff person is created with the role advisor,
  the row's places as shops and no password (an administrator sets one to let them sign in). Someone
  has it: that person is used as they are (name, role and shops unchanged).
* ``name``: the employee's name, required when they are created.
* ``skills``, ``languages`` (two letters: fr, en…; default fr), ``places`` (required: store codes or
  place ids): lists separated by ``|``, ``,`` or spaces (or JSON arrays).
* ``weekly``: the weekly hours, e.g. ``Mo-Fr 10:00-19:00 @PARIS-RIVOLI; Sa 10:00-18:00 @PARIS-RIVOLI``;
  ``exceptions``: dates that differ, e.g. ``2026-12-24 10:00-16:00 @PARIS-RIVOLI; 2026-12-26 off`` (the
  form: :mod:`comptoir.appointments.schedule_text`).
* ``active``: yes/no (default yes).

The row's profile replaces the advisor's (importing a file twice changes nothing the second time). Each
row is validated with the schemas and written in its own savepoint: a bad row is reported with the
column at fault and leaves nothing written; the others go in.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select

from comptoir.appointments import schedule_text, setup
from comptoir.appointments.models import Advisor
from comptoir.appointments.policies import WEEKDAYS, parse_hhmm
from comptoir.appointments.schedule_text import TextRange
from comptoir.appointments.schemas import AdvisorIn
from comptoir.core import staff
from comptoir.core.access import Role
from comptoir.core.errors import Problem
from comptoir.core.models import StaffPerson
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores

COLUMNS = ("email", "name", "skills", "languages", "places", "weekly", "exceptions", "active")
ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "nom": "name",
    "place_ids": "places",
    "shops": "places",
    "stores": "places",
    "weekly_hours": "weekly",
    "hours": "weekly",
}
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_YES = {"", "yes", "y", "true", "1", "oui", "o"}
_NO = {"no", "n", "false", "0", "non"}
_COLUMN_OF = {"place_ids": "places", "shops": "places"}

Outcome = Literal["created", "updated", "unchanged", "error"]


class RowError(ValueError):
    """A row refused, naming the column at fault."""

    def __init__(self, column: str, detail: str) -> None:
        super().__init__(f"{column}: {detail}")
        self.column, self.detail = column, detail


@dataclass(frozen=True)
class RowReport:
    row: int  # the file's line the row starts on (the header is line 1)
    outcome: Outcome
    email: str = ""
    advisor_id: str | None = None
    person_created: bool = False
    column: str = ""
    detail: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)  # columns (keys) the import does not read

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def failed(self) -> bool:
        return self.count("error") > 0

    def summary(self) -> str:
        return (
            f"{len(self.rows)} row(s): {self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('error')} error(s)"
        )


# -- reading the file ------------------------------------------------------------------------------------


def file_format(name: str, content: str) -> Literal["csv", "jsonl"]:
    """By the extension (.csv; .jsonl, .ndjson, .json), else by the first character (``{``: JSON Lines)."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "jsonl" if content.lstrip().startswith("{") else "csv"


def _column(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)


def read_rows(name: str, content: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line number, the row by column name, or why it cannot be read) for each row of the file."""
    if file_format(name, content) == "jsonl":
        yield from _jsonl_rows(content)
    else:
        yield from _csv_rows(content)


def _jsonl_rows(content: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError("row", f"not JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(value, dict):
            yield number, RowError("row", "not a JSON object")
            continue
        yield number, {_column(str(k)): v for k, v in value.items()}


def _delimiter(header: str) -> str:
    """``,`` unless the header has none but semicolons (a French spreadsheet's export) or tabs."""
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _csv_rows(content: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    first = content.lstrip("\r\n").splitlines()[0] if content.strip() else ""
    # newline="": a quoted field may hold line breaks, rows may end in \r\n or \n.
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first))
    header: list[str] | None = None
    while True:
        number = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, RowError("row", f"unreadable CSV: {exc}")
            return
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = [_column(v) for v in values]
            if "email" not in header:
                yield number, RowError("email", "the header has no email column")
                return
            continue
        if len(values) != len(header):
            yield number, RowError("row", f"{len(values)} column(s) where the header has {len(header)}")
            continue
        yield number, dict(zip(header, values, strict=True))


# -- one row ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """Every place by id and by store code (case-insensitive), with its weekly opening hours."""

    by_key: Mapping[str, str]  # lower-cased id or code → id
    codes: Mapping[str, str]  # id → code
    opening: Mapping[str, Mapping[int, Sequence[tuple[int, int]]]]  # id → weekday → open ranges

    def resolve(self, reference: str, column: str) -> str:
        found = self.by_key.get(reference.strip().lower())
        if found is None:
            raise RowError(column, f"no place has the code or id {reference.strip()!r}")
        return found


def load_places(uow: UnitOfWork) -> Places:
    by_key: dict[str, str] = {}
    codes: dict[str, str] = {}
    opening: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for place in stores.all_places(uow):
        by_key[place.code.lower()] = by_key[place.id.lower()] = place.id
        codes[place.id] = place.code
        week: dict[int, list[tuple[int, int]]] = {}
        for r in place.hours.weekly:
            week.setdefault(WEEKDAYS.index(r.day), []).append((parse_hhmm(r.opens), parse_hhmm(r.closes)))
        opening[place.id] = week
    return Places(by_key, codes, opening)


@dataclass(frozen=True)
class AdvisorRow:
    email: str
    name: str
    advisor: AdvisorIn
    notes: tuple[str, ...] = ()


def _text(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(v, column) for v in value)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RowError(column, "give text")
    return str(value).strip()


def _items(value: Any, column: str) -> list[str]:
    """A list column: a JSON array, or text separated by ``|``, ``,``, ``;`` or spaces; duplicates dropped."""
    parts = value if isinstance(value, list) else re.split(r"[|,;\s]+", _text(value, column))
    out: list[str] = []
    for part in parts:
        item = _text(part, column)
        if item and item not in out:
            out.append(item)
    return out


def _tags(value: Any, column: str, pattern: re.Pattern[str], what: str) -> list[str]:
    items = list(dict.fromkeys(item.lower() for item in _items(value, column)))
    for item in items:
        if not pattern.match(item):
            raise RowError(column, f"{item!r} is not {what}")
    return items


def _active(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, "active").lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise RowError("active", f"{text!r} is not yes or no")


def _weekly(text: str, places: Places, place_ids: list[str]) -> dict[int, tuple[TextRange, ...]]:
    """The weekly hours with each place resolved to its id (a range without @PLACE: the only place)."""
    try:
        parsed = schedule_text.parse_weekly(text)
    except ValueError as exc:
        raise RowError("weekly", str(exc)) from None
    return {day: tuple(_at(r, places, place_ids, "weekly") for r in ranges) for day, ranges in parsed.items()}


def _at(r: TextRange, places: Places, place_ids: list[str], column: str) -> TextRange:
    if r.place is None:
        if len(place_ids) != 1:
            raise RowError(column, "say where with @PLACE: the advisor works at several places")
        return TextRange(r.start, r.end, place_ids[0])
    place_id = places.resolve(r.place, column)
    if place_id not in place_ids:
        raise RowError(column, f"@{r.place} is not one of the advisor's places (add it to places)")
    return TextRange(r.start, r.end, place_id)


def _exceptions(text: str, places: Places, place_ids: list[str]) -> list[dict[str, Any]]:
    try:
        parsed = schedule_text.parse_exceptions(text)
    except ValueError as exc:
        raise RowError("exceptions", str(exc)) from None
    return [
        {
            "date": d.day.isoformat(),
            "ranges": [
                {"start": schedule_text.hhmm(x.start), "end": schedule_text.hhmm(x.end), "place_id": x.place}
                for x in (_at(r, places, place_ids, "exceptions") for r in d.ranges)
            ],
        }
        for d in parsed
    ]


def _outside_notes(weekly: Mapping[int, Sequence[TextRange]], places: Places) -> list[str]:
    notes = []
    for place_id in sorted({r.place for ranges in weekly.values() for r in ranges if r.place}):
        mine = {day: [r for r in ranges if r.place == place_id] for day, ranges in weekly.items()}
        outside = schedule_text.outside_opening(mine, places.opening.get(place_id, {}))
        if outside:
            notes.append(
                f"weekly: {', '.join(outside)} @{places.codes[place_id]} outside the shop's opening hours"
            )
    return notes


def parse_row(data: Mapping[str, Any], places: Places) -> AdvisorRow:
    """A row as the advisor's profile (validated by :class:`AdvisorIn`); RowError names the column."""
    email = _text(data.get("email"), "email").casefold()
    if not email:
        raise RowError("email", "required")
    if not staff.EMAIL_RE.match(email):
        raise RowError("email", f"{email!r} is not an e-mail address")
    place_ids = [places.resolve(p, "places") for p in _items(data.get("places"), "places")]
    if not place_ids:
        raise RowError("places", "required: the store codes or place ids where the advisor works")
    place_ids = list(dict.fromkeys(place_ids))
    weekly = _weekly(_text(data.get("weekly"), "weekly"), places, place_ids)
    languages = _tags(data.get("languages"), "languages", _LANGUAGE, "a two-letter language code (fr, en…)")
    command = {
        "skills": _tags(data.get("skills"), "skills", _TAG, "a skill tag (a-z, 0-9, - and _)"),
        "languages": languages or ["fr"],
        "place_ids": place_ids,
        "weekly": [
            {
                "day": WEEKDAYS[day],
                "start": schedule_text.hhmm(r.start),
                "end": schedule_text.hhmm(r.end),
                "place_id": r.place,
            }
            for day, ranges in weekly.items()
            for r in ranges
        ],
        "exceptions": _exceptions(_text(data.get("exceptions"), "exceptions"), places, place_ids),
        "active": _active(data.get("active")),
    }
    try:
        advisor = AdvisorIn.model_validate(command)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    return AdvisorRow(email, _text(data.get("name"), "name"), advisor, tuple(_outside_notes(weekly, places)))


def _validation_error(exc: ValidationError) -> RowError:
    """The first error of a schema, named by the file's column (``place_ids`` → ``places``…)."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    column = _COLUMN_OF.get(loc[0], loc[0]) if loc else "row"
    detail = err["msg"]
    if len(loc) > 1 and loc[1].isdigit():
        detail = f"entry {int(loc[1]) + 1}: {detail}"
    return RowError(column, detail)


# -- writing ---------------------------------------------------------------------------------------------


def import_advisors(uow: UnitOfWork, name: str, content: str) -> ImportReport:
    """Create or update one advisor per row, each in its own savepoint; the caller commits."""
    report = ImportReport()
    places = load_places(uow)
    for number, data in read_rows(name, content):
        email = str(data.get("email") or "").strip()[:254] if isinstance(data, dict) else ""
        if isinstance(data, dict):
            report.ignored.update(k for k in data if k not in COLUMNS)
        try:
            if isinstance(data, RowError):
                raise data
            row = parse_row(data, places)
            with uow.savepoint():
                report.rows.append(write_advisor(uow, row, number))
        except RowError as exc:
            report.rows.append(RowReport(number, "error", email, column=exc.column, detail=exc.detail))
        except Problem as exc:
            column = exc.errors[0].get("pointer", "#/row").lstrip("#/").split("/")[0] if exc.errors else "row"
            report.rows.append(
                RowReport(number, "error", email, column=_COLUMN_OF.get(column, column), detail=exc.detail)
            )
    return report


def _person(uow: UnitOfWork, row: AdvisorRow) -> tuple[str, str, bool, list[str]]:
    """The employee with the row's e-mail, created if nobody has it: (id, name, created, notes)."""
    person = uow.session.scalar(select(StaffPerson).where(StaffPerson.email == row.email))
    if person is not None:
        notes = []
        if person.role != Role.ADVISOR.value:
            notes.append(f"role: the employee is a {person.role} (kept)")
        if row.name and row.name != person.name:
            notes.append(f"name: the employee is named {person.name!r} (kept)")
        missing = [p for p in row.advisor.place_ids if person.shops and p not in person.shops]
        if missing:
            notes.append(f"places: {', '.join(missing)} not among the employee's shops (kept)")
        return person.id, person.name, False, notes
    if not row.name:
        raise RowError("name", "required for a new employee")
    try:
        command = staff.StaffPersonIn(
            email=row.email, name=row.name, role=Role.ADVISOR, shops=list(row.advisor.place_ids)
        )
    except ValidationError as exc:
        raise _validation_error(exc) from None
    created = staff.create_person(uow, command)
    return created.id, created.name, True, []


def write_advisor(uow: UnitOfWork, row: AdvisorRow, number: int) -> RowReport:
    """Put one advisor (their employee created if needed); nothing is written when nothing changes."""
    person_id, person_name, person_created, notes = _person(uow, row)
    existing = uow.session.get(Advisor, person_id)
    wanted = row.advisor.model_dump(mode="json")
    outcome: Outcome = "created" if existing is None else "updated"
    if existing is not None:
        current = setup.advisor_out(existing).model_dump(mode="json")
        if existing.name == person_name and all(current[k] == v for k, v in wanted.items()):
            outcome = "unchanged"
    if outcome != "unchanged":
        setup.put_advisor(uow, person_id, row.advisor)
    return RowReport(
        number,
        outcome,
        row.email,
        advisor_id=person_id,
        person_created=person_created,
        notes=(*notes, *row.notes),
    )

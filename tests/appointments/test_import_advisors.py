"""``comptoir import advisors FILE`` (CSV or JSON Lines) and ``comptoir appointments advisors``: advisors
with their employees, the hours' text form, a report per row naming the column at fault, each row in
its own savepoint, and a second import of the same file changing nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from comptoir.appointments import importer, schedule_text
from comptoir.appointments import service as appointments
from comptoir.appointments.models import Advisor
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.errors import InvalidInput
from comptoir.core.models import StaffPerson
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from tests.stores.factories import place_in
from tests.support.staff import make_person

RIVOLI, RENNES = "st_paris_rivoli", "st_paris_rennes"
HEADER = "email,name,skills,languages,places,weekly,exceptions\n"
LEA = (
    "Lea.Roux@Comptoir.example,Léa Roux,styling|video,fr|en,PARIS-RIVOLI,"
    '"Mo-Fr 10:00-13:00,14:00-19:00; Sa 10:00-18:00",2027-12-24 10:00-16:00; 2027-12-26..2027-12-27 off\n'
)
HUGO = (
    "hugo.petit@comptoir.example,Hugo Petit,alterations,fr,PARIS-RIVOLI st_paris_rennes,"
    '"Mo-We 10:00-19:00 @PARIS-RIVOLI; Th-Sa 10:00-13:00 @PARIS-RIVOLI; Th-Sa 14:00-19:00 @PARIS-RENNES",\n'
)


@pytest.fixture
def shops(db: Database) -> Database:
    with UnitOfWork(db) as uow:
        stores.create_place(uow, place_in(RIVOLI, code="PARIS-RIVOLI"))
        stores.create_place(uow, place_in(RENNES, code="PARIS-RENNES"))
        uow.commit()
    return db


def _run(db: Database, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _people(db: Database) -> dict[str, StaffPerson]:
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.scalars(select(StaffPerson)).all()
        uow.session.expunge_all()
    return {r.email: r for r in rows}


def _advisors(db: Database) -> dict[str, Any]:
    with UnitOfWork(db, read_only=True) as uow:
        return {a.id: a for a in appointments.list_advisors(uow)}


def _count(db: Database, model: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_csv_file_makes_advisors_and_their_employees_and_a_second_import_changes_nothing(  # type: ignore[no-untyped-def]
    shops, tmp_path, monkeypatch
) -> None:
    # given a CSV of two advisors nobody employs yet, one of them in two shops
    path = _file(tmp_path, "advisors.csv", HEADER + LEA + HUGO)
    # when it is imported
    first = _run(shops, monkeypatch, "import", "advisors", path)
    # then each row is reported, and both employees are made advisors in their shops
    assert first.exit_code == 0, first.output
    assert "row 2: created lea.roux@comptoir.example (stf_" in first.output
    assert "new employee" in first.output
    assert "row 3: created hugo.petit@comptoir.example" in first.output
    assert "2 row(s): 2 created, 0 updated, 0 unchanged, 0 error(s)" in first.output
    people = _people(shops)
    lea, hugo = people["lea.roux@comptoir.example"], people["hugo.petit@comptoir.example"]
    assert (lea.name, lea.role, lea.shops, lea.password_hash) == (
        "Léa Roux",
        Role.ADVISOR.value,
        [RIVOLI],
        None,
    )
    assert hugo.shops == [RENNES, RIVOLI]
    advisors = _advisors(shops)
    profile = advisors[lea.id]
    assert (profile.name, profile.skills, profile.languages) == (
        "Léa Roux",
        ["styling", "video"],
        ["fr", "en"],
    )
    assert [(r.day, r.start, r.end, r.place_id) for r in profile.weekly][:2] == [
        ("monday", "10:00", "13:00", RIVOLI),
        ("monday", "14:00", "19:00", RIVOLI),
    ]
    assert len(profile.weekly) == 11 and profile.weekly[-1].day == "saturday"
    assert [(e.date, [(r.start, r.end) for r in e.ranges]) for e in profile.exceptions] == [
        (date(2027, 12, 24), [("10:00", "16:00")]),
        (date(2027, 12, 26), []),
        (date(2027, 12, 27), []),
    ]
    thursday = [(r.start, r.place_id) for r in advisors[hugo.id].weekly if r.day == "thursday"]
    assert thursday == [("10:00", RIVOLI), ("14:00", RENNES)]

    # when the same file is imported again: nothing is created, nothing written
    again = _run(shops, monkeypatch, "import", "advisors", path)
    assert again.exit_code == 0, again.output
    assert "2 row(s): 0 created, 0 updated, 2 unchanged, 0 error(s)" in again.output
    assert (_count(shops, StaffPerson), _count(shops, Advisor)) == (2, 2)
    assert _advisors(shops)[lea.id].version == profile.version

    # when a row changes: that advisor's profile is replaced, the other left alone
    changed = LEA.replace("styling|video", "styling")
    out = _run(shops, monkeypatch, "import", "advisors", _file(tmp_path, "v2.csv", HEADER + changed + HUGO))
    assert "row 2: updated lea.roux@comptoir.example" in out.output
    assert "1 updated, 1 unchanged" in out.output
    assert _advisors(shops)[lea.id].skills == ["styling"]
    assert _advisors(shops)[lea.id].version == profile.version + 1


def test_json_lines_with_arrays_use_an_existing_employee_as_they_are(  # type: ignore[no-untyped-def]
    shops, tmp_path, monkeypatch
) -> None:
    # given a seller already employed at Rivoli
    seller = make_person(shops, Role.SELLER, [RIVOLI], email="ines@comptoir.example")
    rows = [
        {
            "email": "INES@comptoir.example",
            "name": "Inès Nouveau-Nom",
            "skills": ["styling", "personal_shopping"],
            "languages": ["fr", "es"],
            "places": ["st_paris_rivoli", "PARIS-RENNES"],
            "weekly": ["Tu-Sa 10:00-14:00 @PARIS-RIVOLI", "Tu-Sa 15:00-19:00 @PARIS-RENNES"],
            "exceptions": "2027-08-02..2027-08-06 off",
            "active": True,
        },
        {
            "email": "sam@comptoir.example",
            "name": "Sam",
            "places": "PARIS-RENNES",
            "weekly": "Mo 10:00-12:00",
        },
    ]
    # when a JSON Lines file (known by its first character, whatever its name) is imported
    path = _file(tmp_path, "advisors.txt", "\n".join(json.dumps(r) for r in rows) + "\n")
    out = _run(shops, monkeypatch, "import", "advisors", path)
    # then the seller becomes an advisor under their own name, role and shops, and the notes say so
    assert out.exit_code == 0, out.output
    assert f"row 1: created ines@comptoir.example ({seller.id})" in out.output
    assert "row 1: note: role: the employee is a seller (kept)" in out.output
    assert "row 1: note: name: the employee is named 'Test seller' (kept)" in out.output
    assert f"row 1: note: places: {RENNES} not among the employee's shops (kept)" in out.output
    assert "row 2: created sam@comptoir.example" in out.output
    person = _people(shops)["ines@comptoir.example"]
    assert (person.role, person.shops, person.name) == ("seller", [RIVOLI], "Test seller")
    profile = _advisors(shops)[seller.id]
    assert profile.name == "Test seller" and profile.place_ids == [RIVOLI, RENNES]
    assert profile.languages == ["fr", "es"] and len(profile.exceptions) == 5
    assert _advisors(shops)[_people(shops)["sam@comptoir.example"].id].languages == ["fr"]
    again = _run(shops, monkeypatch, "import", "advisors", path)
    assert "2 row(s): 0 created, 0 updated, 2 unchanged, 0 error(s)" in again.output


BAD_ROWS = [
    # (the row after the header, the column named, words of the message)
    ("a@x.fr,A,styling,fr,PARIS-RIVOLI,Mo-Fr 10:00,", "weekly", "is not a range like 10:00-19:00"),
    ("b@x.fr,,styling,fr,PARIS-RIVOLI,Mo 10:00-12:00,", "name", "required for a new employee"),
    ("c@x.fr,C,styling,french,PARIS-RIVOLI,,", "languages", "'french' is not a two-letter language"),
    ("d@x.fr,D,styling,fr,PARIS-NOWHERE,,", "places", "no place has the code or id 'PARIS-NOWHERE'"),
    ("e@x.fr,E,styling,fr,PARIS-RIVOLI|PARIS-RENNES,Mo 10:00-12:00,", "weekly", "say where with @PLACE"),
    ("f@x.fr,F,styling,fr,PARIS-RIVOLI,Mo 10:00-12:00 @PARIS-RENNES,", "weekly", "not one of the advisor's"),
    ("g@x.fr,G,styling,fr,PARIS-RIVOLI,Mo 10:00-14:00; Mo 13:00-19:00,", "weekly", "overlap"),
    ("h@x.fr,H,styling,fr,PARIS-RIVOLI,,2027-02-30 off", "exceptions", "is not a date"),
    ("not-an-email,I,styling,fr,PARIS-RIVOLI,,", "email", "is not an e-mail address"),
    ("j@x.fr,J,Styling!,fr,PARIS-RIVOLI,,", "skills", "is not a skill tag"),
    ("k@x.fr,K,styling,fr,,,", "places", "required"),
    ("l@x.fr,L,styling,fr,PARIS-RIVOLI,Mo 10:00-12:00,,", "row", "8 column(s) where the header has 7"),
]


def test_bad_rows_are_reported_with_their_column_and_the_good_ones_go_in(  # type: ignore[no-untyped-def]
    shops, tmp_path, monkeypatch
) -> None:
    # given a file whose rows are all wrong in one column, but the first and the last
    body = LEA + "".join(row + "\n" for row, _, _ in BAD_ROWS) + HUGO
    # when it is imported
    out = _run(shops, monkeypatch, "import", "advisors", _file(tmp_path, "advisors.csv", HEADER + body))
    # then the exit code says so, each bad row is named with its line and column, the good rows go in
    assert out.exit_code == 1
    for line, (_, column, words) in enumerate(BAD_ROWS, start=3):
        reported = next(x for x in out.output.splitlines() if x.startswith(f"row {line}: "))
        assert reported.startswith(f"row {line}: error: {column}: "), reported
        assert words in reported, reported
    assert "14 row(s): 2 created, 0 updated, 0 unchanged, 12 error(s)" in out.output
    assert sorted(_people(shops)) == ["hugo.petit@comptoir.example", "lea.roux@comptoir.example"]


def test_a_row_failing_once_its_employee_is_made_leaves_nothing_behind(  # type: ignore[no-untyped-def]
    shops, monkeypatch
) -> None:
    # given the advisor's profile refused after their employee was created (each row is a savepoint)
    real = importer.setup.put_advisor

    def refuse_hugo(uow: UnitOfWork, person_id: str, command: Any) -> Any:
        if RENNES in command.place_ids:
            raise InvalidInput("Refused.", field="weekly.0.place_id")
        return real(uow, person_id, command)

    monkeypatch.setattr(importer.setup, "put_advisor", refuse_hugo)
    with UnitOfWork(shops) as uow:
        report = importer.import_advisors(uow, "advisors.csv", HEADER + LEA + HUGO)
        uow.commit()
    # then that row is reported on its column and nothing of it is kept; the other row is
    assert [(r.row, r.outcome, r.column) for r in report.rows] == [(2, "created", ""), (3, "error", "weekly")]
    assert sorted(_people(shops)) == ["lea.roux@comptoir.example"]


def test_a_french_spreadsheets_semicolons_and_the_export_read_back(  # type: ignore[no-untyped-def]
    shops, tmp_path, monkeypatch
) -> None:
    # given a semicolon-separated export with a byte order mark (hours quoted: they hold semicolons)
    text = (
        "\ufeffemail;name;skills;languages;places;weekly;exceptions\n"
        "lea.roux@comptoir.example;Léa Roux;styling|video;fr|en;PARIS-RIVOLI;"
        '"Mo-Fr 10:00-13:00,14:00-19:00; Sa 10:00-18:00";"2027-12-24 10:00-16:00; 2027-12-26..2027-12-27 off"\n'
        "hugo.petit@comptoir.example;Hugo Petit;alterations;fr;PARIS-RIVOLI|PARIS-RENNES;"
        '"Mo-We 10:00-19:00 @PARIS-RIVOLI; Th-Sa 10:00-13:00 @PARIS-RIVOLI; Th-Sa 14:00-19:00 @PARIS-RENNES";\n'
    )
    out = _run(shops, monkeypatch, "import", "advisors", _file(tmp_path, "excel.csv", text))
    assert out.exit_code == 0, out.output
    assert "2 created" in out.output
    # when the advisors are written out in the import's form and read back: nothing changes
    exported = tmp_path / "export.csv"
    listed = _run(shops, monkeypatch, "appointments", "advisors", "--output", str(exported))
    assert listed.exit_code == 0, listed.output
    content = exported.read_text(encoding="utf-8")
    assert '"Mo-Fr 10:00-13:00,14:00-19:00 @PARIS-RIVOLI; Sa 10:00-18:00 @PARIS-RIVOLI"' in content
    assert "2027-12-24 10:00-16:00 @PARIS-RIVOLI; 2027-12-26..2027-12-27 off" in content
    again = _run(shops, monkeypatch, "import", "advisors", str(exported))
    assert "2 row(s): 0 created, 0 updated, 2 unchanged, 0 error(s)" in again.output
    only_rennes = _run(shops, monkeypatch, "appointments", "advisors", "--place", "PARIS-RENNES")
    assert only_rennes.output.count("\n") == 2 and "hugo.petit@" in only_rennes.output


def test_hours_outside_the_shops_opening_and_columns_not_read_are_noted(shops, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # given hours on a Sunday the shop is closed, and a misspelt column
    header = "email,name,skills,langauges,places,weekly\n"
    row = "n@x.fr,N,styling,en,PARIS-RIVOLI,Mo-Sa 10:00-19:00; Su 10:00-12:00\n"
    out = _run(shops, monkeypatch, "import", "advisors", _file(tmp_path, "a.csv", header + row))
    # then the row goes in, and both are pointed out
    assert out.exit_code == 0, out.output
    assert "row 2: note: weekly: Su 10:00-12:00 @PARIS-RIVOLI outside the shop's opening hours" in out.output
    assert "note: column(s) not read: langauges" in out.output


# -- the text form (pure) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mo-Fr 10:00-13:00,14:00-19:00 @A; Sa 10:00-18:00 @A",
        "Mo,We 10:00-12:00 @A; Mo,We 14:00-18:00 @B; Su 11:00-24:00 @A",
        "Tu-Th 09:30-12:00",
    ],
)
def test_weekly_hours_read_and_written_back_are_the_same(text: str) -> None:
    parsed = schedule_text.parse_weekly(text)
    assert schedule_text.parse_weekly(schedule_text.format_weekly(parsed)) == parsed


def test_weekly_hours_read_lists_runs_and_times_without_a_leading_zero() -> None:
    parsed = schedule_text.parse_weekly("Mo,We-Th 9:00-12:30 @A ;  Sa 14:00-18:00")
    assert sorted(parsed) == [0, 2, 3, 5]
    assert parsed[0] == (schedule_text.TextRange(540, 750, "A"),)
    assert parsed[5] == (schedule_text.TextRange(840, 1080, None),)
    assert schedule_text.format_weekly(parsed) == "Mo 09:00-12:30 @A; We-Th 09:00-12:30 @A; Sa 14:00-18:00"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Mo-Fr", "is not like"),
        ("Fr-Mo 10:00-12:00", "goes backwards"),
        ("Lu 10:00-12:00", "is not a day"),
        ("Mo 10:00-25:00", "is not a time"),
        ("Mo 12:00-10:00", "the end comes before the start"),
        ("Mo 10:00-12:00 @", "name one place after @"),
        ("Mo 10:00-12:00 @A; Mo 11:00-13:00 @B", "Mo: 10:00-12:00 and 11:00-13:00 overlap"),
    ],
)
def test_weekly_hours_refused_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        schedule_text.parse_weekly(text)


def test_exceptions_read_runs_of_days_off_and_hours_at_two_places() -> None:
    text = "2027-12-24 10:00-13:00 @A; 2027-12-24 14:00-16:00 @B; 2027-12-30..2028-01-02 off"
    parsed = schedule_text.parse_exceptions(text)
    days = ["2027-12-24", "2027-12-30", "2027-12-31", "2028-01-01", "2028-01-02"]
    assert [d.day for d in parsed] == [date.fromisoformat(d) for d in days]
    assert parsed[0].ranges == (
        schedule_text.TextRange(600, 780, "A"),
        schedule_text.TextRange(840, 960, "B"),
    )
    assert schedule_text.format_exceptions(parsed) == text
    for bad, words in (
        ("2027-12-24", "give hours"),
        ("2027-12-24 off; 2027-12-24 10:00-12:00", "both off and working"),
        ("2027-12-31..2027-12-01 off", "goes backwards"),
        ("2027-01-01..2028-06-01 off", "at most 366 days"),
    ):
        with pytest.raises(ValueError, match=words):
            schedule_text.parse_exceptions(bad)


def test_the_file_format_is_known_by_its_extension_or_its_first_character() -> None:
    assert importer.file_format("a.CSV", "{") == "csv"
    assert importer.file_format("a.jsonl", "email") == "jsonl"
    assert importer.file_format("a.ndjson", "") == "jsonl"
    assert importer.file_format("advisors", '  {"email": "a@b.fr"}') == "jsonl"
    assert importer.file_format("advisors", "email,name") == "csv"

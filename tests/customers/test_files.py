"""Reading customer files: CSV as spreadsheets export it (encoding, delimiter sniffed) and JSON Lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.customers.files import read_rows


def test_a_french_excel_csv_is_read_with_its_encoding_and_semicolons(tmp_path: Path) -> None:
    # given a Windows-1252 file separated by semicolons
    path = tmp_path / "clients.csv"
    path.write_bytes("prénom;nom;ville\nAgnès;Lefèvre;Orléans\nJosé;Núñez;Lyon\n".encode("cp1252"))
    # when it is read
    headers, rows = read_rows(path)
    # then accents and columns survive
    assert headers == ["prénom", "nom", "ville"]
    assert list(rows) == [
        {"prénom": "Agnès", "nom": "Lefèvre", "ville": "Orléans"},
        {"prénom": "José", "nom": "Núñez", "ville": "Lyon"},
    ]


def test_a_utf8_csv_with_a_byte_order_mark_keeps_its_first_header_clean(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes("\ufeffemail,phone\nzoe@example.fr,0612345678\n".encode())
    headers, rows = read_rows(path)
    assert headers == ["email", "phone"]
    assert list(rows) == [{"email": "zoe@example.fr", "phone": "0612345678"}]


def test_json_lines_give_the_union_of_keys_and_flag_a_line_that_is_not_an_object(tmp_path: Path) -> None:
    # given JSON Lines with a blank line and a line holding a bare string
    path = tmp_path / "records.jsonl"
    path.write_text('{"email": "a@example.fr"}\n\n{"phone": "0600000000"}\n"just text"\n', encoding="utf-8")
    # when read / then each object is a row, keys in order of appearance, the string kept as _line
    headers, rows = read_rows(path)
    assert headers == ["email", "phone", "_line"]
    assert list(rows) == [{"email": "a@example.fr"}, {"phone": "0600000000"}, {"_line": "just text"}]


def test_a_line_that_is_not_json_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text('{"email": "a@example.fr"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^line 2 is not JSON"):
        read_rows(path)

"""Reading customer files: CSV (encoding and delimiter sniffed, as French spreadsheets export them) or
JSON Lines. Shared by the file import and the batch deduplication."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def open_text(path: Path) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (with or without BOM), else Windows-1252 (French Excel)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")


def csv_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    """The delimiter among , ; tab and | that the sample uses; plain comma-separated when unsure."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def is_json_lines(path: Path) -> bool:
    return path.suffix.lower() in JSON_SUFFIXES


def read_rows(path: Path) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The headers and rows of a CSV (delimiter and encoding sniffed) or JSON Lines file.

    A JSON line that is not an object becomes ``{"_line": value}``, so the import reports it as a bad row;
    a line that is not JSON at all stops the reading with its line number."""
    if is_json_lines(path):
        rows = []
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"line {number} is not JSON: {exc.msg}") from exc
                    rows.append(value if isinstance(value, dict) else {"_line": value})
        headers = list(dict.fromkeys(k for row in rows for k in row))
        return headers, iter(rows)
    text, _ = open_text(path)
    reader = csv.DictReader(text.splitlines(), dialect=csv_dialect(text[:65536]))
    headers = list(reader.fieldnames or [])
    return headers, iter(reader)

"""Store CSV files as retailers really send them (issue 15, item 8): short rows, old-Mac line endings,
line breaks inside quoted fields — each a per-row error or simply read, never a 500."""

from __future__ import annotations

from typing import Any

from tests.stores.test_bulk_publication import _create_stores

HEADER = (
    "id,store_code,name,address_line_1,postal_code,locality,region,phone,services,weekly_hours,special_days"
)
TOURS = "st_tours,TOURS,Comptoir Tours,60 rue Nationale,37000,Tours,Centre-Val de Loire,,,Mo-Sa 10:00-19:00,"
BLOIS = 'st_blois,BLOIS,Comptoir Blois,"2 rue Denis Papin\rCour intérieure",41000,Blois,,,,Mo-Sa 10:00-19:00,'


def _import(client: Any, headers: dict[str, str], content: str) -> Any:
    return client.post(
        "/v1/stores/import", files={"file": ("stores.csv", content.encode(), "text/csv")}, headers=headers
    )


def test_a_row_with_too_few_columns_is_reported_and_the_good_rows_kept(
    client: Any, admin_headers: dict[str, str]
) -> None:
    # given a file whose second row stops after the name
    content = "\n".join([HEADER, TOURS, "st_short,SHORT,Comptoir Court", BLOIS.replace("\r", " ")]) + "\n"
    # when it is imported
    response = _import(client, admin_headers, content)
    # then the short row is an error naming its line, the two others are created
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"]) == (2, 0)
    assert report["errors"] == [
        {"row": 3, "field": "row", "detail": "the row has 3 column(s) where the header has 11"}
    ]
    assert client.get("/v1/stores/places/st_short", headers=admin_headers).status_code == 404


def test_old_mac_line_endings_and_a_carriage_return_inside_a_quoted_field(
    client: Any, admin_headers: dict[str, str]
) -> None:
    # given a file saved with \r line endings whose Blois address holds a \r inside quotes
    content = "\r".join([HEADER, TOURS, BLOIS]) + "\r"
    # when it is imported
    response = _import(client, admin_headers, content)
    # then both rows are read, the address keeps its two parts
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["errors"]) == (2, [])
    blois = client.get("/v1/stores/places/st_blois", headers=admin_headers).json()
    assert blois["address"]["lines"] == ["2 rue Denis Papin\rCour intérieure"]


def test_the_channel_file_upload_reads_old_mac_line_endings(
    client: Any, admin_headers: dict[str, str], db: Any, dispatcher: Any
) -> None:
    # given the CSV channel's file of three stores, saved by a partner with \r line endings
    _create_stores(db, 3)
    dispatcher.drain()
    published = client.get("/v1/stores/channels/csv/file", headers=admin_headers).text
    mac = published.replace("\n", "\r")
    # when it is uploaded
    uploaded = client.put(
        "/v1/stores/channels/csv/file",
        content=mac.encode(),
        headers={**admin_headers, "content-type": "text/csv"},
    )
    # then it is read as the same three rows
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == {"channel": "csv", "stored": 3, "confirmed": 3}


def test_a_short_row_in_the_channel_file_is_a_422_naming_its_line(
    client: Any, admin_headers: dict[str, str], db: Any, dispatcher: Any
) -> None:
    _create_stores(db, 2)
    dispatcher.drain()
    lines = client.get("/v1/stores/channels/csv/file", headers=admin_headers).text.splitlines()
    broken = "\n".join([lines[0], lines[1], ",".join(lines[2].split(",")[:3])]) + "\n"
    uploaded = client.put(
        "/v1/stores/channels/csv/file",
        content=broken.encode(),
        headers={**admin_headers, "content-type": "text/csv"},
    )
    assert uploaded.status_code == 422, uploaded.text
    assert uploaded.json()["detail"].startswith("Line 3 of the CSV file does not have the header's ")
    assert uploaded.json()["errors"][0]["pointer"] == "#/file"

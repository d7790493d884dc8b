"""Digital assets: renditions made by the worker, usage rights enforced at delivery, expiring rights."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from comptoir.catalog import service
from comptoir.core.context import Actor
from comptoir.core.uow import UnitOfWork
from tests.catalog.conftest import recorded
from tests.catalog.test_publishing import active_dress, png
from tests.conftest import make_key

ASSETS = "/v1/catalog/assets"


def upload(
    client: Any, headers: dict[str, str], content: bytes, content_type: str = "image/png", **form: str
) -> Any:
    name = {"image/png": "photo.png", "application/pdf": "notice.pdf"}.get(content_type, "file.bin")
    return client.post(ASSETS, data=form, files={"file": (name, content, content_type)}, headers=headers)


def key_headers(db: Any, channel: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(db, ['catalog:read'], channel=channel)}"}


def test_renditions_are_made_by_the_worker_not_the_request(
    client, admin_headers, taxonomy, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    product = active_dress(client, admin_headers)
    asset = upload(client, admin_headers, png(size=(800, 600)), product=product["id"], colour="bleu").json()
    assert (asset["kind"], asset["width"], asset["height"], asset["renditions"]) == ("image", 800, 600, [])
    not_yet = client.get(f"/v1/catalog/media/{asset['id']}/thumbnail", headers=admin_headers)
    assert (not_yet.status_code, not_yet.json()["type"]) == (404, "urn:comptoir:problem:rendition-not-ready")

    dispatcher.drain()

    assert client.get(f"{ASSETS}/{asset['id']}", headers=admin_headers).json()["renditions"] == [
        "listing",
        "thumbnail",
        "zoom",
    ]
    sizes = {}
    for name in ("thumbnail", "listing", "zoom"):
        response = client.get(f"/v1/catalog/media/{asset['id']}/{name}", headers=admin_headers)
        assert response.headers["content-type"] == "image/jpeg"
        sizes[name] = Image.open(io.BytesIO(response.content)).size
    assert sizes == {"thumbnail": (160, 120), "listing": (480, 360), "zoom": (800, 600)}
    original = client.get(f"/v1/catalog/media/{asset['id']}", headers=admin_headers)
    assert (original.headers["content-type"], original.content) == ("image/png", png(size=(800, 600)))


def test_files_that_are_not_what_they_claim_are_refused(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    broken = upload(client, admin_headers, b"not an image at all")
    assert (broken.status_code, broken.json()["errors"][0]["pointer"]) == (422, "#/file")
    text = upload(client, admin_headers, b"hello", "text/plain")
    assert text.json()["detail"] == "text/plain is not accepted: send an image, a video, a PDF or audio."
    pdf = upload(client, admin_headers, b"%PDF-1.4 manual", "application/pdf", role="manual")
    assert (pdf.status_code, pdf.json()["kind"], pdf.json()["role"]) == (201, "document", "manual")
    audio = upload(client, admin_headers, b"ID3\x03\x00 story", "audio/mpeg")
    assert (audio.status_code, audio.json()["kind"]) == (201, "audio")
    video = upload(client, admin_headers, b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert (video.status_code, video.json()["kind"]) == (201, "video")
    bad_rights = upload(
        client,
        admin_headers,
        png(),
        rights_valid_from="2026-06-01T00:00:00Z",
        rights_valid_until="2026-01-01T00:00:00Z",
    )
    assert (bad_rights.status_code, bad_rights.json()["errors"][0]["pointer"]) == (
        422,
        "#/rights/valid_until",
    )
    bad_channel = upload(client, admin_headers, png(), rights_channels="web,tv")
    assert (bad_channel.status_code, bad_channel.json()["errors"][0]["pointer"]) == (422, "#/rights_channels")


def test_delivery_never_returns_an_asset_outside_its_rights(
    client, admin_headers, taxonomy, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    # given a celebrity photo licensed for the web only, in France, until a date
    product = active_dress(client, admin_headers)
    until = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    celebrity = upload(
        client,
        admin_headers,
        png("gold", (600, 600)),
        product=product["id"],
        rights_holder="Studio Lumière",
        rights_channels="web",
        rights_territories="FR",
        rights_valid_until=until.isoformat(),
    ).json()
    dispatcher.drain()
    for channel in ("web", "app"):
        client.post(
            f"/v1/catalog/products/{product['id']}/publications",
            json={"channel": channel, "locale": "fr_FR"},
            headers=admin_headers,
        )
    web, app = key_headers(taxonomy, "web"), key_headers(taxonomy, "app")
    media = f"/v1/catalog/media/{celebrity['id']}/listing"

    # then the web gets it in France, not elsewhere; the app never; the back office always
    assert client.get(media, headers=web).status_code == 200
    abroad = client.get(f"{media}?territory=ch", headers=web)
    assert (abroad.status_code, abroad.json()["detail"]) == (
        403,
        f"Asset {celebrity['id']} cannot be shown here: not licensed in territory CH.",
    )
    refused = client.get(media, headers=app)
    assert (refused.status_code, refused.json()["type"]) == (403, "urn:comptoir:problem:asset-rights")
    assert client.get(media, headers=admin_headers).status_code == 200
    assert client.get(f"{media}?channel=app", headers=web).status_code == 403  # a channel key sees its own

    view = "/v1/catalog/channel/products/ROBE-LIN"
    assert [a["id"] for a in client.get(view, headers=web).json()["assets"]] == [celebrity["id"]]
    assert client.get(view, headers=app).json()["assets"] == []
    with UnitOfWork(taxonomy, Actor(channel="app")) as uow:
        assert service.get_variants(uow, ["ROBE-LIN-S-BLEU"])["ROBE-LIN-S-BLEU"].image_url is None
    with UnitOfWork(taxonomy, Actor(channel="web")) as uow:
        summary = service.get_variants(uow, ["ROBE-LIN-S-BLEU"])["ROBE-LIN-S-BLEU"]
        assert summary.image_url == f"/v1/catalog/media/{celebrity['id']}/listing"

    # when the licence has lapsed, nobody outside the back office gets it any more
    lapsed = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    client.patch(
        f"{ASSETS}/{celebrity['id']}",
        json={"rights": {"holder": "Studio Lumière", "channels": ["web"], "valid_until": lapsed}},
        headers=admin_headers,
    )
    expired = client.get(media, headers=web)
    assert expired.status_code == 403
    assert "licence expired on" in expired.json()["detail"]
    # and the web, which requires an image, lost the product's only licensed one: it is withdrawn there
    assert client.get(view, headers=web).status_code == 404
    assert [(e["channel"], e["reason"]) for e in recorded(taxonomy, "catalog.product_unpublished")] == [
        ("web", "incomplete")
    ]


def test_staff_see_the_assets_whose_rights_expire_soon(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    soon = upload(
        client, admin_headers, png(), title="soon", rights_valid_until=(now + timedelta(days=10)).isoformat()
    )
    upload(
        client, admin_headers, png(), title="later", rights_valid_until=(now + timedelta(days=90)).isoformat()
    )
    upload(
        client, admin_headers, png(), title="lapsed", rights_valid_until=(now - timedelta(days=1)).isoformat()
    )
    upload(client, admin_headers, png(), title="forever")

    listed = client.get(f"{ASSETS}?expiring_within_days=30", headers=admin_headers).json()
    assert [a["title"] for a in listed["items"]] == ["soon"]
    assert listed["items"][0]["id"] == soon.json()["id"]


def test_the_product_view_needs_a_publication_on_that_channel(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    active_dress(client, admin_headers)
    web = key_headers(taxonomy, "web")
    missing = client.get("/v1/catalog/channel/products/ROBE-LIN", headers=web)
    assert missing.status_code == 404
    client.post(
        "/v1/catalog/products/ROBE-LIN/publications",
        json={"channel": "store", "locale": "en_GB"},
        headers=admin_headers,
    )
    store = key_headers(taxonomy, "store:st_lyon")
    view = client.get("/v1/catalog/channel/products/ROBE-LIN?locale=en_GB", headers=store).json()
    assert (view["name"], view["category_path"]) == ("Summer linen dress", ["Women", "Dresses"])
    assert view["attributes"] == {"Collar": "Round", "Care": "Wash at 30°"}
    assert [v["sku"] for v in view["variants"]] == ["ROBE-LIN-S-BLEU", "ROBE-LIN-M-BLEU"]
    back_office = client.get("/v1/catalog/channel/products/ROBE-LIN", headers=admin_headers)
    assert back_office.status_code == 422


def test_a_deleted_asset_is_no_longer_delivered(
    client, admin_headers, taxonomy, dispatcher, settings
) -> None:  # type: ignore[no-untyped-def]
    asset = upload(client, admin_headers, png(size=(300, 300))).json()
    dispatcher.drain()
    files = sorted(p.name for p in (settings.media_dir / "catalog").rglob("*") if p.is_file())
    assert files == ["listing.jpg", "original.png", "thumbnail.jpg", "zoom.jpg"]

    assert client.delete(f"{ASSETS}/{asset['id']}", headers=admin_headers).status_code == 204

    assert client.get(f"/v1/catalog/media/{asset['id']}", headers=admin_headers).status_code == 404
    assert [p for p in (settings.media_dir / "catalog").rglob("*") if p.is_file()] == []

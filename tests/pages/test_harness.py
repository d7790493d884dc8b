"""The browser harness itself: the page checks catch what they should, and the camera scanner reads an
EAN-13 and a QR code filmed by a fake camera into its input and submits the form."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.camera import ean13_modules

CLEAN = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Comptoir</title></head>
<body><main><h1>Comptoir</h1><p>{text}</p></main></body></html>"""

SCANNER = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Scan</title></head>
<body><main><h1>Scan</h1><form method="get" action="/__scan_test__/done"><label for="code">Code</label>
<input id="code" name="code">{scanner}</form></main></body></html>"""


def scanner_page(lang: str, formats: str) -> str:
    """A form with the design system's scanner (``ui.scanner``, which loads /static/scan.js)."""
    from comptoir.core.web import Pages

    pages = Pages("comptoir.core")
    macro = pages.env.from_string(
        '{% import "ui.html" as ui with context %}{{ ui.scanner("code", formats) }}'
    )
    return SCANNER.format(lang=lang, scanner=macro.render(**pages.helpers(lang), formats=formats))


def test_ean13_encoding_matches_the_standard():
    # 4006381333931 (GS1's example): first digit 4 -> parity LGLLGG.
    modules = ean13_modules("400638133393")
    assert len(modules) == 95
    assert modules.startswith("101" + "0001101")  # 0 in set A
    assert modules[3 + 7 : 3 + 14] == "0100111"  # 0 in set B
    assert modules.endswith("1100110" + "101")  # check digit 1 in set C
    with pytest.raises(ValueError):
        ean13_modules("4006381333932")


@pytest.mark.parametrize("viewport", ["tablet", "phone"])
def test_check_page_passes_a_clean_page(new_page, check_page, viewport):
    page = new_page("fr", viewport)
    page.set_content(CLEAN.format(lang="fr", text="Bonjour, la boutique de Paris Rivoli est ouverte."))
    shot = check_page(page, "harness-clean")
    assert shot.name == f"harness-clean-{viewport}-fr.png" and shot.stat().st_size > 0


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("Boutique st_paris_rivoli", "shows an id: st_paris_rivoli"),
        ("Client cus_0192f3c1a2b47c3e8d1f5a6b7c8d9e0f", "cus_0192f3c1a2b47c3e8d1f5a6b7c8d9e0f"),
        ('{"loyalty_points": 120}', "JSON key"),
        ("{'tier': 'gold'}", "dict or JSON object"),
        ('<span style="display:inline-block;width:2000px">large</span>', "overflows horizontally"),
        ('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">', "image-alt"),
    ],
)
def test_check_page_fails_a_faulty_page(new_page, check_page, text, fault):
    page = new_page("fr", "phone")
    page.set_content(CLEAN.format(lang="fr", text=text))
    with pytest.raises(AssertionError, match=fault.replace("{", r"\{").replace("'", ".")):
        check_page(page, "harness-faulty")


def test_check_page_catches_an_untranslated_string(new_page, check_page):
    page = new_page("fr", "tablet")
    page.set_content(CLEAN.format(lang="fr", text="Sign in"))  # core catalogue: "Se connecter"
    with pytest.raises(AssertionError, match="strings not in French: \\['Sign in'\\]"):
        check_page(page, "harness-english")


def test_the_sign_in_page_passes_and_a_person_signs_in(live_server, new_page, check_page, perf_budget):
    for lang in ("fr", "en"):
        page = new_page(lang, "phone")
        page.goto("/pages/sign-in")
        check_page(page, "sign-in")
    person = live_server.sign_in(page, "admin")
    assert page.url.endswith("/pages/") and person.email
    perf = perf_budget(page, "/pages/sign-in")
    assert perf.transfer_bytes > 0
    perf.assert_within_budget()


@pytest.mark.parametrize(
    ("code", "kind", "formats"),
    [
        ("4006381333931", "ean13", "ean"),
        ("https://comptoir.example/p/42", "qr", "qr"),
        # an exit pass whose QR code ZXing's detector misses at the camera's full size (6 px a module):
        # read at another size ("Dimensions could be not found" frame after frame before)
        (
            "eyJuIjoxLCJvIjoib3JkXzAxYTI0YzBiOWUzMDcwMDBhNTNiOTJhNDcxNDc3ZDcwIiwicyI6InN0X3BhcmlzX3Jpdm9saSIs"
            "IngiOjE3OTY1NzkzNTl9.8iW-Xxay6WbFJz4I3zNEBowYKhQ_LTjm3MK9OD_rTzU",
            "qr",
            "qr",
        ),
    ],
    ids=["ean13", "qr-url", "qr-exit-pass"],
)
def test_the_scanner_reads_a_barcode_from_the_camera(
    live_server, new_page, check_page, chromium_with_camera, fake_camera, code, kind, formats
):
    browser = chromium_with_camera(fake_camera(code, kind))
    page = new_page("fr", "phone", browser=browser)
    page.route(
        "**/__scan_test__/page",
        lambda route: route.fulfill(content_type="text/html", body=scanner_page("fr", formats)),
    )
    page.route("**/__scan_test__/done?*", lambda route: route.fulfill(content_type="text/html", body="ok"))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/__scan_test__/page")
    check_page(page, f"harness-scanner-{kind}")
    native = page.evaluate("'BarcodeDetector' in window")
    with page.expect_request("**/__scan_test__/done?*", timeout=30_000) as submitted:
        page.click("[data-scanner-start]")
    assert submitted.value.url.endswith("code=" + quote(code, safe=""))
    # Chromium on Linux has no BarcodeDetector: the vendored decoder is loaded when the scan starts.
    assert native or any("/static/vendor/zxing-library" in url for url in requested)


def test_the_scanner_says_when_the_camera_is_refused(new_page):
    page = new_page("en", "phone")
    page.route(
        "**/__scan_test__/page",
        lambda route: route.fulfill(content_type="text/html", body=scanner_page("en", "ean")),
    )
    page.goto("/__scan_test__/page")
    page.evaluate(
        "() => { navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('refused', 'NotAllowedError')); }"
    )
    page.click("[data-scanner-start]")
    assert "Camera access was refused" in page.locator("[data-scanner-error]").inner_text()

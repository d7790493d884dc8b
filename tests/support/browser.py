"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``, never ``playwright install``)
against a real ``comptoir serve`` on a scratch PostgreSQL database with the demo retailer.

A pytest plugin (registered from ``tests/conftest.py``). Tests that use its fixtures are marked
``browser`` and run only when ``COMPTOIR_TEST_DATABASE_URL`` is set and Chromium is installed; otherwise
they are skipped with the reason. Fixtures:

- ``live_server`` (session): ``.url``, ``.db_url``, ``.db``, ``.demo_keys`` (API keys by name),
  ``.make_person(role, shops)`` (password ``.password``), ``.sign_in(page, role, shops)`` (a new employee,
  through the sign-in form), ``.sign_in_as(page, email, password)``, ``.demo_staff(role)``.
- ``chromium`` (session): the browser; ``chromium_with_camera(y4m_path)``: another one whose camera shows
  that video.
- ``new_page(lang="fr", viewport="tablet", *, role=None, browser=None)``: a page in a fresh context
  (locale and Accept-Language, viewport, camera allowed; signed in as ``role`` when given).
- ``check_page(page, name=None)``: screenshot, then layout, raw ids, language and accessibility checks.
- ``perf_budget(page, url)``: first contentful paint and bytes transferred, cache disabled.
- ``fake_camera(code, kind="ean13")``: a .y4m video showing that barcode (``kind="qr"``: a QR code).

The checks and measures are in ``page_checks.py``, the barcode video in ``camera.py``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support import processes
from tests.support.camera import barcode_image, write_y4m
from tests.support.page_checks import (
    _PAGES,
    ACCEPT_LANGUAGE,
    LOCALES,
    VIEWPORTS,
    PageInfo,
    Perf,
    check,
    perf,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

    from comptoir.core.db import Database
    from comptoir.core.staff import StaffPersonOut

CHROMIUM = Path("/usr/bin/chromium")
PG_URL = os.environ.get("COMPTOIR_TEST_DATABASE_URL")
ROOT = processes.ROOT
SECRET_KEY = "test-secret-key-0123456789-0123456789"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
BROWSER_FIXTURES = {
    "live_server",
    "chromium",
    "chromium_with_camera",
    "new_page",
    "check_page",
    "perf_budget",
}


# -- when browser tests run ------------------------------------------------------------------------


def skip_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not PG_URL:
        return "browser tests run on PostgreSQL: set COMPTOIR_TEST_DATABASE_URL"
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (make install)"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives Chromium with Playwright (runs on PostgreSQL when /usr/bin/chromium exists)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = skip_reason()
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        # The marker, not ``item.keywords``: those hold the names of parent directories as well.
        if reason and item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Browser tests run last, after any shuffling: Playwright's synchronous API keeps an asyncio loop
    running in the test thread while its session-wide browser lives, and ``asyncio.run`` in a later test
    would refuse to start beside it."""
    items = session.items
    items[:] = [i for i in items if i.get_closest_marker("browser") is None] + [
        i for i in items if i.get_closest_marker("browser") is not None
    ]


# -- the server ------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A running ``comptoir serve`` (in-process dispatcher) on its own PostgreSQL database."""

    url: str
    db_url: str
    db: Database
    log: Path
    demo_keys: dict[str, str] = field(default_factory=dict)
    password: str = ""
    _states: dict[tuple[str, tuple[str, ...]], Any] = field(default_factory=dict)

    def make_person(
        self, role: str = "admin", shops: list[str] | None = None, *, email: str | None = None
    ) -> StaffPersonOut:
        """A new employee with ``role`` (and ``shops``; shop roles default to the demo's Paris Rivoli)
        whose password is ``self.password``."""
        from tests.support.staff import make_person

        return make_person(self.db, role, shops, email=email)

    def sign_in(self, page: Page, role: str = "admin", shops: list[str] | None = None) -> StaffPersonOut:
        """Sign ``page`` in as a new employee through the sign-in form, as a person would."""
        person = self.make_person(role, shops)
        self.sign_in_as(page, person.email, self.password)
        return person

    def sign_in_as(self, page: Page, email: str, password: str, next_url: str = "/pages/") -> None:
        """Fill in and send the sign-in form (e.g. as a demo employee: ``demo_staff("seller")``)."""
        page.goto(f"{self.url}/pages/sign-in?next={next_url}")
        page.fill("#email", email)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("form[action='/pages/sign-in'] [type=submit]")
        if "/pages/sign-in" in page.url:
            raise AssertionError(f"could not sign in as {email}: {page.inner_text('body')[:500]}")

    def demo_staff(self, role: str) -> tuple[str, str]:
        """(e-mail, password) of the demo retailer's employee with ``role`` (seller: Léa at Paris Rivoli)."""
        email, password = self.demo_keys[f"staff: {role}"].split("\t")
        return email, password

    def storage_state(self, browser: Browser, role: str, shops: list[str] | None = None) -> Any:
        """Cookies of an employee signed in with ``role`` (signed in once per session and role)."""
        key = (role, tuple(shops or ()))
        if key not in self._states:
            context = browser.new_context()
            try:
                self.sign_in(context.new_page(), role, shops)
                self._states[key] = context.storage_state()
            finally:
                context.close()
        return self._states[key]


def _start_live_server(tmp: Path) -> tuple[LiveServer, subprocess.Popen[bytes]]:
    """Migrate a new database, start the server (it imports every domain meanwhile), load the demo."""
    from comptoir.core.db import Database
    from comptoir.core.migrate import upgrade
    from tests.conftest import create_empty_database
    from tests.support.staff import PASSWORD

    url = create_empty_database("postgresql", tmp)
    upgrade(url, "head")
    log = tmp / "server.log"
    port = processes.free_port()
    env = processes.comptoir_env(
        url,
        COMPTOIR_MEDIA_DIR=str(tmp / "media"),
        COMPTOIR_MAIL_URL=f"file://{tmp / 'mail'}",
        COMPTOIR_DEFAULT_RATE_LIMIT_PER_MINUTE="100000",
        COMPTOIR_LOG_JSON="false",
    )
    proc = processes.start(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    db = Database(url, pool_size=2)
    try:
        keys = _load_demo(db, tmp)
        processes.wait_ready(proc, base, log)
    except BaseException:
        processes.stop(proc)
        raise
    server = LiveServer(url=base, db_url=url, db=db, log=log, demo_keys=keys, password=PASSWORD)
    return server, proc


def _load_demo(db: Database, tmp: Path) -> dict[str, str]:
    """``comptoir demo`` on ``db``; returns the demo API keys by name ("demo: website" …) and the demo
    employees' "e-mail<TAB>password" by role ("staff: seller" …)."""
    from comptoir.core.settings import Settings
    from comptoir.demo import load_demo

    settings = Settings(
        env="test",
        database_url=db.url,
        secret_key=SECRET_KEY,
        dispatcher="off",
        media_dir=tmp / "media",
        mail_url=f"file://{tmp / 'mail'}",
        log_json=False,
    )
    keys_file = tmp / "demo-keys.txt"
    for _line in load_demo(db, settings, keys_file=keys_file):
        pass
    keys: dict[str, str] = {}
    for row in keys_file.read_text(encoding="utf-8").splitlines():
        name, middle, last = row.split("\t")
        if name.startswith("demo: "):
            keys[name] = last
        elif name.startswith("staff: "):
            keys[name] = f"{middle}\t{last}"
    return keys


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Comptoir served on a free port with the demo retailer, on a scratch PostgreSQL database."""
    from tests.conftest import drop_database

    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    server, proc = _start_live_server(tmp_path_factory.mktemp("live-server"))
    try:
        yield server
    finally:
        processes.stop(proc)
        server.db.dispose()
        drop_database(server.db_url)


# -- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def launch(pw: Playwright, *extra_args: str) -> Browser:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])


@pytest.fixture(scope="session")
def chromium(_playwright: Playwright) -> Iterator[Browser]:
    browser = launch(_playwright)
    yield browser
    browser.close()


@pytest.fixture
def chromium_with_camera(_playwright: Playwright) -> Iterator[Callable[[Path], Browser]]:
    """``chromium_with_camera(y4m_path)``: a separate Chromium whose camera films that video (looped)."""
    launched: list[Browser] = []

    def _launch(y4m_path: Path) -> Browser:
        browser = launch(_playwright, f"--use-file-for-fake-video-capture={y4m_path}")
        launched.append(browser)
        return browser

    yield _launch
    for browser in launched:
        browser.close()


@pytest.fixture
def new_page(live_server: LiveServer, chromium: Browser) -> Iterator[Callable[..., Page]]:
    """``new_page(lang="fr", viewport="tablet"|"tablet-portrait"|"phone", *, role=None, browser=None)``:
    a page in a new context of ``browser`` (default: ``chromium``), in that language and size, the camera
    allowed, its base URL the live server (``page.goto("/shop")``), signed in as ``role`` if given."""
    contexts: list[Any] = []

    def _new_page(
        lang: str = "fr",
        viewport: str = "tablet",
        *,
        role: str | None = None,
        shops: list[str] | None = None,
        browser: Browser | None = None,
    ) -> Page:
        browser = browser or chromium
        context = browser.new_context(
            base_url=live_server.url,
            locale=LOCALES[lang],
            extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE[lang]},
            viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
            permissions=["camera"],
            storage_state=live_server.storage_state(chromium, role, shops) if role else None,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        _PAGES[id(page)] = PageInfo(lang, viewport)
        return page

    yield _new_page
    for context in contexts:
        for page in context.pages:
            _PAGES.pop(id(page), None)
        context.close()


# -- checks and measures (tests/support/page_checks.py), a fake camera (tests/support/camera.py) ------


@pytest.fixture
def check_page() -> Callable[..., Path]:
    """``check_page(page, name=None)``: saves tests/.artifacts/screenshots/<name>-<viewport>-<lang>.png,
    then asserts no horizontal overflow, no raw ids or JSON keys, no string in the other language, and
    no serious or critical axe-core violation. Returns the screenshot's path."""
    return check


@pytest.fixture
def perf_budget() -> Callable[[Page, str], Perf]:
    """``perf_budget(page, url) -> Perf`` (``.fcp_ms``, ``.transfer_bytes``); call
    ``.assert_within_budget()`` for FCP < 1000 ms and transfer < 300 kB."""
    return perf


@pytest.fixture
def fake_camera(tmp_path: Path) -> Callable[..., Path]:
    """``fake_camera(code, kind="ean13"|"qr") -> Path``: a .y4m video showing that barcode, for
    ``chromium_with_camera(path)``."""

    def _fake_camera(code: str, kind: str = "ean13") -> Path:
        path = tmp_path / f"camera-{kind}-{uuid.uuid4().hex[:6]}.y4m"
        return write_y4m(barcode_image(code, kind), path)

    return _fake_camera

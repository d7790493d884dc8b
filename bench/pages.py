"""Every page's first render and weight in Chromium: first contentful paint and bytes transferred (issue 18's
budget: first render < 1 s and < 300 kB on the loopback), next to the root landing page ``/`` measured
the same way in the same run.

The pages are those the page walk visits (``tests/pages/urls.py`` ``every_page()``: every GET page route
without path parameters under /seller, /shop, /back-office and /pages, plus its examples), each signed
in with the role the walk uses (admin for staff pages, nobody for /shop and the sign-in page), in French,
the shop at phone size and the rest at tablet size. HTMX fragments (an answer that is not a whole
document) are left out, as the walk leaves them out. A load is ``tests/support/page_checks.py``
``measure_load()``: a new browser context, the cache disabled through CDP, the page loaded until the
network is idle; its FCP from a ``PerformanceObserver``, its transfer the sum of the navigation's and
every resource's ``transferSize`` (headers included). Each page is loaded 3 times (``--quick``: 1 time,
on a sample of 6 pages) in interleaved rounds (``/``, then every page, again and
again), and its medians are printed: ``fcp_ms[<url>]`` and ``transfer_kb[<url>]`` (kB = 1000 bytes),
then the summary, ``pages_over_budget`` counting the pages at or over either budget.

Debian's Chromium (``/usr/bin/chromium``, Playwright's own browsers are never installed), PostgreSQL
(``--database-url``, else as ``bench/_db.py`` says: a scratch database is made there and dropped after),
the demo retailer loaded by ``comptoir migrate`` and ``comptoir demo``, served by ``comptoir serve`` on
a free port. Without Chromium, Playwright or a PostgreSQL server, it prints ``skipped:`` and why.

    .venv/bin/python bench/pages.py           # every page, 3 loads each
    .venv/bin/python bench/pages.py --quick   # 6 pages, 1 load each

Notes (``.venv/bin/python bench/pages.py``, 2 cores shared with other sessions, load 7-10), at 2797ece:
69 pages (4 HTMX fragments left out: the ``…/results`` routes), pages_over_budget 0, fcp_ms_p50 212
and 244 (baseline ``/`` 156 and 252), fcp_ms_max 724 and 860 (both ``/pages/customers/reviews``, the
next 508), transfer_kb_max 224.8 (``/pages/catalog``; ``/`` 25.4). The staff pages run from ~25 kB
(the tablet pages) to ~225 kB (catalogue and stock tables). The shop's account pages, signed in as
nobody, are measured as the walk sees them: their sign-in page. ``comptoir demo`` takes 30-45 s of
the setup, so ``--quick`` takes ~50 s at load 5 and more on a busier machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench._db import reachable, scratch_database, server_url
from bench._http import comptoir_env, spawn_comptoir, stop, wait_ready

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from tests.support.browser import LiveServer

BASELINE = "/"
QUICK_PAGES = 6


def skip_reason(server: str) -> str | None:
    """Why the pages cannot be measured here, or None."""
    from tests.support.browser import CHROMIUM

    if not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (make install)"
    if not reachable(server):
        return f"no PostgreSQL server answers at {server.split('@')[-1]}"
    return None


def serve_demo(database_url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``comptoir migrate``, then ``comptoir serve`` started while ``comptoir demo`` loads the demo
    retailer (as the browser tests do): the base URL once both are done."""
    media, mail = str(tmp / "media"), f"file://{tmp / 'mail'}"
    env = comptoir_env(database_url, COMPTOIR_MEDIA_DIR=media, COMPTOIR_MAIL_URL=mail)
    log = tmp / "server.log"

    def cli(*args: str) -> subprocess.Popen[bytes]:  # in tmp: `comptoir demo` writes var/demo-keys.txt
        return subprocess.Popen(
            [sys.executable, "-m", "comptoir.cli", *args],
            env=env,
            cwd=tmp,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    if cli("migrate").wait() != 0:
        raise RuntimeError(f"comptoir migrate failed: {log.read_text()[-2000:]}")
    proc, base = spawn_comptoir(database_url, log, COMPTOIR_MEDIA_DIR=media, COMPTOIR_MAIL_URL=mail)
    try:
        if cli("demo").wait() != 0:
            raise RuntimeError(f"comptoir demo failed: {log.read_text()[-2000:]}")
        wait_ready(f"{base}/readyz", proc)
    except BaseException:
        stop(proc)
        raise
    return proc, base


def sample(pages: dict[str, str | None], count: int) -> dict[str, str | None]:
    """``count`` pages spread evenly over the sorted list (the same ones every run)."""
    urls = list(pages)
    if count >= len(urls):
        return pages
    step = len(urls) / count
    return {urls[int(i * step)]: pages[urls[int(i * step)]] for i in range(count)}


def documents(
    browser: Browser, server: LiveServer, pages: dict[str, str | None]
) -> tuple[dict[str, str | None], list[str]]:
    """(the pages answered with a whole HTML document, the URLs of HTMX fragments), each asked once
    with its role's cookies (which also warms the server: templates compiled, caches filled).
    A failed answer, or a staff page that sends its admitted role to the sign-in page, is an error."""
    kept: dict[str, str | None] = {}
    fragments: list[str] = []
    for url, role in pages.items():
        context = browser.new_context(storage_state=server.storage_state(browser, role) if role else None)
        try:
            answer = context.request.get(
                f"{server.url}{url}", headers={"Accept": "text/html", "Accept-Language": "fr-FR,fr;q=0.9"}
            )
            if not answer.ok:
                raise RuntimeError(f"{url}: {answer.status}")
            if role and not url.startswith("/pages/sign-in") and "/pages/sign-in" in answer.url:
                raise RuntimeError(f"{url}: sent to the sign-in page as {role}")
            if answer.text().lstrip()[:15].lower().startswith("<!doctype html"):
                kept[url] = role
            else:
                fragments.append(url)
        finally:
            context.close()
    return kept, fragments


def measure_rounds(
    browser: Browser, server: LiveServer, pages: dict[str, str | None], runs: int
) -> dict[str, list[tuple[float | None, int]]]:
    """``runs`` interleaved rounds, the baseline first in each: (FCP ms, bytes) of every load by URL."""
    from tests.pages.urls import budget_viewport
    from tests.support.page_checks import measure_load

    targets = {BASELINE: (None, "tablet")} | {
        url: (role, budget_viewport(url)) for url, role in pages.items()
    }
    states = {role: server.storage_state(browser, role) for role, _ in targets.values() if role}
    measure_load(browser, f"{server.url}{BASELINE}")  # untimed: the browser's first page
    loads: dict[str, list[tuple[float | None, int]]] = {url: [] for url in targets}
    for _ in range(runs):
        for url, (role, viewport) in targets.items():
            found = measure_load(
                browser,
                f"{server.url}{url}",
                storage_state=states[role] if role else None,
                lang="fr",
                viewport=viewport,
            )
            loads[url].append((found.fcp_ms, found.transfer_bytes))
    return loads


def medians(loads: list[tuple[float | None, int]]) -> tuple[float | None, float]:
    """(median FCP ms, None when no load painted; median kB transferred)."""
    painted = [fcp for fcp, _ in loads if fcp is not None]
    return (
        statistics.median(painted) if painted else None,
        statistics.median(size for _, size in loads) / 1000,
    )


def report(loads: dict[str, list[tuple[float | None, int]]], fragments: list[str], runs: int) -> None:
    from tests.support.page_checks import FCP_BUDGET_MS, TRANSFER_BUDGET_BYTES

    figures = {url: medians(found) for url, found in loads.items() if url != BASELINE}
    for url, (fcp, kb) in figures.items():
        print(f"fcp_ms[{url}]: {'none' if fcp is None else f'{fcp:.0f}'}")
        print(f"transfer_kb[{url}]: {kb:.1f}")
    base_fcp, base_kb = medians(loads[BASELINE])
    painted = [fcp for fcp, _ in figures.values() if fcp is not None]
    over = [
        url
        for url, (fcp, kb) in figures.items()
        if fcp is None or fcp >= FCP_BUDGET_MS or kb * 1000 >= TRANSFER_BUDGET_BYTES
    ]
    print(f"uptime: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"loads_per_page: {runs}")
    print(f"fragments_left_out: {len(fragments)}")
    print(f"baseline_fcp_ms: {'none' if base_fcp is None else f'{base_fcp:.0f}'}")
    print(f"baseline_transfer_kb: {base_kb:.1f}")
    print(f"pages: {len(figures)}")
    print(f"fcp_ms_p50: {statistics.median(painted):.0f}" if painted else "fcp_ms_p50: none")
    print(f"fcp_ms_max: {max(painted):.0f}" if painted else "fcp_ms_max: none")
    print(f"transfer_kb_max: {max(kb for _, kb in figures.values()):.1f}")
    if painted and base_fcp:
        print(f"fcp_ms_p50_over_baseline: {statistics.median(painted) / base_fcp:.2f}")
    print(f"pages_over_budget: {len(over)}")
    for url in fragments:
        print(f"fragment_left_out: {url}", file=sys.stderr)
    for url in over:
        print(f"over_budget: {url}", file=sys.stderr)


def run(database_url: str, tmp: Path, quick: bool) -> None:
    from playwright.sync_api import sync_playwright
    from tests.pages.urls import every_page
    from tests.support.browser import LiveServer, launch
    from tests.support.staff import PASSWORD

    from comptoir.core.db import Database

    runs = 1 if quick else 3
    pages = every_page()
    if quick:
        pages = sample(pages, QUICK_PAGES)
    started = time.perf_counter()
    proc, base = serve_demo(database_url, tmp)
    db = Database(database_url, pool_size=2)
    server = LiveServer(url=base, db_url=database_url, db=db, log=tmp / "server.log", password=PASSWORD)
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                print(f"setup_s: {time.perf_counter() - started:.1f}", file=sys.stderr)
                pages, fragments = documents(browser, server, pages)
                loads = measure_rounds(browser, server, pages, runs)
            finally:
                browser.close()
    finally:
        stop(proc)
        db.dispose()
    report(loads, fragments, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PAGES} pages, 1 load each")
    parser.add_argument(
        "--database-url",
        help="the PostgreSQL server to make the scratch database on (default: COMPTOIR_BENCH_DATABASE_URL, "
        "else COMPTOIR_TEST_DATABASE_URL, else postgres@127.0.0.1:5432)",
    )
    args = parser.parse_args()
    server = server_url(args.database_url)
    reason = skip_reason(server)
    if reason:
        print(f"skipped: {reason}")
        return
    with tempfile.TemporaryDirectory() as tmp, scratch_database(server, label="pages", migrate=False) as url:
        run(url, Path(tmp), args.quick)


if __name__ == "__main__":
    main()

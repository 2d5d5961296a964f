"""A real browser through every page: Streamlit served on a free local port, Debian's Chromium driven by Playwright.

Screenshots land in test-artifacts/ (git-ignored). Skipped when Chromium is missing, except in CI (CI=true).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = [("", "Beranda"),  # the default page lives at /
          ("peta", "Peta"), ("tren", "Tren bulanan"), ("kesenjangan", "Kesenjangan cakupan"),
         ("wilayah", "Cek wilayah")]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs it with apt")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(published_db: Path) -> Iterator[str]:
    _require_chromium()
    port = _free_port()
    env = {**os.environ, "BANSOS_PUBLISHED_DB": str(published_db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("streamlit did not answer /_stcore/health within 30 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(server: str, tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000})
        yield context
        context.close()


def _wait_rendered(page, settle: float) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=30_000)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(int(settle * 1000))


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_page_renders_in_a_real_browser(browser, server, path, title):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    try:
        page.goto(f"{server}/{path}?region=34.01", wait_until="domcontentloaded")
        _wait_rendered(page, 1.5 if path == "peta" else 0.7)
        assert page.locator("h1").first.inner_text().strip() == title
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stAlertContentError']").count() == 0
        page.wait_for_timeout(1500)  # Streamlit's "Page not found" came a moment later, with a `pages/` folder
        assert page.locator("[role='dialog']").count() == 0
        if path == "peta":
            assert page.locator("canvas").count() >= 1  # deck.gl drew
        page.screenshot(path=str(ARTIFACTS / f"{path or 'beranda'}.png"), full_page=True)
    finally:
        page.close()


def test_switching_the_language_translates_the_page_and_the_menu(browser, server):
    page = browser.new_page()
    try:
        page.goto(server, wait_until="domcontentloaded")
        _wait_rendered(page, 0.5)
        page.get_by_text("English", exact=True).click()
        page.wait_for_timeout(300)
        _wait_rendered(page, 0.5)
        assert page.locator("h1").first.inner_text().strip() == "Overview"
        assert "lang=en" in page.url
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "Coverage gaps" in nav and "My region" in nav
    finally:
        page.close()


def test_narrow_phone_screen_does_not_scroll_sideways(browser, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{server}/wilayah?lang=en&q=sentolo", wait_until="domcontentloaded")
        _wait_rendered(page, 0.7)
        assert page.locator("h1").first.inner_text().strip() == "My region"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
        page.screenshot(path=str(ARTIFACTS / "wilayah-390px-en.png"), full_page=True)
    finally:
        page.close()


def test_clicking_a_region_on_the_map_drills_down(browser, server):
    page = browser.new_page()
    try:
        page.goto(f"{server}/peta?region=34", wait_until="domcontentloaded")
        _wait_rendered(page, 3.0)
        box = page.locator("canvas").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(800)
        assert "(34." in page.locator(".deck-tooltip").first.inner_text()  # name (code) and value
        page.mouse.down()
        page.mouse.up()
        page.wait_for_function("() => /region=34[.]/.test(location.search)", timeout=20_000)
        page.locator("[data-testid='stButton']").nth(2).wait_for(timeout=20_000)  # the breadcrumb grew a step
        region = page.url.split("region=")[1].split("&")[0]
        assert len(region) == 5 and region.startswith("34.")  # a kabupaten of DI Yogyakarta
        crumbs = page.locator("[data-testid='stButton']").all_inner_texts()
        assert crumbs[:2] == ["Indonesia", "Daerah Istimewa Yogyakarta"] and len(crumbs) >= 3
    finally:
        page.close()


def _snippet_of(page) -> str:
    """Open the full view's share panel and copy its iframe snippet, as an official would."""
    page.get_by_text("Bagikan, sematkan, unduh").click()
    code = page.locator("[data-testid='stCode']").filter(has_text="<iframe").first
    code.wait_for(timeout=10_000)
    return code.inner_text().strip()


def test_an_embed_snippet_renders_inside_an_iframe_of_another_site(browser, server, tmp_path):
    import functools
    import http.server
    import threading

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    try:
        page.goto(f"{server}/peta?region=34.01&metric=coverage&program=PKH", wait_until="domcontentloaded")
        _wait_rendered(page, 1.0)
        snippet = _snippet_of(page)
        assert snippet.startswith("<iframe") and "embed=true" in snippet and "view=map" in snippet
        (tmp_path / "briefing.html").write_text(
            f"<!doctype html><html><body style='font-family:sans-serif'><h1>Briefing: coverage of PKH</h1>"
            f"<p>A paragraph of the official's own page.</p>{snippet}</body></html>", encoding="utf-8")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
        site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=site.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://127.0.0.1:{site.server_address[1]}/briefing.html", wait_until="domcontentloaded")
            frame = page.frame_locator("iframe")
            frame.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(timeout=30_000)
            frame.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=60_000)
            frame.locator("canvas").first.wait_for(timeout=20_000)  # deck.gl drew the map
            page.wait_for_timeout(2000)
            assert frame.locator("[data-testid='stSidebar']").count() == 0
            assert frame.locator("[data-testid='stSidebarNav']").count() == 0
            assert frame.locator("[data-testid='stException']").count() == 0
            text = frame.locator("[data-testid='stMain']").inner_text()
            assert "Cakupan keluarga sasaran" in text and "Sumber: bansos-terbuka, rilis" in text
            assert frame.locator("a[href*='/peta?']").count() == 1  # the link back to the full view
            page.screenshot(path=str(ARTIFACTS / "embed-in-iframe.png"), full_page=True)
        finally:
            site.shutdown()
    finally:
        page.close()


def _download(page, selector: str) -> bytes:
    with page.expect_download(timeout=30_000) as download:
        page.locator(selector).click()
    return Path(download.value.path()).read_bytes()


def test_downloaded_table_and_chart_csv_match_the_published_db(browser, server, published, published_db):
    import openformat
    from dashboard import opendata

    page = browser.new_page()
    try:
        page.goto(f"{server}/data", wait_until="domcontentloaded")
        _wait_rendered(page, 0.5)
        data = _download(page, ".st-key-dl_disbursement_cells button")
        release_id = published.execute("SELECT release_id FROM release").fetchone()[0]
        on_disk = published_db.parent / "releases" / release_id / opendata.table_path("disbursement_cells", "csv")
        assert data == on_disk.read_bytes()  # served as publish wrote and hashed it
        table = pd.read_csv(io.BytesIO(data))
        expected = published.execute("SELECT * FROM disbursement_cells").df()
        assert len(table) == len(expected)
        assert (table["amount"].astype("Float64").fillna(-1).to_numpy()
                == expected["amount"].astype("Float64").fillna(-1).to_numpy()).all()

        page.goto(f"{server}/peta?region=34.01&lang=en", wait_until="domcontentloaded")
        _wait_rendered(page, 1.5)
        shown = pd.read_csv(io.BytesIO(_download(page, ".st-key-map_csv button"))).set_index("region_code")
        cells = published.execute("SELECT region_code, suppressed, recipients FROM disbursement_cells WHERE level = "
                                  "'kecamatan' AND program = 'SEMUA' AND period = '2025' AND channel = 'SEMUA' AND "
                                  "region_code LIKE '34.01.%'").df().set_index("region_code")
        assert set(shown.index) == {openformat.public_code(c) for c in cells.index}
        for code, row in cells.iterrows():
            got = shown.loc[openformat.public_code(code)]
            if row["suppressed"]:
                assert pd.isna(got["value"]) and got["status"] == "hidden"
            else:
                assert got["value"] == row["recipients"] and got["status"] == "ok"
    finally:
        page.close()

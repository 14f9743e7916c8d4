"""The review page in a real browser: Debian's chromium, driven by playwright (never a browser
playwright downloads). A reviewer opens the printed address, picks a flag of the 万元 PDF, sees its
evidence and cell picture, accepts it with clicks, and the list shows it settled. Screenshots are
kept in tests/artifacts/ (the path is printed)."""

from __future__ import annotations

import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (scripts/system-packages.sh)")


@pytest.fixture
def page_server(workdir):
    """The 万元 PDF loaded, and the review page serving its warehouse on a free port."""
    from flows.runs import run_inbox
    from flows.settings import Settings
    from flows.workers import in_process
    from review.web import make_server
    from storage.store import Store

    shutil.copy(FIXTURES / "pdf-wanyuan" / "seed-wanyuan.pdf", workdir / "inbox" / "wanyuan.pdf")
    settings = Settings.build(inbox=workdir / "inbox", warehouse=workdir / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))
    server = make_server(Store.open(workdir / "warehouse"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, workdir / "warehouse"
    finally:
        server.shutdown()
        server.server_close()


def test_a_flag_is_resolved_with_clicks_and_the_list_shows_it(page_server):
    from playwright.sync_api import sync_playwright

    server, warehouse = page_server
    flags = pd.read_parquet(warehouse / "flags")
    (target,) = flags[flags["check"] == "budget_sources"].query("found == '3.00'")["flag_id"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url)
            assert "token" not in page.url  # kept in a cookie from here on
            assert page.locator("#summary").inner_text().count("budget_sources") == 1
            page.click(f"a[href*='{target.split(':')[0]}'][href*='budget_sources']")
            assert "（表上 3.00 万元）" in page.inner_text("#message")
            assert page.inner_text("#found") == "3.00" and page.inner_text("#expected") == "9.90"
            assert page.inner_text("#excerpt .marked") == "3.00"
            page.wait_for_function("() => { const img = document.querySelector('#cell'); "
                                   "return img.complete && img.naturalWidth > 0; }", timeout=30000)
            page.screenshot(path=str(ARTIFACTS / "review-flag.png"), full_page=True)
            page.fill("#accept-form input[name=note]", "原表如此")
            page.fill("#accept-form input[name=reviewer]", "浏览器复核")
            page.click("#accept")
            assert page.inner_text("#settled .status") == "accepted"
            assert target not in page.inner_text("#flags")
            page.goto(f"{server.url.split('?')[0]}?status=all")
            row = page.locator(f"tr[data-flag='{target}']")
            assert row.locator(".status").inner_text() == "accepted"
            page.screenshot(path=str(ARTIFACTS / "review-list.png"), full_page=True)
        finally:
            browser.close()
    print(f"screenshots: {ARTIFACTS / 'review-flag.png'}, {ARTIFACTS / 'review-list.png'}")
    settled = pd.read_parquet(warehouse / "flags").set_index("flag_id").loc[target, "status"]
    assert settled == "accepted"


def test_the_page_answers_only_with_its_token(page_server):
    server, _ = page_server
    base = server.url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base)
    assert refused.value.code == 403
    request = urllib.request.Request(base + "accept", data=b"flag_id=x&csrf=wrong", method="POST")
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(request)
    assert posted.value.code == 403
    forged = urllib.request.Request(server.url, headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as rebound:
        urllib.request.urlopen(forged)
    assert rebound.value.code == 403
    assert server.server_address[0] == "127.0.0.1"


def test_selfeval_review_web_prints_its_address_and_serves_it(page_server):
    import re
    import signal

    from tests.runs import selfeval

    _, warehouse = page_server
    process = selfeval("review", "--web", "--port", "0", "--warehouse", str(warehouse))
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
        assert found, line
        from http.cookiejar import CookieJar

        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with browser.open(found.group(0)) as answer:  # the token goes into a cookie, the redirect carries it
            page = answer.read().decode("utf-8")
        assert answer.status == 200 and "budget_sources" in page and "上海市残疾人联合会" in page
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0

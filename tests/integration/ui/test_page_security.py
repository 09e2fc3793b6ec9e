"""What a page of another site can do to the ui in a real browser: nothing.

The ui runs as a real process; a page on another origin (`localhost` against the ui's
`127.0.0.1`, another port) is served from the test and opened in real headless Chromium. It sends
the state change a browser sends anywhere without asking first (a `text/plain` POST), and frames
the page. The watchlist stays empty and the frame stays empty. And text that came from outside
(a provider's error, a dead letter's) is shown as text, never read as markup.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pandas as pd
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from shared.contract.events import FETCH_REQUESTED
from shared.contract.schema import DEAD_LETTERS, RUNS
from tests.support.browser import POLL, until
from tests.support.loopback import LoopbackServer

pytestmark = pytest.mark.slow

ATTACK = """<!doctype html>
<html><head><title>attacker</title></head><body>
<iframe id="framed" src="{ui}"></iframe>
<script>
fetch("{ui}", {{
  method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
  body: JSON.stringify({{action: "track", symbol: "IBM"}}),
}}).then(() => {{ document.title = "sent"; }}, () => {{ document.title = "failed"; }});
</script>
</body></html>
"""


def attacker(ui_url: str) -> type[BaseHTTPRequestHandler]:
    page = ATTACK.format(ui=ui_url).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Page


def test_another_sites_page_can_neither_change_state_nor_frame_the_page(ui, browser):
    server = LoopbackServer(attacker(ui.url)).start()
    try:
        port = server.server.server_address[1]
        browser.get(f"http://localhost:{port}/")  # another site: localhost is not 127.0.0.1
        WebDriverWait(browser, 60, poll_frequency=POLL).until(
            lambda b: b.title in ("sent", "failed")
        )
        frame = browser.find_element(By.ID, "framed")
        browser.switch_to.frame(frame)
        # Chromium shows its own error document in a frame the page's policy refuses
        WebDriverWait(browser, 60, poll_frequency=POLL).until(
            lambda b: (
                b.execute_script("return document.readyState") == "complete"
                and b.execute_script("return location.href") != "about:blank"
            )
        )
        assert browser.find_elements(By.ID, "watchlist") == []  # not the page
        browser.switch_to.default_content()
    finally:
        server.stop()
    listed = requests.get(ui.url, params={"view": "watchlist"}, timeout=30).json()
    assert listed["watchlist"] == []


MARKUP = '<img id="injected" src="x"><b>bold</b>'


def test_text_from_outside_is_shown_as_text_never_as_markup(ui, browser, storage, bucket, tmp_path):
    """A provider's error text and a dead letter's, as the pipeline panel shows them."""
    now = pd.Timestamp.now(tz="UTC").floor("s")
    at = pd.DatetimeIndex([now], name="time")
    failed = pd.DataFrame(
        {"function": "fetch", "status": "502", "interval": "daily", "symbol": "IBM"}, index=at
    ).assign(points=0, seconds=0.1, error=f"The provider said: {MARKUP}")
    storage.write(bucket, failed, RUNS, precision="ms")
    letter = pd.DataFrame(
        {"type": FETCH_REQUESTED, "trigger": "fetch", "event_id": "e-1", "subscriber": "x"},
        index=at,
    ).assign(code=502, error=MARKUP, data="{}")
    storage.write(bucket, letter, DEAD_LETTERS, precision="ms")

    browser.get(ui.url)
    browser.find_element(By.ID, "nav-pipeline").click()  # the panel that shows both texts
    rendered = "//td[contains(., 'bold')]"  # either way: as text, or as a <b> element's
    shot = tmp_path / "pipeline.png"  # kept when the wait times out
    until(browser, lambda b: len(b.find_elements(By.XPATH, rendered)) >= 2, 60, shot)
    shown = f"//td[contains(., '{MARKUP}')]"  # the markup, character for character, as text
    assert len(browser.find_elements(By.XPATH, shown)) == 2
    assert browser.find_elements(By.ID, "injected") == []
    assert browser.find_elements(By.CSS_SELECTOR, "td b") == []

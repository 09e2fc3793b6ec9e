"""The page in real headless Chromium through the real stack (influxd, every function, the mesh).

A person tracks a stock, sees it fetched and forecast through the mesh, opens its chart (an
intraday one drops the closed hours), reads the pipeline panel, untracks it, and is told what is
wrong with a bad symbol, with the keyboard alone where a person could. Screenshots of the main
views are saved (to STOCKS_SCREENSHOTS, e.g. docs/, or the test's directory).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from devstack.run import LocalStack
from shared.contract.events import FETCH_REQUESTED
from shared.market.providers import DemoProvider
from tests.support.browser import PHONE, chromium, screenshot_dir
from tests.support.stack import count, running_stack, storage_of

pytestmark = pytest.mark.slow
PIPELINE_SECONDS = 120  # fetch then a naive forecast, through the mesh
TOKEN = "page-test-token"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The stack with an API token: the page must ask for it before its first change."""
    with running_stack(tmp_path_factory.mktemp("ui-stack"), STOCKS_API_TOKEN=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="module")
def browser(stack: LocalStack) -> Iterator[Chrome]:
    with chromium((1280, 1500)) as session:
        session.get(stack.functions["ui"].url)
        yield session


def row(browser: Chrome, symbol: str, interval: str) -> list:
    """The watchlist row of an entry (empty when it is not listed)."""
    return browser.find_elements(By.CSS_SELECTOR, f'#watchlist tr[data-key="{symbol}/{interval}"]')


def cells(browser: Chrome, symbol: str, interval: str) -> list[str]:
    try:
        (found,) = row(browser, symbol, interval)
        return [cell.text for cell in found.find_elements(By.TAG_NAME, "td")]
    except (ValueError, StaleElementReferenceException):  # absent, or redrawn by the poll
        return []


def track_with_keyboard(browser: Chrome, symbol: str, interval: str, model: str) -> None:
    field = browser.find_element(By.ID, "track-symbol")
    field.clear()
    field.send_keys(symbol)
    Select(browser.find_element(By.ID, "track-interval")).select_by_visible_text(interval)
    Select(browser.find_element(By.ID, "track-model")).select_by_visible_text(model)
    field.send_keys(Keys.ENTER)


def polls(browser: Chrome) -> int:
    """How many polls the page has finished (each leaves a `poll` performance mark)."""
    return browser.execute_script("return performance.getEntriesByName('poll').length;")


def wait_for_polls(browser: Chrome, count: int = 2) -> None:
    """Wait until the page has polled `count` more times (every row redrawn from new answers)."""
    target = polls(browser) + count
    WebDriverWait(browser, 60, poll_frequency=0.25).until(lambda b: polls(b) >= target)


def forecast_shown(browser: Chrome, symbol: str, interval: str) -> bool:
    """The row shows a forecast and an ok fetch (columns: forecast 7th, last fetch 10th)."""
    shown = cells(browser, symbol, interval)
    return bool(shown) and "not yet" not in shown[6] and shown[9].endswith("ok")


def test_tracking_fetches_and_forecasts_through_the_mesh_and_the_chart_shows_it(
    stack: LocalStack, browser: Chrome, shots: Path
) -> None:
    wait = WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=0.25)
    track_with_keyboard(browser, "IBM", "daily", "naive")
    dialog = browser.find_element(By.ID, "token-dialog")  # the change was refused with 401
    wait.until(lambda b: dialog.get_attribute("open") is not None)
    token_field = browser.switch_to.active_element
    assert token_field.get_attribute("id") == "token-input"
    assert "read-only until you enter the access token" in dialog.text
    wait_for_polls(browser)  # the page keeps polling behind the dialog, which stays open
    assert dialog.get_attribute("open") is not None
    assert browser.switch_to.active_element == token_field
    token_field.send_keys(TOKEN, Keys.ENTER)  # the change is sent again, with the token
    status = browser.find_element(By.ID, "status")
    wait.until(lambda b: status.text == "Now tracking IBM (daily); fetching it now.")
    wait.until(lambda b: forecast_shown(b, "IBM", "daily"))

    stored = browser.execute_script("return sessionStorage.getItem('stocks-api-token');")
    assert stored == TOKEN  # kept for the tab, so later changes do not ask again
    storage = storage_of(stack)
    assert count(storage, "stocks", "prices", "IBM") == len(DemoProvider().bars("IBM", "daily"))
    assert count(storage, "forecasts", "forecast", "IBM") == 30
    from_page = [r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"]
    assert [r.event_type for r in from_page] == [FETCH_REQUESTED]
    shown = cells(browser, "IBM", "daily")
    assert shown[8] == "naive"  # the model the entry named drew the forecast
    assert shown[7] != "\u2013"  # the skill against naive is shown (not a dash)

    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (daily)"]').click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#price-chart canvas"))
    heading = browser.find_element(By.ID, "detail-heading")
    wait.until(lambda b: "forecast by naive" in heading.text)
    assert browser.switch_to.active_element == heading  # focus moved to what opened
    metrics = browser.find_element(By.ID, "metrics").text
    assert "vs naive" in metrics and "naive" in metrics
    reason = browser.find_element(By.ID, "reason").text
    assert reason.startswith("Model choice — naive")  # predict's reason, as forecast_runs keeps it
    runs = browser.find_element(By.ID, "runs").text
    assert "fetch" in runs and "IBM" in runs
    browser.save_screenshot(str(shots / "ui-symbol.png"))

    browser.switch_to.active_element.send_keys(Keys.ESCAPE)  # closes the chart, focus returns
    assert browser.find_element(By.ID, "detail").is_displayed() is False
    assert browser.switch_to.active_element.text == "IBM"


def test_an_intraday_chart_leaves_out_the_closed_hours(stack: LocalStack, browser: Chrome) -> None:
    wait = WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=0.25)
    track_with_keyboard(browser, "IBM", "5min", "naive")
    wait.until(lambda b: forecast_shown(b, "IBM", "5min"))
    assert cells(browser, "IBM", "daily"), "IBM daily and IBM 5min are two entries"
    asked = len([r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"])
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Fetch IBM (5min) now"]').click()
    status = browser.find_element(By.ID, "status")
    wait.until(lambda b: status.text == "Asked fetch for IBM (5min).")
    from_page = [r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"]
    assert len(from_page) == asked + 1 and from_page[-1].event_type == FETCH_REQUESTED

    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (5min)"]').click()
    wait.until(
        lambda b: "IBM (5min): forecast by naive" in b.find_element(By.ID, "detail-heading").text
    )
    view = requests.get(
        stack.functions["ui"].url,
        params={"view": "symbol", "symbol": "IBM", "interval": "5min"},
        timeout=30,
    ).json()
    times = view["prices"]["time"] + view["forecast"]["time"]
    assert max(b - a for a, b in itertools.pairwise(times)) > 12 * 3600  # nights
    axis = browser.execute_script(
        "return Array.from(document.querySelector('#price-chart').chart.data[0]);"
    )
    assert axis == list(range(len(times)))  # one step a bar: the nights take no room


def test_a_bad_symbol_is_refused_with_the_reason_shown(stack: LocalStack, browser: Chrome) -> None:
    before = requests.get(stack.functions["watchlist"].url, timeout=30).json()  # reads: public
    track_with_keyboard(browser, "BAD!", "daily", "auto (default)")
    error = browser.find_element(By.ID, "form-error")
    WebDriverWait(browser, 30).until(lambda b: error.is_displayed())
    assert "is not valid" in error.text and "BAD!" in error.text
    assert browser.switch_to.active_element.get_attribute("id") == "track-symbol"
    assert requests.get(stack.functions["watchlist"].url, timeout=30).json() == before


def test_focus_survives_polls(stack: LocalStack, browser: Chrome) -> None:
    """Rows are updated in place: the focused button is the same element after polls."""
    remove = browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Stop tracking IBM (5min)"]')
    browser.execute_script("arguments[0].focus();", remove)
    wait_for_polls(browser)
    assert browser.switch_to.active_element == remove
    remove.send_keys(Keys.SHIFT, Keys.TAB)  # and the keyboard goes on from there
    assert browser.switch_to.active_element.get_attribute("aria-label") == "Fetch IBM (5min) now"


def test_untracking_removes_the_row(stack: LocalStack, browser: Chrome, shots: Path) -> None:
    browser.save_screenshot(str(shots / "ui-watchlist.png"))
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Stop tracking IBM (daily)"]').click()
    WebDriverWait(browser, 30).until(lambda b: not row(b, "IBM", "daily"))
    assert "Stopped tracking IBM (daily)." in browser.find_element(By.ID, "status").text
    assert browser.find_element(By.ID, "token-dialog").get_attribute("open") is None
    listed = requests.get(stack.functions["watchlist"].url, timeout=30).json()["watchlist"]
    assert [(e["symbol"], e["interval"]) for e in listed] == [("IBM", "5min")]


def test_the_page_fits_a_phone(stack: LocalStack, shots: Path) -> None:
    with chromium(PHONE) as phone:
        phone.get(stack.functions["ui"].url)
        WebDriverWait(phone, 30).until(lambda b: row(b, "IBM", "5min"))
        width = phone.execute_script("return document.documentElement.scrollWidth;")
        assert width <= phone.execute_script("return window.innerWidth;")  # the table scrolls
        phone.execute_script("window.scrollTo(0, document.body.scrollHeight);")
        scrolled = phone.execute_script("return window.scrollY;")
        assert scrolled > 0
        wait_for_polls(phone)
        assert phone.execute_script("return window.scrollY;") == scrolled
        phone.save_screenshot(str(shots / "ui-phone.png"))

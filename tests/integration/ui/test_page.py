"""The page in real headless Chromium through the real stack (influxd, every function, the mesh).

A person is told the page is read-only until they enter the access token, enters a wrong one
(forgotten, said so), then the right one; tracks a stock and sees it fetched and forecast
through the mesh, its forecast said as a range with no direction (naive does not beat naive),
opens its chart (an intraday one drops the closed hours, its times in the exchange's zone),
sorts the rows, compares two stocks in the "moving together" view, reads the pipeline, and is
told what is wrong with a bad symbol, with the keyboard alone where a person could. The demo
label is on every view; focus and scroll survive polls; a phone gets cards; axe-core finds no
violation on any view at desktop and phone sizes. Screenshots of each view are saved (to
STOCKS_SCREENSHOTS, e.g. docs/, or the test's directory).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests
from axe_selenium_python import Axe
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from devstack.run import LocalStack
from shared.contract.events import FETCH_REQUESTED
from shared.market.providers.demo import DemoProvider
from tests.support.browser import (
    PHONE,
    POLL,
    chromium,
    policy_violations,
    screenshot_dir,
    until,
    waiting,
)
from tests.support.stack import count, running_stack, storage_of

pytestmark = pytest.mark.slow
PIPELINE_SECONDS = 120  # fetch then a naive forecast, through the mesh
TOKEN = "page-test-token"
VIEWS = ("watchlist", "correlation", "alerts", "pipeline")
STOCK, CLOSE, CHANGE, SPARK, FORECAST, RISK, YEAR, TREND, HEALTH = range(9)  # watchlist columns
DEFAULT_EXCHANGE = "from the symbol (default)"


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
    with chromium((1280, 1000)) as session:
        session.get(stack.functions["ui"].url)
        yield session


def row(browser: Chrome, symbol: str, interval: str) -> list:
    """The watchlist row of an entry (empty when it is not listed)."""
    return browser.find_elements(By.CSS_SELECTOR, f'#watchlist tr[data-key="{symbol}/{interval}"]')


def cells(browser: Chrome, symbol: str, interval: str) -> list[str]:
    try:
        (found,) = row(browser, symbol, interval)
        return [cell.text for cell in found.find_elements(By.TAG_NAME, "td")]
    except (ValueError, StaleElementReferenceException):  # absent
        return []


def enter_symbol(
    browser: Chrome, symbol: str, interval: str, model: str, exchange: str = DEFAULT_EXCHANGE
) -> None:
    field = browser.find_element(By.ID, "track-symbol")
    field.clear()
    field.send_keys(symbol)
    Select(browser.find_element(By.ID, "track-interval")).select_by_visible_text(interval)
    Select(browser.find_element(By.ID, "track-model")).select_by_visible_text(model)
    Select(browser.find_element(By.ID, "track-exchange")).select_by_visible_text(exchange)


def track_with_keyboard(
    browser: Chrome, symbol: str, interval: str, model: str, exchange: str = DEFAULT_EXCHANGE
) -> None:
    enter_symbol(browser, symbol, interval, model, exchange)
    browser.find_element(By.ID, "track-symbol").send_keys(Keys.ENTER)


def polls(browser: Chrome) -> int:
    """How many polls the page has finished (each leaves a `poll` performance mark)."""
    return browser.execute_script("return performance.getEntriesByName('poll').length;")


def wait_for_polls(browser: Chrome, count: int = 2) -> None:
    """Wait until the page has polled `count` more times (every row redrawn from new answers)."""
    target = polls(browser) + count
    waiting(browser, 60).until(lambda b: polls(b) >= target)


POLL_NOW = """
const [count, done] = [arguments[0], arguments[arguments.length - 1]];
const main = document.querySelector("script[type=module]").src;
const [own, here] = [main, document.baseURI].map((base) => new URL("./?asset=js/poll.js", base));
if (own.href !== here.href) { done("poll.js would load again, not the page's own"); return; }
import("./?asset=js/poll.js")
  .then(async (poll) => { for (let n = 0; n < count; n++) await poll.refresh(); })
  .then(() => done(null), (e) => done(String(e)));
"""


def poll_now(browser: Chrome, count: int = 2) -> None:
    """Make the page poll `count` times now, by the call its timer makes every 5 s (the page's
    own poll.js module, `refresh()`), and wait for each: a test of what a poll does need not
    wait for the timer (`wait_for_polls`, which the first test uses to see the timer poll)."""
    target = polls(browser) + count
    assert browser.execute_async_script(POLL_NOW, count) is None
    assert polls(browser) >= target


def forecast_shown(browser: Chrome, symbol: str, interval: str) -> bool:
    """The row shows a forecast and an ok fetch."""
    shown = cells(browser, symbol, interval)
    if not shown or "not made yet" in shown[FORECAST]:
        return False
    return shown[HEALTH].splitlines()[0].endswith("ok")  # beneath: whether the data is fresh


def show_view(browser: Chrome, view: str) -> None:
    browser.find_element(By.ID, f"nav-{view}").click()
    WebDriverWait(browser, 30, poll_frequency=POLL).until(
        lambda b: b.find_element(By.ID, f"view-{view}").is_displayed()
    )
    wait_for_polls(browser, 1)


def no_accessibility_violations(browser: Chrome, where: str) -> None:
    axe = Axe(browser)
    axe.inject()
    violations = axe.run()["violations"]
    assert not violations, f"{where}: {axe.report(violations)}"


def day_words(iso: str) -> str:
    """A date as the page writes it: "Fri 15 Jan"."""
    day = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return f"{day:%a} {day.day} {day:%b}"


def test_tracking_asks_for_the_token_and_shows_the_forecast_as_a_range(
    stack: LocalStack, browser: Chrome, shots: Path
) -> None:
    wait = WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=POLL)
    access = browser.find_element(By.ID, "access")
    until(browser, lambda b: access.is_displayed(), PIPELINE_SECONDS)
    assert "read-only until you enter the access token" in access.text  # said before any change

    track_with_keyboard(browser, "IBM", "daily", "naive")
    dialog = browser.find_element(By.ID, "token-dialog")  # the change was refused with 401
    wait.until(lambda b: dialog.get_attribute("open") is not None)
    token_field = browser.switch_to.active_element
    assert token_field.get_attribute("id") == "token-input"
    assert "read-only until you enter the access token" in dialog.text
    wait_for_polls(browser)  # the page keeps polling behind the dialog, which stays open
    assert dialog.get_attribute("open") is not None
    assert browser.switch_to.active_element == token_field
    no_accessibility_violations(browser, "desktop token dialog")
    token_field.send_keys("not-the-token", Keys.ENTER)  # refused again: told so, and forgotten
    reason = browser.find_element(By.ID, "token-reason")
    wait.until(lambda b: "wrong" in reason.text and dialog.get_attribute("open") is not None)
    assert browser.execute_script("return sessionStorage.getItem('stocks-api-token');") is None
    browser.switch_to.active_element.send_keys(TOKEN, Keys.ENTER)  # sent again, with the token
    status = browser.find_element(By.ID, "status")
    wait.until(lambda b: status.text == "Now tracking IBM (daily); fetching it now.")
    until(browser, lambda b: forecast_shown(b, "IBM", "daily"), PIPELINE_SECONDS)
    stored = browser.execute_script("return sessionStorage.getItem('stocks-api-token');")
    assert stored == TOKEN  # kept for the tab, so later changes do not ask again
    assert "Changes use the access token you entered" in access.text

    storage = storage_of(stack)
    assert count(storage, "stocks", "prices", "IBM") == len(DemoProvider().bars("IBM", "daily"))
    assert count(storage, "forecasts", "forecast", "IBM") == 30
    from_page = [r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"]
    assert [r.event_type for r in from_page] == [FETCH_REQUESTED]

    ui = stack.functions["ui"].url
    view = requests.get(ui, params={"view": "symbol", "symbol": "IBM"}, timeout=30).json()
    band = view["forecast"]
    shown = cells(browser, "IBM", "daily")
    assert shown[FORECAST].splitlines() == [
        f"80% likely between {band['yhat_lower'][-1]:.2f} and {band['yhat_upper'][-1]:.2f} by "
        f"{day_words(view['figures']['range']['time'])}",
        "No direction: today's price is the best guess (naive forecast)",  # naive cannot beat naive
    ]
    # the session the last close belongs to (the demo's daily bars come after their close)
    assert view["session_closed"] and view["session"] == view["day"][:10]
    assert shown[CLOSE].splitlines()[1] == f"close of {day_words(view['session'])}"
    assert "International Business Machines" in shown[STOCK]
    assert "daily \u00b7 NYSE" in shown[STOCK].splitlines()  # IBM trades on XNYS
    until(  # the demo's rows carry splits and dividends: checked with the last fetch
        browser,
        lambda b: (
            cells(b, "IBM", "daily")[HEALTH].splitlines()[-1]
            == "splits & dividends checked with every fetch"
        ),
        PIPELINE_SECONDS,
    )
    assert browser.find_elements(
        By.CSS_SELECTOR, '#watchlist tr[data-key="IBM/daily"] svg polyline'
    )

    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (daily)"]').click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#price-chart canvas"))
    heading = browser.find_element(By.ID, "detail-heading")
    assert browser.switch_to.active_element == heading  # focus moved to what opened
    wait.until(lambda b: "likely between" in b.find_element(By.ID, "detail-range").text)
    metrics = browser.find_element(By.ID, "metrics").text
    for words in ("Typical error", "Error vs doing nothing", "Band meant to hold 80% of outcomes"):
        assert words in metrics
    assert "(MAPE)" in metrics and "(interval coverage)" in metrics  # technical names, second
    risk = browser.find_element(By.ID, "risk").text
    assert "Swings\nswings about \u00b1" in risk and "percentile of its own history" in risk
    reason = browser.find_element(By.ID, "reason").text
    assert reason.startswith("Why this model: naive")  # predict's reason, as forecast_runs keeps it
    browser.execute_script("document.querySelector('#detail').scrollIntoView();")
    browser.save_screenshot(str(shots / "ui-symbol.png"))

    browser.find_element(By.CSS_SELECTOR, '.chart-ranges button[data-range="1M"]').click()
    wait.until(
        lambda b: (
            b.execute_script("return document.querySelector('#price-chart').chart.data[0].length;")
            < 60
        )
    )

    browser.switch_to.active_element.send_keys(Keys.ESCAPE)  # closes the chart, focus returns
    assert browser.find_element(By.ID, "detail").is_displayed() is False
    assert browser.switch_to.active_element.text == "IBM"


def test_an_intraday_chart_leaves_out_the_closed_hours(stack: LocalStack, browser: Chrome) -> None:
    wait = WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=POLL)
    enter_symbol(browser, "IBM", "5min", "naive")
    browser.find_element(By.ID, "track-model").send_keys(Keys.ENTER)  # Enter on a select tracks
    until(browser, lambda b: forecast_shown(b, "IBM", "5min"), PIPELINE_SECONDS)
    assert cells(browser, "IBM", "daily"), "IBM daily and IBM 5min are two entries"
    asked = len([r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"])
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Fetch IBM (5min) now"]').click()
    status = browser.find_element(By.ID, "status")
    wait.until(lambda b: status.text == "Asked fetch for IBM (5min).")
    from_page = [r for r in stack.mesh.received() if r.source == "/stocks-manager/ui"]
    assert len(from_page) == asked + 1 and from_page[-1].event_type == FETCH_REQUESTED

    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (5min)"]').click()
    wait.until(lambda b: "likely between" in b.find_element(By.ID, "detail-range").text)
    chosen = browser.execute_script(
        "return document.querySelector('.chart-ranges [aria-pressed=true]').dataset.range;"
    )
    view = requests.get(
        stack.functions["ui"].url,
        params={"view": "symbol", "symbol": "IBM", "interval": "5min", "range": chosen},
        timeout=30,
    ).json()
    times = view["prices"]["time"] + view["forecast"]["time"]
    assert max(b - a for a, b in itertools.pairwise(times)) > 12 * 3600  # nights
    axis = browser.execute_script(
        "return Array.from(document.querySelector('#price-chart').chart.data[0]);"
    )
    assert axis == list(range(len(times)))  # one step a bar: the nights take no room
    last = datetime.fromtimestamp(view["prices"]["time"][-1], UTC).astimezone(
        ZoneInfo("America/New_York")
    )
    summary = browser.find_element(By.ID, "detail-summary").text
    assert f"{last:%H:%M}" in summary  # the exchange's clock, not UTC's
    assert "America/New_York" in browser.find_element(By.ID, "chart-note").text
    ticks = browser.execute_script(
        "return document.querySelector('#volume-chart').chart.axes[1]._values;"
    )
    assert len(ticks) == 3 and ticks[0] == "0" and ticks[-1] != "0"  # 0, half, the most
    browser.find_element(By.ID, "detail-close").click()


WORDS = """
const [w, f] = await Promise.all([import("./?asset=js/words.js"), import("./?asset=js/format.js")]);
const range = {lower: 36.1, upper: 46.2, width: 0.8, time: "2027-01-15T00:00:00Z"};
return [
  w.rangeSentence(range),
  w.rangeSentence({...range, time: "2026-12-02T19:05:00Z"}, "5min", "America/New_York"),
  w.skillSentence({model: "prophet", skill: "worse", rel_naive: 1.63, direction: null}),
  w.skillSentence({model: "drift", skill: "better", rel_naive: 0.8, direction: "up",
                   change_pct: 5.24}),
  w.skillSentence({model: "naive", skill: "same", rel_naive: 1, direction: null}),
  [5, 11, 21, 42, 50, 63, 92, 100].map((p) => w.calmOrWild(p)),
  w.swings(0.2345), w.fromHigh({from_high: -0.12}), w.fromHigh({from_high: 0}),
  w.largestFall(-0.183),
  w.health({time: "2026-12-02T10:00:00Z", status: "ok"}, Date.parse("2026-12-02T10:03:00Z")),
  w.health({time: "2026-12-02T10:00:00Z", status: "502", failing_since: "2026-12-01T10:00:00Z"},
           Date.parse("2026-12-02T10:03:00Z")),
  f.compact(0), f.compact(950), f.compact(1500), f.compact(25000), f.compact(2.5e6),
  w.freshness({state: "fresh", as_of: "2026-12-01"}),
  w.freshness({state: "stale", as_of: "2026-11-30", stale_since: "2026-12-01T22:30:00Z",
               missing: "2026-12-01"}),
  w.sessionWords("2026-12-01", true), w.sessionWords("2026-12-02", false), w.sessionWords(null),
  ["XNYS", "XNAS", "XLON", "XTSE", "XETR", "XPAR"].map(w.exchangeName),
  [null, {checked: null, how: "with every fetch", next_by: null},
   {checked: "2026-12-02T09:58:00Z", how: "with every fetch", next_by: null},
   {checked: "2026-11-29T10:00:00Z", how: "listed apart", next_by: "2026-12-29T10:00:00Z"}]
    .map((a) => w.splitsAndDividends(a, Date.parse("2026-12-02T10:03:00Z"))),
];
"""


def test_the_plain_words(browser: Chrome) -> None:
    """The page's sentences for each figure, from its own modules in the browser."""
    said = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"(async () => {{ {WORDS} }})().then(done, (e) => done(String(e)));"
    )
    assert said == [
        "80% likely between 36.10 and 46.20 by Fri 15 Jan",
        "80% likely between 36.10 and 46.20 by Wed 2 Dec, 14:05",  # New York's clock
        {
            "text": "\u26a0 prophet did worse than doing nothing in testing (error 1.63\u00d7 "
            "naive's): no direction shown",
            "warning": True,
        },
        {
            "text": "\u25b2 up +5.24%: drift beat doing nothing in testing "
            "(error 0.80\u00d7 naive's)",
            "warning": False,
        },
        {
            "text": "No direction: today's price is the best guess (naive forecast)",
            "warning": False,
        },
        [
            "much calmer than usual (5th percentile of its own history)",
            "much calmer than usual (11th percentile of its own history)",
            "calmer than usual (21st percentile of its own history)",
            "about as usual (42nd percentile of its own history)",
            "about as usual (50th percentile of its own history)",
            "wilder than usual (63rd percentile of its own history)",
            "much wilder than usual (92nd percentile of its own history)",
            "much wilder than usual (100th percentile of its own history)",
        ],
        "swings about \u00b123% a year",
        "12.0% below its 52-week high",
        "at its 52-week high",
        "fell 18.3% at worst",
        {"text": "fetched 3 min ago, ok", "failing": False},
        {"text": "failing since Tue 1 Dec, 10:00 UTC (502)", "failing": True},
        "0",
        "950",
        "1.5k",
        "25k",
        "2.5M",
        {"text": "data fresh as of Tue 1 Dec", "stale": False},
        {"text": "data stale since Tue 1 Dec, 22:30 UTC: Tue 1 Dec missing", "stale": True},
        "close of Tue 1 Dec",
        "Wed 2 Dec so far, still trading",
        "no close yet",
        ["NYSE", "Nasdaq", "London", "Toronto", "Xetra", "XPAR"],
        [
            "",
            "splits & dividends not checked yet",
            "splits & dividends checked with every fetch",
            "splits & dividends checked 3 days ago, next by Tue 29 Dec",
        ],
    ]


def test_a_bad_symbol_is_refused_with_the_reason_shown(stack: LocalStack, browser: Chrome) -> None:
    before = requests.get(stack.functions["watchlist"].url, timeout=30).json()  # reads: public
    error = browser.find_element(By.ID, "form-error")
    for symbol, interval, exchange, words in (
        ("BAD!", "daily", DEFAULT_EXCHANGE, "is not valid"),
        ("TOOLONGSYMBOL1", "daily", DEFAULT_EXCHANGE, "1 to 12 characters"),
        ("ZZZZQ", "daily", DEFAULT_EXCHANGE, "no symbol 'ZZZZQ': it serves IBM, AAPL"),
        ("IBM", "5min", "London", "not on XLON: track or fetch it daily"),  # the exchange is sent
    ):
        track_with_keyboard(browser, symbol, interval, "auto (default)", exchange)
        WebDriverWait(browser, 30, poll_frequency=POLL).until(lambda b, w=words: w in error.text)
        assert words in error.text  # refused whole (never cut to 12 characters), never invented
        assert browser.switch_to.active_element.get_attribute("id") == "track-symbol"
    assert requests.get(stack.functions["watchlist"].url, timeout=30).json() == before


def test_focus_survives_polls_and_rows_sort(stack: LocalStack, browser: Chrome) -> None:
    """Rows are updated in place: the focused button is the same element after polls."""
    remove = browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Stop tracking IBM (5min)"]')
    browser.execute_script("arguments[0].focus();", remove)
    poll_now(browser)
    assert browser.switch_to.active_element == remove
    remove.send_keys(Keys.SHIFT, Keys.TAB)  # and the keyboard goes on from there
    assert browser.switch_to.active_element.get_attribute("aria-label") == "Fetch IBM (5min) now"

    def order() -> list[str]:
        rows = browser.find_elements(By.CSS_SELECTOR, "#watchlist tbody tr")
        return [r.get_attribute("data-key") for r in rows]

    assert order() == ["IBM/5min", "IBM/daily"]  # by symbol, then interval
    header = browser.find_element(By.CSS_SELECTOR, '#watchlist th[data-sort="symbol"]')
    header.find_element(By.TAG_NAME, "button").click()
    assert order() == ["IBM/daily", "IBM/5min"]
    assert header.get_attribute("aria-sort") == "descending"


def test_two_stocks_moving_together_and_the_demo_label_on_every_view(
    stack: LocalStack, browser: Chrome, shots: Path
) -> None:
    answer = requests.post(
        stack.functions["ui"].url,
        json={"action": "track", "symbol": "AAPL"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=POLL).until(
        lambda b: forecast_shown(b, "AAPL", "daily")
    )
    show_view(browser, "correlation")
    data = requests.get(
        stack.functions["ui"].url, params={"view": "correlation"}, timeout=30
    ).json()
    assert data["symbols"] == ["AAPL", "IBM"]
    (pair,) = data["pairs"]
    pairs = browser.find_element(By.ID, "correlation-pairs").text
    assert pairs.startswith("AAPL and IBM ") and f"({pair['correlation']:.2f})" in pairs
    matrix = browser.find_element(By.ID, "correlation-matrix").text
    assert f"{pair['correlation']:.2f}" in matrix
    browser.save_screenshot(str(shots / "ui-correlation.png"))
    for view in VIEWS:
        show_view(browser, view)
        label = browser.find_element(By.ID, "demo-label")
        assert label.is_displayed() and label.text.startswith("Demo data"), view
        no_accessibility_violations(browser, f"desktop {view}")
        if view == "pipeline":
            runs = browser.find_element(By.ID, "runs").text
            assert "fetch" in runs and "IBM" in runs
            browser.save_screenshot(str(shots / "ui-pipeline.png"))
    show_view(browser, "watchlist")
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (daily)"]').click()
    WebDriverWait(browser, 30, poll_frequency=POLL).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#price-chart canvas")
    )
    no_accessibility_violations(browser, "desktop symbol")
    browser.find_element(By.ID, "detail-close").click()


def test_untracking_removes_the_row(stack: LocalStack, browser: Chrome, shots: Path) -> None:
    browser.find_element(By.ID, "track-symbol").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)
    assert not browser.find_element(By.ID, "form-error").is_displayed()  # a new try: error gone
    enter_symbol(browser, "", "daily", "auto (default)")  # the form as a newcomer finds it
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    width = browser.execute_script("return document.documentElement.scrollWidth;")
    assert width <= browser.execute_script("return document.documentElement.clientWidth;")
    browser.save_screenshot(str(shots / "ui-watchlist.png"))
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Stop tracking AAPL (daily)"]').click()
    WebDriverWait(browser, 30, poll_frequency=POLL).until(lambda b: not row(b, "AAPL", "daily"))
    assert "Stopped tracking AAPL (daily)." in browser.find_element(By.ID, "status").text
    assert browser.find_element(By.ID, "token-dialog").get_attribute("open") is None
    listed = requests.get(stack.functions["watchlist"].url, timeout=30).json()["watchlist"]
    assert {(e["symbol"], e["interval"]) for e in listed} == {("IBM", "daily"), ("IBM", "5min")}


def test_a_phone_gets_cards_and_a_readable_forecast(stack: LocalStack, shots: Path) -> None:
    with chromium(PHONE) as phone:
        phone.get(stack.functions["ui"].url)
        WebDriverWait(phone, 30, poll_frequency=POLL).until(
            lambda b: forecast_shown(b, "IBM", "daily")
        )
        width = phone.execute_script("return document.documentElement.scrollWidth;")
        assert width <= phone.execute_script("return window.innerWidth;")  # no sideways swipe
        (card,) = row(phone, "IBM", "daily")
        assert card.value_of_css_property("display") == "grid"
        shown = [c for c in card.find_elements(By.TAG_NAME, "td") if c.is_displayed()]
        text = "\n".join(c.text for c in shown)
        for words in ("IBM", "International Business Machines", "as of", "likely between", "ok"):
            assert words in text
        phone.execute_script("document.querySelector('#access').scrollIntoView();")
        phone.save_screenshot(str(shots / "ui-phone-watchlist.png"))
        no_accessibility_violations(phone, "phone watchlist")

        phone.execute_script("window.scrollTo(0, document.body.scrollHeight);")
        scrolled = phone.execute_script("return window.scrollY;")
        assert scrolled > 0
        poll_now(phone)
        assert phone.execute_script("return window.scrollY;") == scrolled  # polls keep the place

        phone.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (daily)"]').click()
        WebDriverWait(phone, 30, poll_frequency=POLL).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "#price-chart canvas")
        )
        share = phone.execute_script(
            "const c = document.querySelector('#price-chart').chart;"
            "const n = c.data[1].filter(v => v != null).length;"
            "return (c.data[0].length - n) / c.data[0].length;"
        )
        assert share >= 0.3  # the forecast takes a third of the chart or more, not a sliver
        phone.execute_script("document.querySelector('#detail').scrollIntoView();")
        phone.save_screenshot(str(shots / "ui-phone-symbol.png"))
        no_accessibility_violations(phone, "phone symbol")
        for view in VIEWS[1:]:
            show_view(phone, view)
            assert phone.find_element(By.ID, "demo-label").is_displayed()
            no_accessibility_violations(phone, f"phone {view}")
            phone.execute_script("window.scrollTo(0, 0);")
            phone.save_screenshot(str(shots / f"ui-phone-{view}.png"))


# -- alerts (issue 20): a rule made on the page fires when the data crosses it ------------------


def test_an_alert_made_on_the_page_fires_when_the_data_crosses_it(
    stack: LocalStack, browser: Chrome, shots: Path
) -> None:
    """A rule is added in the stock's panel; a new bar above its level (as fetch would store it,
    then its reply) fires it: the alerts view lists it and the local receiver got it."""
    from cloudevents.http import CloudEvent

    from shared.contract.events import FETCHED
    from shared.market.calendar import calendar
    from shared.store import prices
    from tests.support.stack import publish

    wait = WebDriverWait(browser, PIPELINE_SECONDS, poll_frequency=POLL)
    browser.execute_script(f"sessionStorage.setItem('stocks-api-token', '{TOKEN}');")
    if not row(browser, "IBM", "daily"):  # run alone: track it first
        requests.post(
            stack.functions["watchlist"].url,
            json={"symbol": "IBM", "model": "naive"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ).raise_for_status()
    show_view(browser, "watchlist")
    until(browser, lambda b: forecast_shown(b, "IBM", "daily"), PIPELINE_SECONDS)
    ui = stack.functions["ui"].url
    (entry,) = [
        e
        for e in requests.get(ui, params={"view": "watchlist"}, timeout=30).json()["watchlist"]
        if (e["symbol"], e["interval"]) == ("IBM", "daily")
    ]
    level = round(entry["close"] * 1.05, 2)

    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Chart of IBM (daily)"]').click()
    wait.until(lambda b: b.find_element(By.ID, "rules-heading").text == "Alerts for IBM (daily)")
    Select(browser.find_element(By.ID, "rule-kind")).select_by_value("above")
    browser.find_element(By.ID, "rule-number").send_keys(str(level))
    browser.find_element(By.ID, "rule-note").send_keys("take some profit")
    browser.find_element(By.ID, "rule-button").click()
    status = browser.find_element(By.ID, "status")
    wait.until(lambda b: status.text.startswith(f"Watching IBM (daily): close above {level:g}"))
    rules = browser.find_element(By.ID, "detail-rules")
    wait.until(lambda b: "take some profit" in rules.text)
    assert stack.webhook.received() == []  # below the level: nothing fired

    newest = pd.Timestamp(entry["day"]).tz_convert(None)
    (session,) = calendar("XNYS").next_sessions(newest, 1)
    crossing = round(level * 1.02, 4)
    bar = pd.DataFrame(
        {"open": level, "high": crossing, "low": level, "close": crossing, "volume": 1000},
        index=pd.DatetimeIndex([session.tz_localize("UTC")], name="time"),
    )
    storage = storage_of(stack)
    prices.write_bars(storage, "stocks", "IBM", "daily", bar)
    prices.refresh_adjusted(storage, "stocks", "IBM", "daily", newest.tz_localize("UTC"))
    data = {"symbol": "IBM", "bucket": "stocks", "interval": "daily", "points": 1}
    says = {"forecastdue": "yes", "alertrules": "yes"}  # as fetch's reply says: its Triggers filter
    publish(stack, CloudEvent({"type": FETCHED, "source": "/stocks-manager/fetch", **says}, data))

    browser.execute_script("document.querySelector('#rules-heading').scrollIntoView();")
    browser.save_screenshot(str(shots / "ui-alert-rules.png"))
    show_view(browser, "alerts")
    history = browser.find_element(By.ID, "alert-history")
    fired = f"IBM (daily) closed at {crossing:,.2f}, above {level:,.2f}"
    wait.until(lambda b: fired in history.text)
    wait.until(lambda b: any(fired in e["body"]["text"] for e in stack.webhook.received()))
    (received,) = stack.webhook.received()
    assert received["signed"] and received["body"]["alert"]["note"] == "take some profit"
    assert "take some profit" in browser.find_element(By.ID, "alert-rules").text
    inbox = browser.find_element(By.CSS_SELECTOR, "#alerts-inbox a")
    assert inbox.get_attribute("href") == stack.inbox
    no_accessibility_violations(browser, "alerts")
    browser.execute_script("window.scrollTo(0, 0);")
    browser.save_screenshot(str(shots / "ui-alerts.png"))

    browser.get(stack.inbox)  # what the local webhook receiver shows
    assert fired in browser.find_element(By.TAG_NAME, "table").text
    assert "signature verified" in browser.find_element(By.TAG_NAME, "table").text
    browser.save_screenshot(str(shots / "ui-webhook-receiver.png"))
    browser.get(stack.functions["ui"].url + "#view-alerts")
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#alert-rules button"))
    browser.find_element(By.CSS_SELECTOR, "#alert-rules button").click()
    wait.until(lambda b: "No rules yet" in b.find_element(By.ID, "alert-rules").text)
    assert fired in browser.find_element(By.ID, "alert-history").text  # its alert stays


def test_the_page_broke_no_content_security_policy(browser: Chrome) -> None:
    """Everything above ran under the ui's policy (self only, no inline script): the console
    reports no violation."""
    assert policy_violations(browser) == []

"""Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.wait import WebDriverWait

# Chromium as root needs --no-sandbox; the rest keeps it off the network and quiet.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
DESKTOP = (1280, 1000)
POLL = 0.1
"""Seconds between a wait's looks at the page (each one WebDriver call, a few milliseconds)."""
PHONE = (390, 844)


def binaries() -> tuple[str, str] | None:
    """Chromium and its driver, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def chromium(size: tuple[int, int] = DESKTOP) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with its own profile, quit afterwards."""
    found = binaries()
    if found is None:
        raise RuntimeError("chromium and chromium-driver are missing: run `make install`.")
    browser, driver = found
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console
        session = webdriver.Chrome(options=options, service=Service(driver))
        try:
            yield session
        finally:
            session.quit()


def screenshot_dir(default: Path) -> Path:
    """Where tests save screenshots: STOCKS_SCREENSHOTS (e.g. docs/) or the test's own dir."""
    directory = Path(os.environ.get("STOCKS_SCREENSHOTS") or default)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def waiting(browser: webdriver.Chrome, seconds: float) -> WebDriverWait:
    """A wait on a condition over the page, polled until it holds or `seconds` pass.

    The page redraws what it polls: an element found a moment ago may be gone (stale) or not
    there yet; both mean "not yet", never a failure.
    """
    return WebDriverWait(
        browser,
        seconds,
        poll_frequency=POLL,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


# What the page says of itself when a wait times out: the view shown, its polls, its last word.
PAGE_STATE = """return {
  hash: location.hash,
  polls: performance.getEntriesByName('poll').length,
  updated: (document.getElementById('updated') || {}).textContent,
  requests: performance.getEntriesByType('resource').slice(-6).map(
    (r) => `${r.name.split('/').pop()} ${Math.round(r.duration)} ms`),
};"""


def until(browser: webdriver.Chrome, condition, seconds: float, shot: Path | None = None) -> None:
    """Wait for `condition(browser)`; on timeout fail with what the page last said of itself.

    The failure names the view shown, how many polls finished, the page's "Updated" line, its
    last requests and console errors; with `shot`, a screenshot is saved there first.
    """
    try:
        waiting(browser, seconds).until(condition)
    except TimeoutException:
        if shot is not None:
            shot.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(shot))
        state = browser.execute_script(PAGE_STATE)
        console = [entry["message"] for entry in browser.get_log("browser")][-5:]
        raise AssertionError(
            f"timed out after {seconds} s; the page: {state}; console: {console}"
            + (f"; screenshot: {shot}" if shot else "")
        ) from None


def policy_violations(browser: webdriver.Chrome) -> list[str]:
    """Console messages since the last call that report a Content-Security-Policy violation."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]

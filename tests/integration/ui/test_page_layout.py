"""What the page draws stays where it was drawn: nothing moves under a reader's pointer.

The page's first answers arrive a moment after it appears (the demo label, the access line, the
rows). A link that moves then is clicked wrongly: the click lands on whatever took its place.
Chromium records every such move as a layout shift (the Layout Instability API), from the start.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import until

pytestmark = pytest.mark.slow

# Every layout shift since the page started, with the element each moved: the header's part.
SHIFTS = """const done = arguments[arguments.length - 1];
new PerformanceObserver((list, observer) => {
  observer.disconnect();
  done(list.getEntries().flatMap((shift) => shift.sources.map((source) => {
    const node = source.node;
    const inNav = Boolean(node && node.closest && node.closest("header nav"));
    return { inNav, what: node ? (node.id || node.nodeName) : null };
  })));
}).observe({ type: "layout-shift", buffered: true });
setTimeout(() => done([]), 2000);  // none recorded: the observer is never called
"""


def test_the_views_links_do_not_move_when_the_first_answers_arrive(ui, browser):
    browser.get(ui.url)
    label = browser.find_element(By.ID, "demo-label")
    polled = "return performance.getEntriesByName('poll').length"
    until(browser, lambda b: b.execute_script(polled) >= 1 and label.is_displayed(), 60)
    moved = [source for source in browser.execute_async_script(SHIFTS) if source["inNav"]]
    assert moved == [], f"the views' links moved: {moved}"

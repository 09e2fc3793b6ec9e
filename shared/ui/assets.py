"""The page's files (this directory), read once and served by name from a fixed list."""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = "index.html"
DEMO_LABEL = b'<p id="demo-label" class="demo-label" hidden>'
"""The demo label as the page file has it: hidden until a view says the data is the demo's."""
MODULES = tuple(sorted(f"js/{path.name}" for path in (HERE / "js").glob("*.js")))
"""The page's script: one ES module a panel, plus the few they share (no build step)."""
ASSETS = (
    "js/main.js",
    *(name for name in MODULES if name != "js/main.js"),
    "style.css",
    "favicon.svg",
    "vendor/uplot/uPlot.iife.min.js",
    "vendor/uplot/uPlot.min.css",
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@cache
def asset(name: str) -> tuple[bytes, str]:
    """The content and content type of the page (`PAGE`) or one of `ASSETS`."""
    if name != PAGE and name not in ASSETS:
        raise ValueError(f"{name!r} is not a page file")  # callers validate names first
    path = HERE / name
    return path.read_bytes(), TYPES[path.suffix]


@cache
def page(demo: bool) -> tuple[bytes, str]:
    """The page as served, and its content type: with the demo label already shown when the
    provider is the demo.

    The page's first poll would show it anyway; drawn from the start, it does not push the views'
    links aside under a reader's pointer a moment after the page appears.
    """
    content, content_type = asset(PAGE)
    if DEMO_LABEL not in content:
        raise RuntimeError(f"{PAGE} has no hidden demo label to show")  # the page was edited
    if demo:
        content = content.replace(DEMO_LABEL, DEMO_LABEL.replace(b" hidden>", b">"))
    return content, content_type

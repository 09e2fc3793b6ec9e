"""The page's files: every one the page names is served, with its type; nothing else is."""

from __future__ import annotations

import re

import pytest

from shared.ui.assets import ASSETS, DEMO_LABEL, HERE, MODULES, PAGE, asset, page


def test_the_page_names_exactly_the_served_files():
    page = asset(PAGE)[0].decode()
    named = set(re.findall(r'\?asset=([\w./-]+)"', page))
    assert named == set(ASSETS)


@pytest.mark.parametrize("name", [PAGE, *ASSETS])
def test_each_file_is_served_with_its_type(name):
    content, content_type = asset(name)
    assert content == (HERE / name).read_bytes() and content
    assert content_type.split(";")[0] in {
        "text/html",
        "text/javascript",
        "text/css",
        "image/svg+xml",
    }


def test_uplot_comes_with_its_licence():
    licence = (HERE / "vendor" / "uplot" / "LICENSE").read_text()
    assert "MIT License" in licence and "Leon Sorokin" in licence


@pytest.mark.parametrize("name", ["../assets.py", "vendor/uplot/LICENSE", "/etc/passwd", ""])
def test_no_other_file_is_served(name):
    with pytest.raises(ValueError):
        asset(name)


def test_every_module_imports_only_served_modules():
    for name in MODULES:
        source = (HERE / name).read_text()
        imported = set(
            re.findall(r'from "\./\?asset=([\w./-]+)"|import "\./\?asset=([\w./-]+)"', source)
        )
        for names in imported:
            assert {n for n in names if n} <= set(MODULES), (name, names)


def test_the_page_shows_the_demo_label_from_the_start_only_for_the_demo():
    served = asset(PAGE)
    assert page(False) == served and DEMO_LABEL in served[0]
    shown, content_type = page(True)
    assert content_type == served[1]
    assert DEMO_LABEL not in shown
    assert shown == served[0].replace(b' class="demo-label" hidden>', b' class="demo-label">', 1)

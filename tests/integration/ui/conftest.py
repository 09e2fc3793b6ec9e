"""The page's tests: a ui process of the test's own, and a fresh headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver import Chrome

from devstack.functions import FunctionProcess
from tests.support.browser import chromium


@pytest.fixture
def ui(serve) -> FunctionProcess:
    """The ui function as a real process, on the test's bucket, with the demo provider."""
    return serve("ui")


@pytest.fixture
def browser() -> Iterator[Chrome]:
    with chromium() as session:
        yield session

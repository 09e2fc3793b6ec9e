"""Telling another site's page from the page itself and from callers that are not browsers."""

from __future__ import annotations

import pytest

from shared.runtime.origin import foreign

HOST = {"host": "127.0.0.1:8080"}


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, the broker, the functions
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},  # typed in the address bar
        {"origin": "http://127.0.0.1:8080"},
        {"origin": "https://ui.example.com", "host": "ui.example.com"},  # default port
        {"origin": "https://ui.example.com", "host": "ui.example.com:443"},
        {
            "origin": "https://ui.example.com",
            "host": "10.0.0.1",
            "x-forwarded-host": "ui.example.com",
        },
        {"origin": "HTTP://127.0.0.1:8080"},
    ],
)
def test_the_page_itself_and_callers_that_are_no_browser_are_not_foreign(headers):
    assert foreign({**HOST, **headers}) is None


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"sec-fetch-site": "cross-site"}, "'cross-site'"),
        ({"sec-fetch-site": "same-site"}, "'same-site'"),
        ({"origin": "http://127.0.0.1:9999"}, "http://127.0.0.1:9999"),
        ({"origin": "http://localhost:8080"}, "localhost"),
        ({"origin": "null"}, "'null'"),
        ({"origin": "https://127.0.0.1:8080.attacker.example"}, "attacker"),
        ({"sec-fetch-site": "same-origin", "origin": "http://attacker.example"}, "attacker"),
    ],
)
def test_another_sites_page_is_foreign_and_says_why(headers, words):
    reason = foreign({**HOST, **headers})
    assert reason is not None and words in reason

"""The page's side of alerts, in process: the alerts view, rule changes, and each watchlist row's
freshness and count of rules."""

from __future__ import annotations

from dataclasses import replace

from functions import ui
from shared.contract.config import WebhookSettings
from shared.runtime.services import Services
from tests.integration.alerts.conftest import SYMBOL, write_closes
from tests.support.inprocess import call


def change(services, **fields):
    return call(ui.SPEC, services, method="POST", json_body=fields)


def test_rules_made_and_deleted_on_the_page_show_in_its_views(services, bucket, tracked, sink):
    inbox = Services(
        replace(services.settings, webhook=WebhookSettings(inbox_url="http://127.0.0.1:8091/"))
    )
    write_closes(services, bucket, [170, 181])
    made = change(inbox, action="add-rule", symbol=SYMBOL, kind="above", level=180)
    assert made.status == 200, made.body
    rule = made.json()["rule"]["rule"]
    assert made.json()["fired"][0]["message"].startswith("DEMO1 (daily) closed at 181.00")

    view = call(ui.SPEC, inbox, query={"view": "alerts", "symbol": SYMBOL}).json()
    assert [r["rule"] for r in view["rules"]] == [rule]
    assert [a["rule"] for a in view["alerts"]] == [rule]
    assert view["inbox"] == "http://127.0.0.1:8091/"
    (row,) = call(ui.SPEC, inbox, query={"view": "watchlist"}).json()["watchlist"]
    assert row["rules"] == 1
    assert row["freshness"]["as_of"] == "2025-03-04" and row["freshness"]["state"] == "stale"

    gone = change(inbox, action="delete-rule", rule=rule)
    assert gone.status == 200 and gone.json()["message"].startswith("Deleted the rule")
    assert call(ui.SPEC, inbox, query={"view": "alerts"}).json()["rules"] == []
    (row,) = call(ui.SPEC, inbox, query={"view": "watchlist"}).json()["watchlist"]
    assert row["rules"] == 0


def test_bad_rule_changes_from_the_page_are_refused_with_a_sentence(services, tracked):
    cases = [
        ({"action": "add-rule", "symbol": SYMBOL, "kind": "above"}, 400, "'level' is required"),
        ({"action": "add-rule", "symbol": "KO", "kind": "stale"}, 422, "not on the watchlist"),
        ({"action": "delete-rule", "rule": "nope"}, 400, "must be a rule id"),
        ({"action": "delete-rule", "rule": "r0123456789ab"}, 422, "There is no rule"),
        ({"action": "delete-rule", "symbol": SYMBOL}, 400, "'symbol' is not one"),
    ]
    for fields, status, words in cases:
        answer = change(services, **fields)
        assert answer.status == status and words in answer.json()["error"], (fields, answer.body)

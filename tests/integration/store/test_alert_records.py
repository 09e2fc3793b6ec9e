"""The alert stores and the dead letters on a real influxd: what is saved reads back whole, the
newest point of a rule is the rule, and a meta bucket that does not exist yet reads as empty."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shared.alerting.rules import Rule
from shared.contract.schema import ALERT_RULES
from shared.store import alert_deliveries, alert_rules, dead_letters

LEVEL = Rule(
    "r0000000000a1",
    "IBM",
    "daily",
    "above",
    180.5,
    note='take profit, then "wait"',
    webhook="https://hooks.example.test/a",
    since="2026-11-20T00:00:00Z",
    created="2026-11-21T10:00:00Z",
)
STALE = Rule("r0000000000b2", "IBM", "5min", "stale", created="2026-11-20T09:00:00Z")
OTHER = Rule("r0000000000c3", "MSFT", "daily", "move", 5.0)  # no `created`: made before it existed
AT = datetime(2026, 11, 25, 21, 0, 0, 125_000, tzinfo=UTC)


def test_a_saved_rule_reads_back_whole_and_a_rule_without_optional_fields_keeps_them_empty(
    storage, bucket
):
    for rule in (LEVEL, STALE):
        alert_rules.save(storage, bucket, rule)
    assert alert_rules.find(storage, bucket, LEVEL.rule) == LEVEL
    found = alert_rules.find(storage, bucket, STALE.rule)
    assert found == STALE
    assert (found.threshold, found.note, found.webhook, found.since) == (None, "", "", None)


def test_a_rule_saved_before_its_optional_fields_existed_reads_with_them_empty(storage, bucket):
    storage.write_point(
        bucket,
        ALERT_RULES,
        "ms",
        symbol="IBM",
        rule="r0000000000d4",
        interval="daily",
        kind="below",
        active=True,
    )
    assert alert_rules.find(storage, bucket, "r0000000000d4") == Rule(
        "r0000000000d4", "IBM", "daily", "below"
    )


def test_rules_list_oldest_made_first_and_by_symbol_and_the_newest_point_of_a_rule_is_it(
    storage, bucket
):
    for rule in (LEVEL, OTHER, STALE):
        alert_rules.save(storage, bucket, rule)
    alert_rules.save(storage, bucket, replace(LEVEL, active=False))
    assert alert_rules.latest(storage, bucket) == [OTHER, STALE, replace(LEVEL, active=False)]
    assert alert_rules.active(storage, bucket) == [OTHER, STALE]
    assert alert_rules.active(storage, bucket, "IBM") == [STALE]
    assert alert_rules.active(storage, bucket, "MSFT") == [OTHER]


def test_a_symbol_is_watched_while_any_of_its_rules_is_in_force(storage, bucket):
    def watched(symbol: str) -> bool:
        (series,) = storage.select(bucket, [alert_rules.watching_query(symbol, bucket)])
        return alert_rules.watching(series)

    alert_rules.save(storage, bucket, STALE)
    alert_rules.save(storage, bucket, LEVEL)
    alert_rules.save(storage, bucket, replace(LEVEL, active=False))  # the newest point of IBM's
    assert watched("IBM") and not watched("MSFT")
    alert_rules.save(storage, bucket, replace(STALE, active=False))
    assert not watched("IBM")


def test_a_delivery_is_found_by_its_symbol_rule_and_moment_and_reads_back_whole(
    storage, bucket, far_east
):
    before = datetime.now(UTC)
    alert_deliveries.record(
        storage,
        bucket,
        symbol="IBM",
        rule=LEVEL.rule,
        at=AT,
        alert_id="a-1",
        status=204,
        seconds=0.125,
    )
    assert alert_deliveries.delivered(storage, bucket, "IBM", LEVEL.rule, AT)
    assert not alert_deliveries.delivered(storage, bucket, "IBM", STALE.rule, AT)
    assert not alert_deliveries.delivered(storage, bucket, "MSFT", LEVEL.rule, AT)
    assert not alert_deliveries.delivered(
        storage, bucket, "IBM", LEVEL.rule, AT + timedelta(milliseconds=1)
    )
    (row,) = alert_deliveries.recent(storage, bucket, AT).itertuples()
    assert (row.Index, row.symbol, row.rule, row.alert_id, row.status, row.seconds) == (
        AT,
        "IBM",
        LEVEL.rule,
        "a-1",
        204,
        0.125,
    )
    delivered_at = datetime.fromisoformat(row.delivered_at)
    assert before - timedelta(seconds=1) <= delivered_at <= datetime.now(UTC)
    assert alert_deliveries.recent(storage, bucket, AT + timedelta(milliseconds=1)).empty


def test_a_dead_letter_reads_back_with_its_text_fields_as_text(storage, bucket):
    letter = dict(
        type="io.example.lost",
        trigger="fetch",
        event_id="e-1",
        subscriber="http://fetch/",
        code=503,
        error="",
        data="123",
    )
    at_ns = 1_795_789_800_123_456_789
    dead_letters.record(storage, bucket, letter, at_ns)
    for frame in (
        dead_letters.recent(storage, bucket, 5),
        dead_letters.since(storage, bucket, datetime(2026, 11, 27, tzinfo=UTC)),
    ):
        (row,) = frame.itertuples()
        assert row.Index.value == at_ns // 1_000_000 * 1_000_000  # read back in milliseconds
        assert (row.data, row.event_id, row.code) == ("123", "e-1", 503)
    assert dead_letters.since(storage, bucket, datetime(2026, 11, 28, tzinfo=UTC)).empty


def test_a_meta_bucket_not_made_yet_reads_as_having_nothing(storage, bucket):
    missing = f"{bucket}_later"
    assert alert_rules.find(storage, missing, LEVEL.rule) is None
    assert alert_rules.latest(storage, missing) == []
    assert not alert_deliveries.delivered(storage, missing, "IBM", LEVEL.rule, AT)
    assert alert_deliveries.recent(storage, missing, AT).empty
    assert dead_letters.recent(storage, missing, 5).empty
    assert dead_letters.since(storage, missing, AT).empty

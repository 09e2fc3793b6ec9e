"""InfluxClient against a real influxd: round trips, idempotence, escaping, buckets, outages."""

from __future__ import annotations

import pandas as pd
import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import (
    BadInput,
    BucketNotFound,
    QueryRefused,
    StorageUnavailable,
    WriteRefused,
)
from shared.contract.schema import PRICES, RUNS
from shared.influx.client import InfluxClient
from shared.influx.influxql import ident, literal
from tests.support.prices import bars, select_prices


def test_prices_round_trip_keeps_types_and_utc_times(storage, bucket):
    written = bars(n=5)
    assert storage.write(bucket, written, PRICES) == 5
    read = select_prices(storage, bucket, "AAPL")
    assert list(read.index) == list(written.index)
    assert str(read.index.tz) == "UTC"
    assert read["close"].dtype == "float64"
    assert read["volume"].dtype == "Int64"
    assert read["volume"].tolist() == written["volume"].tolist()
    assert read["open"].tolist() == written["open"].tolist()
    assert set(read["symbol"]) == {"AAPL"}


def test_writing_the_same_bars_twice_leaves_one_point_each(storage, bucket):
    storage.write(bucket, bars(n=4), PRICES)
    storage.write(bucket, bars(n=4), PRICES)
    assert len(select_prices(storage, bucket, "AAPL")) == 4


def test_batches_split_large_frames_and_keep_every_row(settings, bucket):
    small_batches = InfluxClient(settings.influx, batch_lines=7)
    small_batches.create_bucket(bucket)
    assert small_batches.write(bucket, bars(n=50), PRICES) == 50
    assert len(select_prices(small_batches, bucket, "AAPL")) == 50


@pytest.mark.parametrize(
    "odd",
    ["BRK.B", "A B", "X,Y", "K=V", 'Q"T', "back\\slash", "O'Neil", "ünï", "\\lead"],
)
def test_odd_but_legal_tag_values_round_trip(storage, bucket, odd):
    storage.write(bucket, bars(symbol=odd, n=2), PRICES)
    read = select_prices(storage, bucket, odd)
    assert len(read) == 2
    assert set(read["symbol"]) == {odd}


def test_group_by_tags_become_columns(storage, bucket):
    storage.write(bucket, bars("A B", n=2), PRICES)
    storage.write(bucket, bars("C,D", n=3), PRICES)
    read = storage.query(bucket, 'SELECT last("close") FROM "prices" GROUP BY "symbol"')
    assert sorted(read["symbol"]) == ["A B", "C,D"]


def test_injection_in_a_literal_is_data_not_code(storage, bucket):
    storage.write(bucket, bars("AAPL", n=2), PRICES)
    assert select_prices(storage, bucket, "A' OR '1'='1").empty
    assert "\\'" in literal("A' OR '1'='1")


def test_injection_in_a_bucket_name_is_refused_before_any_request(storage, bucket):
    evil = 'x"; DROP DATABASE y'
    for attempt in (
        lambda: storage.write(evil, bars(), PRICES),
        lambda: storage.query(evil, "SELECT * FROM prices"),
        lambda: storage.create_bucket(evil),
    ):
        with pytest.raises(BadInput, match="not valid"):
            attempt()
    assert bucket in storage.list_buckets()


def test_control_characters_never_reach_influxql():
    with pytest.raises(BadInput):
        literal("AAPL'\n; DROP DATABASE stocks")


def test_delete_takes_only_matching_series_within_inclusive_bounds(storage, bucket):
    storage.write(bucket, pd.concat([bars("AAPL", n=5), bars("MSFT", n=5)]), PRICES)
    days = bars(n=5).index
    storage.delete(bucket, "prices", {"symbol": "AAPL"}, until=days[1])
    storage.delete(bucket, "prices", {"symbol": "AAPL"}, since=days[4])
    assert list(select_prices(storage, bucket, "AAPL").index) == list(days[2:4])
    assert list(select_prices(storage, bucket, "MSFT").index) == list(days)
    storage.delete(bucket, "prices", {"symbol": "AAPL", "interval": "daily"})
    assert select_prices(storage, bucket, "AAPL").empty
    assert len(select_prices(storage, bucket, "MSFT")) == 5


def test_buckets_list_and_create(storage, bucket):
    other = bucket + "_b"
    assert other not in storage.list_buckets()
    assert storage.create_bucket(other) is True
    assert storage.create_bucket(other) is False
    names = storage.list_buckets()
    assert {bucket, other} <= set(names)
    assert not {"_internal", "_monitoring", "_tasks"} & set(names)
    policies = storage.execute(other, f"SHOW RETENTION POLICIES ON {ident(other)}")["series"][0]
    assert (
        dict(zip(policies["columns"], policies["values"][0], strict=True))["shardGroupDuration"]
        == "8736h0m0s"
    )


def test_generation_is_read_from_ping(storage):
    assert storage.generation == 1


def test_missing_bucket_is_bucket_not_found(storage, bucket):
    with pytest.raises(BucketNotFound) as caught:
        storage.write(bucket + "_missing", bars(), PRICES)
    assert caught.value.status == 422
    with pytest.raises(BucketNotFound):
        storage.query(bucket + "_missing", 'SELECT * FROM "prices"')


@pytest.mark.parametrize("statements", [1, 2, 3])
def test_statements_on_a_missing_bucket_are_bucket_not_found(storage, bucket, statements):
    """InfluxDB 1.6 answers several statements on a missing database with one "not executed"."""
    with pytest.raises(BucketNotFound):
        storage.execute_many(['SELECT * FROM "prices"'] * statements, bucket + "_missing")


def test_a_statement_refused_before_others_is_refused_not_a_missing_bucket(storage, bucket):
    with pytest.raises(QueryRefused, match="InfluxDB refused a statement"):
        storage.execute_many(['SELECT nope( FROM "prices"', 'SELECT * FROM "prices"'], bucket)


def test_a_refused_read_is_refused_in_influxdbs_words(storage, bucket):
    """A SELECT InfluxDB cannot parse is its 400: QueryRefused saying so, never a crash."""
    with pytest.raises(QueryRefused) as caught:
        storage.query(bucket, 'SELECT nope( FROM "prices"')
    assert caught.value.message.startswith("InfluxDB refused a query: ")
    assert "error parsing query" in caught.value.message


def test_missing_ok_reads_a_missing_bucket_as_an_empty_typed_frame(storage, bucket):
    empty = storage.query(bucket + "_missing", 'SELECT * FROM "prices"', PRICES, missing_ok=True)
    assert empty.empty and list(empty.columns) == list(PRICES.columns)
    assert str(empty["close"].dtype) == "float64" and str(empty.index.tz) == "UTC"


def test_field_type_conflict_is_a_refused_write(storage, bucket):
    storage.write(bucket, bars(n=1), PRICES)
    conflicting = bars(n=1).assign(volume=1.5)
    with pytest.raises(BadInput) as caught:
        storage.write(bucket, conflicting, PRICES)
    assert caught.value.status == 400


def test_string_fields_with_commas_quotes_and_newlines_round_trip(storage, bucket):
    error = 'provider said: "slow down", then\nclosed'
    run = pd.DataFrame(
        {
            "function": ["fetch"],
            "status": ["502"],
            "symbol": ["IBM"],
            "points": [0],
            "seconds": [0.25],
            "error": [error],
        },
        index=pd.DatetimeIndex([pd.Timestamp("2026-11-27T10:00:00Z")], name="time"),
    )
    storage.write(bucket, run, RUNS, precision="ms")
    read = storage.query(bucket, 'SELECT * FROM "runs"', RUNS)
    assert read["error"].iloc[0] == error
    assert read["points"].iloc[0] == 0


def test_unreachable_influxdb_is_storage_unavailable_and_writes_nothing(storage, bucket):
    closed = InfluxClient(InfluxSettings(url="http://127.0.0.1:9", timeout_seconds=1))
    with pytest.raises(StorageUnavailable) as caught:
        closed.write(bucket, bars(), PRICES)
    assert caught.value.status == 503
    assert select_prices(storage, bucket, "AAPL").empty


def test_stopped_server_is_storage_unavailable(tmp_path):
    from devstack.influxd import InfluxServer

    server = InfluxServer(tmp_path).start()
    store = InfluxClient(InfluxSettings(url=server.url, timeout_seconds=2))
    store.create_bucket("b")
    server.stop()
    with pytest.raises(StorageUnavailable):
        store.write("b", bars(), PRICES)
    with pytest.raises(StorageUnavailable, match=r"^InfluxDB is unreachable; retry later\.$"):
        store.list_buckets()


def test_a_restarted_server_is_reached_again_over_a_new_connection(tmp_path):
    """The kept-alive connection dies with the server; the next call opens a new one, once."""
    from devstack.influxd import InfluxServer

    server = InfluxServer(tmp_path).start()
    store = InfluxClient(InfluxSettings(url=server.url, timeout_seconds=10))
    store.create_bucket("b")
    store.write("b", bars(n=3), PRICES)
    server.stop()
    server = InfluxServer(tmp_path, server.port).start()
    try:
        assert len(select_prices(store, "b", "AAPL")) == 3
        store.write("b", bars(n=5), PRICES)
        assert store.select("b", ['SELECT count("close") FROM "prices"'])[0][0].values[0][1] == 5
    finally:
        server.stop()


def test_token_auth_header_and_v1_credentials(storage):
    token = InfluxClient(InfluxSettings(token="secret-token"))
    assert token.transport.headers["Authorization"] == "Token secret-token"
    user = InfluxClient(InfluxSettings(username="u", password="p"))
    assert user.transport.params == {"u": "u", "p": "p"}
    assert "secret-token" not in repr(token.settings)


def test_a_tag_ending_in_a_backslash_is_refused_before_any_point_is_sent(storage, bucket):
    frame = pd.concat([bars(symbol="GOOD", n=2), bars(symbol="BAD\\", n=1)])
    with pytest.raises(WriteRefused, match="backslash"):
        storage.write(bucket, frame, PRICES)
    assert select_prices(storage, bucket, "GOOD").empty


def test_select_answers_each_statements_series_as_rows_in_one_request(storage, bucket):
    storage.write(bucket, pd.concat([bars(symbol="AAPL", n=3), bars(symbol="IBM", n=2)]), PRICES)
    last, counts = storage.select(
        bucket,
        [
            'SELECT last("close") FROM "prices" WHERE "symbol" = \'IBM\'',
            'SELECT count("close") FROM "prices" GROUP BY "symbol"',
        ],
    )
    assert len(last) == 1 and last[0].columns == ["time", "last"]
    assert isinstance(last[0].values[0][0], int)  # milliseconds since the epoch
    assert {s.tags["symbol"]: s.column("count")[0] for s in counts} == {"AAPL": 3, "IBM": 2}


def test_select_from_a_missing_bucket_is_not_found_or_nothing_if_asked(storage):
    statements = ['SELECT * FROM "prices"', 'SELECT * FROM "runs"']
    with pytest.raises(BucketNotFound):
        storage.select("no_such_bucket", statements)
    assert storage.select("no_such_bucket", statements, missing_ok=True) == [[], []]

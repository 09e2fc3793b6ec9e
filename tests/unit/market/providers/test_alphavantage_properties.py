"""Property tests of the Alpha Vantage parser: bars or a typed error, whatever the body.

A body that is not rows must end as `ProviderFailed` (502) before anything is written; rows that
are impossible are dropped at the provider boundary (`rows.check`). So the parser may answer only
contract bars (finite prices above zero, high not below low; whole volumes within int64; UTC
nanosecond times from 1900 to tomorrow) or a `StocksError`. Any other exception would be a 500.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.contract.errors import ProviderFailed, StocksError
from shared.market.providers.alphavantage import parse_bars, read_bars, refusal
from shared.market.providers.rows import EARLIEST, MAX_VOLUME, check
from tests.support.fakes.alphavantage import assert_bars

INTERVALS = st.sampled_from(["daily", "5min"])
HEADER = "timestamp,open,high,low,close,volume"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
number_texts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["", "nan", "inf", "-inf", "Infinity", "1e400", "-0", "0x10", "1_0", " 5", "x"]
    ),
)
stamp_texts = st.one_of(
    st.datetimes(min_value=pd.Timestamp("0001-01-01").to_pydatetime()).map(
        lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.dates().map(str),
    st.sampled_from(["3000-01-01", "2262-04-11 23:55:00", "1677-09-21", "", "2026-13-01", "now"]),
    st.text(max_size=20),
)


def parsed_or_typed_error(body: bytes, interval: str) -> pd.DataFrame | None:
    """The bars `body` gives, checked against the contract, or None after a typed error."""
    try:
        frame = parse_bars(body, interval)
    except StocksError as error:
        assert 400 <= error.status < 600 and error.status != 500
        return None
    assert_contract(frame)
    return frame


def assert_contract(frame: pd.DataFrame) -> None:
    assert_bars(frame)
    prices = frame[["open", "high", "low", "close"]].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0).all()
    assert (frame["high"] >= frame["low"]).all()
    assert ((frame["volume"] >= 0) & (frame["volume"] <= MAX_VOLUME)).all()
    if len(frame):
        assert frame.index.min() >= EARLIEST
        assert frame.index.max() <= pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=2)


@SETTINGS
@given(body=st.binary(max_size=300), interval=INTERVALS)
@example(body=b"{" + b'"a":' * 5 + b"[" * 100_000, interval="daily")
@example(body=b"[" * 100_000, interval="daily")
def test_any_bytes_give_bars_or_a_typed_error(body: bytes, interval: str) -> None:
    parsed_or_typed_error(body, interval)


@SETTINGS
@given(
    rows=st.lists(st.tuples(stamp_texts, *[number_texts] * 5), max_size=6),
    interval=INTERVALS,
)
@example(rows=[("", "0.0", "0.0", "0.0", "0.0", "0")], interval="daily")  # a bar without a time
def test_any_csv_cells_give_bars_or_a_typed_error(rows: list[tuple[str, ...]], interval: str):
    body = "\n".join([HEADER, *(",".join(row) for row in rows)]).encode()
    parsed_or_typed_error(body, interval)


@SETTINGS
@given(
    bars=st.dictionaries(
        stamp_texts,
        st.dictionaries(
            st.sampled_from(["1. open", "2. high", "3. low", "4. close", "5. volume"]),
            json_values | number_texts,
            max_size=5,
        )
        | json_values,
        max_size=4,
    ),
    zone=json_values | st.sampled_from(["", "US/Eastern", "UTC", "Asia/Kolkata", "5", "Mars/Base"]),
    interval=INTERVALS,
)
def test_any_json_time_series_gives_bars_or_a_typed_error(bars, zone, interval: str) -> None:
    document = {"Meta Data": {"6. Time Zone": zone}, f"Time Series ({interval})": bars}
    parsed_or_typed_error(json.dumps(document).encode(), interval)


@SETTINGS
@given(document=st.dictionaries(st.text(max_size=15), json_values, max_size=4))
def test_any_refusal_document_maps_to_a_typed_error(document: dict) -> None:
    assert isinstance(refusal(document, "daily", "K3Y"), StocksError)


valid_prices = st.floats(
    min_value=0, max_value=1e12, exclude_min=True, allow_nan=False, allow_infinity=False
)
valid_bars = st.lists(
    st.tuples(
        st.dates(min_value=EARLIEST.date(), max_value=pd.Timestamp.now().date()),
        valid_prices,
        valid_prices,
        valid_prices,
        valid_prices,
        st.integers(min_value=0, max_value=MAX_VOLUME),
    ).map(lambda b: (b[0], b[1], max(b[2], b[3]), min(b[2], b[3]), b[4], b[5])),
    min_size=1,
    max_size=8,
    unique_by=lambda bar: bar[0],
)


@SETTINGS
@given(bars=valid_bars, as_json=st.booleans())
def test_valid_daily_bars_read_back_exactly(bars: list[tuple], as_json: bool) -> None:
    if as_json:
        series = {
            str(day): dict(
                zip(["1. open", "2. high", "3. low", "4. close"], map(repr, p), strict=True)
            )
            | {"5. volume": str(volume)}
            for day, *p, volume in bars
        }
        body = json.dumps({"Meta Data": {}, "Time Series (Daily)": series}).encode()
    else:
        lines = [",".join([str(day), *map(repr, p), str(volume)]) for day, *p, volume in bars]
        body = "\n".join([HEADER, *lines]).encode()

    frame = parsed_or_typed_error(body, "daily")

    assert frame is not None
    expected = sorted(bars)
    assert [t.date() for t in frame.index] == [bar[0] for bar in expected]
    assert frame["volume"].tolist() == [bar[5] for bar in expected]
    for column, position in (("open", 1), ("high", 2), ("low", 3), ("close", 4)):
        assert frame[column].tolist() == [bar[position] for bar in expected]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("2026-01-02,1,1,1,1,18446744073709551616", "volume"),
        ("2026-01-02,1,1,1,1,-5", "volume"),
        ("2026-01-02,1,1,1,1,5.5", "volume"),
        ("2026-01-02,1,1,1,1,", "volume"),
        ("2026-01-02,1,1,1,inf,5", "infinite"),
        ("2026-01-02,1,1,1,1e400,5", "infinite"),
        ("2026-01-02,1,1,-1,1,5", "negative"),
        ("2026-01-02,1,1,0,1,5", "zero"),
        ("2026-01-02,1,1,2,1,5", "high below its low"),
        ("2026-01-02,1,1,1,x,5", "not a number"),
        ("3000-01-01,1,1,1,1,5", "dated after"),
        ("2262-04-11,1,1,1,1,5", "dated after"),
        ("9999-12-31,1,1,1,1,5", "dated after"),
        ("1850-01-02,1,1,1,1,5", "before 1900"),
        ("1600-01-02,1,1,1,1,5", "before 1900"),
        ("2026-13-45,1,1,1,1,5", "readable date"),
        (",1,1,1,1,5", "readable date"),
    ],
)
def test_impossible_csv_rows_are_dropped_and_counted(row: str, words: str) -> None:
    good = "2026-01-05,1,2,0.5,1.5,7"
    checked = check(read_bars(f"{HEADER}\n{row}\n{good}\n".encode(), "daily"))
    assert checked.bars.index.tolist() == [pd.Timestamp("2026-01-05", tz="UTC")]
    assert len(checked.dropped) == 1
    assert words in checked.dropped.summary() and words in checked.dropped.examples[0]


@pytest.mark.parametrize("zone", ["", "  ", None, 5, 5.5, [], {}, True, "5", "Mars/Base"])
def test_intraday_json_without_a_real_time_zone_is_a_provider_failure(zone: object) -> None:
    bar = {"1. open": "1", "2. high": "1", "3. low": "1", "4. close": "1", "5. volume": "5"}
    document = {
        "Meta Data": {"6. Time Zone": zone},
        "Time Series (5min)": {"2026-01-02 10:00:00": bar},
    }
    with pytest.raises(ProviderFailed) as caught:
        parse_bars(json.dumps(document).encode(), "5min")
    assert "time zone" in caught.value.message


def test_a_zone_stated_by_name_is_applied() -> None:
    bar = {"1. open": "1", "2. high": "1", "3. low": "1", "4. close": "1", "5. volume": "5"}
    document = {
        "Meta Data": {"6. Time Zone": "UTC"},
        "Time Series (5min)": {"2026-01-02 10:00:00": bar},
    }
    frame = parse_bars(json.dumps(document).encode(), "5min")
    assert frame.index[0] == pd.Timestamp("2026-01-02 10:00", tz="UTC")
    assert not math.isnan(frame["close"].iloc[0])

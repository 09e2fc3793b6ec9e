"""InfluxDB's CSV answers as typed frames."""

from __future__ import annotations

import pandas as pd
import pytest

from shared.contract.errors import Unprocessable
from shared.contract.schema import DEAD_LETTERS, PRICES, RUNS, WATCHLIST
from shared.influx.frames import csv_frame, empty_frame, parse_tags, typed


def test_an_empty_frame_has_the_measurements_columns_and_types():
    frame = empty_frame(PRICES)
    assert list(frame.columns) == ["symbol", "interval", "open", "high", "low", "close", "volume"]
    assert frame.empty and str(frame.index.tz) == "UTC" and frame.index.name == "time"
    assert frame["close"].dtype == "float64" and frame["volume"].dtype == "Int64"
    assert frame["symbol"].dtype == "string"


def test_an_empty_frame_of_no_measurement():
    frame = empty_frame(None)
    assert frame.empty and list(frame.columns) == [] and str(frame.index.tz) == "UTC"


PRICES_CSV = (
    b"name,tags,time,close,volume\n"
    b"prices,,1764081000000,101.5,1200\n"
    b"prices,,1764167400000,102,1300\n"
)


def test_csv_answers_become_typed_frames_indexed_by_utc_time():
    frame = csv_frame(PRICES_CSV, PRICES)
    assert list(frame.columns) == ["close", "volume"]
    assert list(frame.index) == [
        pd.Timestamp("2025-11-25T14:30:00Z"),
        pd.Timestamp("2025-11-26T14:30:00Z"),
    ]
    assert frame.index.name == "time"
    assert frame["close"].dtype == "float64" and frame["volume"].dtype == "Int64"
    assert frame["close"].tolist() == [101.5, 102.0] and frame["volume"].tolist() == [1200, 1300]


def test_group_by_tags_become_string_columns():
    content = (
        b"name,tags,time,close\n"
        b'prices,"symbol=BRK\\ B,interval=daily",1764081000000,1.5\n'
        b'prices,"symbol=IBM,interval=daily",1764081000000,2.5\n'
    )
    frame = csv_frame(content, PRICES)
    assert frame["symbol"].tolist() == ["BRK B", "IBM"]
    assert frame["interval"].tolist() == ["daily", "daily"]
    assert frame["symbol"].dtype == "string" and "tags" not in frame.columns


def test_show_results_without_time_keep_their_columns():
    frame = csv_frame(b"name,tags,name\ndatabases,,stocks\ndatabases,,other\n", None)
    assert "time" not in frame.columns and "tags" not in frame.columns and len(frame) == 2


def test_empty_strings_and_booleans_follow_the_schema():
    content = (
        b"name,tags,time,tracked,bucket,model\n"
        b"watchlist,,1764081000000,true,stocks,auto\n"
        b"watchlist,,1764081000001,false,,naive\n"
    )
    frame = csv_frame(content, WATCHLIST)
    assert frame["tracked"].tolist() == [True, False] and frame["tracked"].dtype == "bool"
    assert frame["bucket"].dtype == "string" and pd.isna(frame["bucket"].iloc[1])


def test_numbers_in_string_fields_stay_text():
    content = b"name,tags,time,event_id,code,data\ndead_letters,,1764081000000,007,502,{}\n"
    frame = csv_frame(content, DEAD_LETTERS)
    assert frame["event_id"].iloc[0] == "007" and frame["code"].iloc[0] == 502


def test_typed_leaves_unknown_measurements_alone():
    frame = pd.DataFrame({"x": ["1"]})
    assert typed(frame, None) is frame
    assert typed(pd.DataFrame({"seconds": ["0.5"], "points": ["3"]}), RUNS).dtypes.to_dict() == {
        "seconds": "float64",
        "points": "Int64",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("symbol=IBM,interval=daily", {"symbol": "IBM", "interval": "daily"}),
        ("symbol=BRK\\ B", {"symbol": "BRK B"}),
        ("k=a\\,b,j=c\\=d", {"k": "a,b", "j": "c=d"}),
        ("k=", {"k": ""}),
        ("", {}),
        ("k=a=b", {"k": "a=b"}),
    ],
)
def test_parse_tags(text, expected):
    assert parse_tags(text) == expected


def test_a_stored_value_not_of_its_fields_type_is_unprocessable():
    content = b"name,tags,time,close,volume\nprices,,1764081000000,101.5,1.5\n"
    with pytest.raises(Unprocessable) as error:
        csv_frame(content, PRICES)
    assert error.value.status == 422
    assert error.value.message == (
        "The stored field 'volume' of prices holds values that are not whole numbers, "
        "as its schema says it must."
    )
    with pytest.raises(Unprocessable) as error:
        csv_frame(b"name,tags,time,close\nprices,,1764081000000,abc\n", PRICES)
    assert "'close' of prices holds values that are not numbers," in error.value.message


def test_rows_of_several_series_each_get_their_own_tags():
    content = (
        b"name,tags,time,close\n"
        b'prices,"symbol=A,interval=daily",1764081000000,1\n'
        b'prices,"symbol=B,interval=5min",1764081000000,2\n'
        b'prices,"symbol=A,interval=daily",1764167400000,3\n'
    )
    frame = csv_frame(content, PRICES)
    assert frame["symbol"].tolist() == ["A", "B", "A"]
    assert frame["interval"].tolist() == ["daily", "5min", "daily"]
    assert frame["close"].tolist() == [1.0, 2.0, 3.0]


def test_words_pandas_would_read_as_missing_stay_text():
    content = (
        b"name,tags,time,event_id,subscriber,error,data\n"
        b"dead_letters,,1764081000000,NA,null,NaN,None\n"
    )
    frame = csv_frame(content, DEAD_LETTERS)
    row = frame.iloc[0]
    assert (row["event_id"], row["subscriber"], row["error"], row["data"]) == (
        "NA",
        "null",
        "NaN",
        "None",
    )


def test_an_answer_without_a_tags_column():
    frame = csv_frame(b"name,time,close\nprices,1764081000000,2.5\n", PRICES)
    assert frame["close"].tolist() == [2.5] and frame.index.name == "time"

"""Adjusted prices after incremental fetches match each provider's own (issue 19).

A history is fetched up to before a dividend (or a split), then again with the full history; the
stored adjusted closes (`prices_adjusted`, and what readers adjust at read time) must end within
1e-6 of the provider's own adjusted closes rescaled to the same anchor. The provider's adjusted
closes are computed here by its convention, independently of `shared.market.actions`: walking
back from the newest bar, bars before a split's ex-date are divided by its ratio and bars before
a dividend's ex-date multiplied by close(ex) / (close(ex) + amount).

fetch runs in process against a real influxd and the local Tiingo and Alpha Vantage servers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from shared.contract.payloads import FetchRequest
from shared.contract.schema import PRICES_ADJUSTED
from shared.market.providers.alphavantage import AlphaVantageProvider
from shared.market.providers.alphavantage_actions import AlphaVantageActions
from shared.market.providers.tiingo import TiingoProvider
from shared.store import prices
from shared.usecases.fetch import fetch

TOLERANCE = 1e-6
DAYS = pd.bdate_range("2023-10-02", "2024-08-30")
DIVIDENDS = {  # IBM's ex-dates and amounts in 2023-24
    pd.Timestamp("2023-11-09"): 1.66,
    pd.Timestamp("2024-02-08"): 1.66,
    pd.Timestamp("2024-05-09"): 1.67,
    pd.Timestamp("2024-08-08"): 1.67,
}
DECLARED = {  # when each was declared: Alpha Vantage lists a dividend from then on
    pd.Timestamp("2023-11-09"): pd.Timestamp("2023-10-31"),
    pd.Timestamp("2024-02-08"): pd.Timestamp("2024-01-30"),
    pd.Timestamp("2024-05-09"): pd.Timestamp("2024-04-30"),
    pd.Timestamp("2024-08-08"): pd.Timestamp("2024-07-30"),
}
SPLIT = (pd.Timestamp("2024-06-10"), 10.0)


def raw_bars(split: tuple[pd.Timestamp, float] | None = None) -> pd.DataFrame:
    """Raw daily bars as traded: a random walk, earlier bars `ratio` times higher before a split."""
    rng = np.random.default_rng(19)
    close = 160.0 * np.exp(np.cumsum(rng.normal(0.0004, 0.012, len(DAYS))))
    if split is not None:
        close = np.where(split[0] > DAYS, close * split[1], close)
    close = np.round(close, 2)
    open_ = np.round(close * np.exp(rng.normal(0, 0.004, len(DAYS))), 2)
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.5,
            "low": np.minimum(open_, close) - 0.5,
            "close": close,
            "volume": rng.integers(2_000_000, 9_000_000, len(DAYS)),
        },
        index=DAYS,
    )


def provider_adjusted(raw: pd.DataFrame, splits: dict, dividends: dict) -> pd.Series:
    """The provider's adjusted closes, by its convention, walking back from the newest bar."""
    factor, adjusted = 1.0, {}
    for day in raw.index[::-1]:
        adjusted[day] = raw.at[day, "close"] * factor
        if day in splits:
            factor /= splits[day]
        if day in dividends:
            ex_close = raw.at[day, "close"]
            factor *= ex_close / (ex_close + dividends[day])
    return pd.Series(adjusted).sort_index()


def tiingo_csv(raw: pd.DataFrame, splits: dict, dividends: dict) -> bytes:
    adjusted = provider_adjusted(raw, splits, dividends)
    scale = adjusted / raw["close"]
    lines = ["date,close,high,low,open,volume,adjClose,adjHigh,adjLow,adjOpen,adjVolume,"
             "divCash,splitFactor"]  # fmt: skip
    for day, bar in raw.iterrows():
        s = scale[day]
        lines.append(
            f"{day:%Y-%m-%d},{bar.close},{bar.high},{bar.low},{bar.open},{bar.volume},"
            f"{bar.close * s!r},{bar.high * s!r},{bar.low * s!r},{bar.open * s!r},{bar.volume},"
            f"{dividends.get(day, 0.0)},{splits.get(day, 1.0)}"
        )
    return ("\n".join(lines) + "\n").encode()


def rows_until(body: bytes, cut: pd.Timestamp) -> bytes:
    """The header and the rows of a Tiingo CSV dated up to `cut`."""
    lines = body.splitlines()
    return b"".join(line + b"\n" for line in lines[: 1 + int((cut >= DAYS).sum())])


def av_csv(raw: pd.DataFrame) -> bytes:
    """TIME_SERIES_DAILY's CSV (raw bars, newest first), the latest 100 as `compact` gives."""
    lines = ["timestamp,open,high,low,close,volume"]
    for day, bar in raw.iloc[::-1].iloc[:100].iterrows():
        lines.append(f"{day:%Y-%m-%d},{bar.open},{bar.high},{bar.low},{bar.close},{bar.volume}")
    return ("\r\n".join(lines) + "\r\n").encode()


def av_dividends(until: pd.Timestamp) -> bytes:
    rows = [
        {"ex_dividend_date": f"{ex:%Y-%m-%d}", "declaration_date": f"{DECLARED[ex]:%Y-%m-%d}",
         "record_date": "None", "payment_date": "None", "amount": f"{amount:.4f}"}
        for ex, amount in sorted(DIVIDENDS.items(), reverse=True) if DECLARED[ex] <= until
    ]  # fmt: skip
    return json.dumps({"symbol": "IBM", "data": rows}).encode()


def av_splits(until: pd.Timestamp, split: tuple[pd.Timestamp, float] | None) -> bytes:
    rows = []
    if split is not None and split[0] <= until:
        rows.append({"effective_date": f"{split[0]:%Y-%m-%d}", "split_factor": f"{split[1]:.4f}"})
    return json.dumps({"symbol": "IBM", "data": rows}).encode()


def stored_adjusted(storage, bucket: str) -> pd.Series:
    frame = storage.query(bucket, 'SELECT "close" FROM "prices_adjusted"', PRICES_ADJUSTED)
    return frame["close"].set_axis(frame.index.tz_localize(None)).sort_index()


def assert_matches_the_provider(storage, bucket, expected: pd.Series) -> None:
    """Stored adjusted closes, and those adjusted at read time, equal the provider's rescaled to
    the same anchor (the newest bar) within `TOLERANCE`."""
    ours = stored_adjusted(storage, bucket)
    theirs = expected.loc[ours.index]
    np.testing.assert_allclose(ours / ours.iloc[-1], theirs / theirs.iloc[-1], rtol=TOLERANCE)
    read = prices.newest(storage, bucket, "IBM", "daily", ("close",), 5_000)["close"]
    np.testing.assert_allclose(read.to_numpy(), ours.to_numpy(), rtol=1e-12)


def test_tiingo_a_dividend_after_the_first_fetch(tiingo, tiingo_settings, storage, bucket):
    raw = raw_bars()
    body = tiingo_csv(raw, {}, DIVIDENDS)
    cut = pd.Timestamp("2024-04-26")
    tiingo.route("ibm", rows_until(body, cut))
    provider = TiingoProvider(tiingo_settings)
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket))
    tiingo.route("ibm", body)  # the fake answers whole; the provider keeps what is newer
    second = fetch(storage, provider, FetchRequest("IBM", "daily", bucket))
    assert second.points == (cut < DAYS).sum() and second.dropped == 0
    assert_matches_the_provider(storage, bucket, provider_adjusted(raw, {}, DIVIDENDS))


def test_tiingo_a_split_and_a_dividend_after_the_first_fetch(
    tiingo, tiingo_settings, storage, bucket
):
    raw = raw_bars(SPLIT)
    splits = {SPLIT[0]: SPLIT[1]}
    body = tiingo_csv(raw, splits, DIVIDENDS)
    cut = pd.Timestamp("2024-05-31")
    tiingo.route("ibm", rows_until(body, cut))
    provider = TiingoProvider(tiingo_settings)
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket))
    tiingo.route("ibm", body)
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket))
    assert_matches_the_provider(storage, bucket, provider_adjusted(raw, splits, DIVIDENDS))


def av_round(alphavantage, raw, until, split=None) -> None:
    alphavantage.route(av_csv(raw[raw.index <= until]), function="TIME_SERIES_DAILY")
    alphavantage.route(av_dividends(until), function="DIVIDENDS")
    alphavantage.route(av_splits(until, split), function="SPLITS")


def test_alphavantage_a_dividend_after_the_first_fetch_is_listed_in_time(
    alphavantage, av_settings, storage, bucket
):
    raw = raw_bars()
    provider, lister = AlphaVantageProvider(av_settings), AlphaVantageActions(av_settings)
    av_round(alphavantage, raw, pd.Timestamp("2024-04-26"))
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    av_round(alphavantage, raw, raw.index[-1])
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    functions = [q["function"] for q in alphavantage.queries]
    assert functions.count("DIVIDENDS") == 2  # the first fetch, then the dividend due in May
    full = raw[raw.index >= stored_adjusted(storage, bucket).index.min()]
    assert_matches_the_provider(storage, bucket, provider_adjusted(full, {}, DIVIDENDS))


def test_alphavantage_no_listing_when_none_is_due(alphavantage, av_settings, storage, bucket):
    raw = raw_bars()
    provider, lister = AlphaVantageProvider(av_settings), AlphaVantageActions(av_settings)
    av_round(alphavantage, raw, pd.Timestamp("2024-03-01"))
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    av_round(alphavantage, raw, pd.Timestamp("2024-03-22"))  # the next one is due in May
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    assert [q["function"] for q in alphavantage.queries].count("DIVIDENDS") == 1


def test_alphavantage_a_split_after_the_first_fetch(alphavantage, av_settings, storage, bucket):
    raw = raw_bars(SPLIT)
    provider, lister = AlphaVantageProvider(av_settings), AlphaVantageActions(av_settings)
    av_round(alphavantage, raw, pd.Timestamp("2024-05-31"), SPLIT)
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    av_round(alphavantage, raw, raw.index[-1], SPLIT)
    fetch(storage, provider, FetchRequest("IBM", "daily", bucket), lister)
    full = raw[raw.index >= stored_adjusted(storage, bucket).index.min()]
    splits = {SPLIT[0]: SPLIT[1]}
    assert_matches_the_provider(storage, bucket, provider_adjusted(full, splits, DIVIDENDS))

"""Alpha Vantage: daily and intraday bars from `TIME_SERIES_DAILY` and `TIME_SERIES_INTRADAY`.

Alpha Vantage answers HTTP 200 to everything, so the body tells the outcome: a CSV with the
`timestamp,open,high,low,close,volume` header or a JSON `Time Series (...)` object is data; a JSON
`Error Message`, `Note` or `Information` is a refusal, classified here into the contract's typed
errors. Messages are this module's own sentences: Alpha Vantage's texts (and request URLs) can
carry the API key, so they are never echoed unredacted. This module reads the answer's structure
(a body that is not rows is `ProviderFailed`); the cells are checked, and impossible rows dropped,
at the provider boundary (`rows.check`).
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import requests

from shared.contract.config import ProviderSettings
from shared.contract.errors import (
    ConfigError,
    ProviderFailed,
    RateLimited,
    StocksError,
    Unprocessable,
)
from shared.market.providers import transport
from shared.market.providers.base import COLUMNS, as_utc, check_request
from shared.market.providers.rows import Rows, Source, check

DAILY = "TIME_SERIES_DAILY"
INTRADAY = "TIME_SERIES_INTRADAY"
COMPACT_BARS = 100
CSV_HEADER = b"timestamp,open,high,low,close,volume"
JSON_FIELDS = {
    "1. open": "open",
    "2. high": "high",
    "3. low": "low",
    "4. close": "close",
    "5. volume": "volume",
}
DEFAULT_ZONE = "America/New_York"
"""The zone of bars whose body states none (CSV): Alpha Vantage's `US/Eastern`."""
ZONE_ALIASES = {"US/Eastern": "America/New_York"}  # legacy links some tzdata builds omit
PREMIUM_PARAMETER = re.compile(r"([A-Za-z_]+=[A-Za-z0-9_]+) parameter value is a premium feature")
PER_MINUTE_HINTS = ("per minute", "per second", "spreading out", "burst")
RATE_HINTS = ("rate limit", "call frequency", "requests per day", "calls per day")


class AlphaVantageProvider(Source):
    """Bars from Alpha Vantage over one pooled `requests.Session`."""

    name = "alphavantage"

    def __init__(self, settings: ProviderSettings, meter: transport.Meter | None = None) -> None:
        if not settings.alphavantage_api_key:
            raise ConfigError("The Alpha Vantage provider needs ALPHAVANTAGE_API_KEY.")
        self.settings = settings
        self.meter = meter
        self.session = requests.Session()

    def rows(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> Rows:
        """Rows of `symbol`, asking Alpha Vantage only for what `since` lacks."""
        check_request(interval, month)
        body = self._get(self._query(symbol, interval, since=since, month=month), symbol)
        return read_bars(body, interval, secret=self.settings.alphavantage_api_key, symbol=symbol)

    def _query(
        self, symbol: str, interval: str, *, since: pd.Timestamp | None, month: str | None
    ) -> dict[str, str]:
        """The query parameters (without the key) for one request."""
        if interval == "daily":
            return {
                "function": DAILY,
                "symbol": symbol,
                "datatype": "csv",
                "outputsize": self._daily_outputsize(since),
            }
        params = {
            "function": INTRADAY,
            "symbol": symbol,
            "interval": interval,
            "datatype": "csv",
            "outputsize": "full",
            "extended_hours": "false",
        }
        if month is not None:
            params["month"] = month
        return params

    def _daily_outputsize(self, since: pd.Timestamp | None) -> str:
        """`compact` (the latest 100 bars) when it covers `since`; else `full` for premium keys."""
        today = pd.Timestamp.now(tz="UTC").normalize()
        if since is not None and as_utc(since) >= today - pd.offsets.BDay(COMPACT_BARS):
            return "compact"  # at most 100 business days, so at most 100 trading days, are missing
        return "full" if self.settings.alphavantage_premium else "compact"

    def _get(self, params: dict[str, str], symbol: str) -> bytes:
        """The raw body Alpha Vantage answers; transport failures become `ProviderFailed`."""
        params = {**params, "apikey": self.settings.alphavantage_api_key or ""}
        response = transport.get(
            self.session,
            "Alpha Vantage",
            self.settings.alphavantage_url,
            params=params,
            timeout=self.settings.timeout_seconds,
            meter=self.meter,
            symbol=symbol,
            kind=params.get("interval", params["function"]),
        )
        if response.status_code != 200:
            raise ProviderFailed(f"Alpha Vantage answered HTTP {response.status_code}.")
        return response.content


def parse_bars(
    body: bytes,
    interval: str,
    *,
    since: pd.Timestamp | None = None,
    secret: str | None = None,
    symbol: str = "the symbol",
) -> pd.DataFrame:
    """Contract bars from an Alpha Vantage body, impossible rows dropped, or the typed error."""
    return check(read_bars(body, interval, secret=secret, symbol=symbol), since).bars


def read_bars(
    body: bytes, interval: str, *, secret: str | None = None, symbol: str = "the symbol"
) -> Rows:
    """The rows of an Alpha Vantage body (CSV or JSON), not checked, or the typed error it
    stands for. `secret` (the API key) is redacted from any provider text a message quotes."""
    now = pd.Timestamp.now(tz="UTC")
    text = body.lstrip()
    if not text:
        raise ProviderFailed("Alpha Vantage answered an empty body.")
    if text.startswith(b"{"):
        return Rows(_from_json(text, interval, secret, symbol), now)
    if text.startswith(CSV_HEADER):
        return Rows(_from_csv(text, interval), now)
    if text.startswith(b"<"):
        raise ProviderFailed("Alpha Vantage answered an HTML page instead of data.")
    raise ProviderFailed("Alpha Vantage answered something that is neither CSV nor JSON.")


def _from_csv(text: bytes, interval: str) -> pd.DataFrame:
    try:  # every cell as text: the boundary decides what a value is, pandas never guesses
        frame = pd.read_csv(
            io.BytesIO(text),
            usecols=["timestamp", *COLUMNS],
            dtype=str,
            keep_default_na=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        raise ProviderFailed("Alpha Vantage answered a truncated or malformed CSV.") from None
    if not text.endswith(b"\n") and len(frame) and (frame.iloc[-1] == "").any():
        raise ProviderFailed("Alpha Vantage answered a truncated CSV (its last row is cut).")
    return _stamped(frame[list(COLUMNS)], frame["timestamp"], interval, DEFAULT_ZONE)


def _from_json(text: bytes, interval: str, secret: str | None, symbol: str) -> pd.DataFrame:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise ProviderFailed("Alpha Vantage answered truncated or malformed JSON.") from None
    if not isinstance(document, dict):
        raise ProviderFailed("Alpha Vantage answered JSON that is not an object.")
    series_key = next((key for key in document if key.startswith("Time Series")), None)
    if series_key is None:
        raise refusal(document, interval, secret, symbol)
    series = document[series_key]
    if not isinstance(series, dict) or not all(isinstance(bar, dict) for bar in series.values()):
        raise ProviderFailed("Alpha Vantage answered a malformed time series.")
    stamps = list(series)
    frame = pd.DataFrame(
        {name: [series[s].get(key) for s in stamps] for key, name in JSON_FIELDS.items()},
        dtype=object,
    )
    return _stamped(frame, stamps, interval, _zone(document.get("Meta Data")))


def _zone(meta: object) -> str:
    """The time zone the metadata states (`DEFAULT_ZONE` when it states none), checked to exist."""
    zones = (
        [v for k, v in meta.items() if k.endswith("Time Zone")] if isinstance(meta, dict) else []
    )
    if not zones:
        return DEFAULT_ZONE
    zone = zones[0]
    if not isinstance(zone, str) or not zone.strip():  # null, numbers, lists: no time zone at all
        raise ProviderFailed("Alpha Vantage stated a time zone that is not a zone name.")
    zone = ZONE_ALIASES.get(zone, zone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProviderFailed("Alpha Vantage stated a time zone that does not exist.") from None
    return zone


def _stamped(frame: pd.DataFrame, stamps: Any, interval: str, zone: str) -> pd.DataFrame:
    """`frame` indexed by its `stamps` in UTC (NaT where a stamp is unreadable): daily at 00:00
    UTC, intraday read as wall-clock times in `zone`."""
    texts = pd.Series(list(stamps), dtype=object)
    texts = texts.where(texts.map(lambda v: isinstance(v, str)), None)
    try:
        times = pd.DatetimeIndex(pd.to_datetime(texts, format="ISO8601", errors="coerce"))
    except (ValueError, TypeError, OverflowError):  # stamps with and without an offset
        raise ProviderFailed("Alpha Vantage answered times it does not state clearly.") from None
    if times.tz is not None:  # a stamp with an offset: Alpha Vantage states wall-clock times
        raise ProviderFailed("Alpha Vantage answered times it does not state clearly.")
    if interval == "daily":
        return frame.set_axis(times.normalize().tz_localize("UTC").rename("time"))
    readable = np.flatnonzero(~times.isna())
    order = readable[np.argsort(times[readable].asi8, kind="stable")]  # oldest first, for DST
    try:
        local = times[order].tz_localize(zone, ambiguous="infer", nonexistent="shift_forward")
    except (ValueError, TypeError, KeyError, OverflowError):
        raise ProviderFailed("Alpha Vantage answered times it does not state clearly.") from None
    unreadable = np.flatnonzero(times.isna())
    utc = local.tz_convert("UTC").append(pd.DatetimeIndex([pd.NaT] * len(unreadable), tz="UTC"))
    return frame.iloc[np.concatenate((order, unreadable))].set_axis(utc.rename("time"))


def refusal(
    document: dict[str, Any], interval: str, secret: str | None, symbol: str = "the symbol"
) -> StocksError:
    """The typed error an Alpha Vantage `Error Message` / `Note` / `Information` body stands for."""
    function = DAILY if interval == "daily" else INTRADAY
    text = " ".join(
        str(document[k]) for k in ("Error Message", "Note", "Information") if k in document
    )
    lower = text.lower()
    if any(hint in lower for hint in RATE_HINTS + PER_MINUTE_HINTS):
        if any(hint in lower for hint in PER_MINUTE_HINTS):
            return RateLimited(
                "Alpha Vantage's per-minute request limit is reached; retry in a minute.", 60
            )
        wait = _seconds_to_utc_midnight()
        return RateLimited(
            "Alpha Vantage's daily request limit for this API key is used up; it resets around "
            f"midnight UTC (in {wait} s).",
            wait,
        )
    if "apikey" in lower or "api key" in lower:
        return ProviderFailed(
            "Alpha Vantage refused the API key as invalid or missing: check ALPHAVANTAGE_API_KEY."
        )
    if "premium" in lower:
        match = PREMIUM_PARAMETER.search(text)
        feature = f"{match.group(1)} on {function}" if match else f"the {function} endpoint"
        return Unprocessable(
            f"Alpha Vantage serves {feature} only to premium API keys; this key is not premium "
            "(set ALPHAVANTAGE_PREMIUM=true only for a premium key)."
        )
    if "Error Message" in document:
        return Unprocessable(
            f"Alpha Vantage refused the call for {symbol} as invalid ({function}): "
            f"{symbol} is probably an unknown symbol."
        )
    if not text:
        return ProviderFailed("Alpha Vantage answered JSON without a time series.")
    return ProviderFailed(
        f"Alpha Vantage answered no data but a message: {_redacted(text, secret)}"
    )


def _redacted(text: str, secret: str | None, limit: int = 200) -> str:
    """Provider text safe to show: the key blanked out, the length bounded."""
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds_to_utc_midnight() -> int:
    now = pd.Timestamp.now(tz="UTC")
    return max(1, math.ceil((now.normalize() + pd.Timedelta(days=1) - now).total_seconds()))

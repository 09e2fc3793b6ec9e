"""Tiingo: daily bars, raw as traded, with the splits and dividends its rows carry.

One request (`/tiingo/daily/<ticker>/prices?startDate=...&format=csv`) returns decades of daily
rows; each row has raw and adjusted OHLCV plus `divCash` and `splitFactor`. We keep the raw bars and
turn `divCash`/`splitFactor` into corporate actions, so adjustment is computed from stored actions.
Tiingo answers its limits both as HTTP 200 with a plain-text body and as HTTP 429 with a JSON
`detail`, so refusals are classified on the body's words, not only on the status. The token travels
in the `Authorization` header and is blanked out of any provider text a message quotes.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

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
from shared.contract.schema import INTRADAY_INTERVALS
from shared.market.actions import actions_from_rows, empty_actions
from shared.market.providers import transport
from shared.market.providers.base import COLUMNS, as_utc, check_request, finish

EARLIEST = "1950-01-01"  # without a startDate Tiingo answers only the latest row
ROW_FIELDS = ("open", "high", "low", "close", "volume", "divCash", "splitFactor")
CSV_HEADER = b"date,"
HOUR_SECONDS = 3600


@dataclass(frozen=True)
class Daily:
    """What one daily request yields: raw bars and the corporate actions of the same rows."""

    bars: pd.DataFrame
    actions: pd.DataFrame


class TiingoProvider:
    """Daily bars and corporate actions from Tiingo over one pooled `requests.Session`."""

    name = "tiingo"

    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.tiingo_api_key:
            raise ConfigError("The Tiingo provider needs TIINGO_API_KEY.")
        self.settings = settings
        self.session = requests.Session()

    def bars(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> pd.DataFrame:
        """Raw daily bars of `symbol` after `since`."""
        return self.bars_and_actions(symbol, interval, since=since, month=month)[0]

    def bars_and_actions(
        self,
        symbol: str,
        interval: str,
        *,
        since: pd.Timestamp | None = None,
        month: str | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Raw daily bars after `since` and the splits and dividends on those days: one request."""
        check_request(interval, month)
        if interval in INTRADAY_INTERVALS:
            raise Unprocessable(
                f"Tiingo serves {interval} bars only from IEX, one exchange whose volumes are a "
                "small share of the market's: ask for daily bars, or use Alpha Vantage or the "
                "demo provider for intraday."
            )
        start = _start_date(since)
        if start > pd.Timestamp.now(tz="UTC").normalize():
            return finish(_no_rows(), since), empty_actions()  # nothing can be newer yet
        daily = parse_daily(
            *self._get(symbol, start),
            since=since,
            secret=self.settings.tiingo_api_key,
            symbol=symbol,
        )
        return daily.bars, daily.actions

    def _get(self, symbol: str, start: pd.Timestamp) -> tuple[int, bytes]:
        """Tiingo's status and body; transport failures become `ProviderFailed`."""
        ticker = quote(symbol.lower().replace(".", "-"), safe="-")  # Tiingo writes BRK.B as brk-b
        response = transport.get(
            self.session,
            "Tiingo",
            f"{self.settings.tiingo_url}/tiingo/daily/{ticker}/prices",
            params={"startDate": start.strftime("%Y-%m-%d"), "format": "csv"},
            headers={"Authorization": f"Token {self.settings.tiingo_api_key}"},
            timeout=self.settings.timeout_seconds,
        )
        return response.status_code, response.content


def parse_daily(
    status: int,
    body: bytes,
    *,
    since: pd.Timestamp | None = None,
    secret: str | None = None,
    symbol: str = "the symbol",
) -> Daily:
    """Bars and actions from a Tiingo daily-prices answer (CSV or JSON), or the typed refusal."""
    text = body.lstrip()
    if status == 200 and text.startswith(CSV_HEADER):
        rows = _from_csv(text)
    elif status == 200 and text.startswith(b"["):
        rows = _from_json(text)
    else:
        raise refusal(status, text, secret, symbol)
    rows = rows[rows.index > as_utc(since)] if since is not None else rows
    actions = actions_from_rows(rows.index, rows["splitFactor"], rows["divCash"])
    return Daily(finish(rows, since), actions)


def _from_csv(text: bytes) -> pd.DataFrame:
    if not text.endswith(b"\n"):  # Tiingo ends every row with one; a cut body ends mid-row
        raise ProviderFailed("Tiingo answered a truncated or malformed CSV.")
    try:
        frame = pd.read_csv(io.BytesIO(text), usecols=["date", *ROW_FIELDS])
    except (ValueError, pd.errors.ParserError):
        raise ProviderFailed("Tiingo answered a truncated or malformed CSV.") from None
    return _rows(frame)


def _from_json(text: bytes) -> pd.DataFrame:
    try:
        document = json.loads(text)
    except ValueError:
        raise ProviderFailed("Tiingo answered truncated or malformed JSON.") from None
    if not all(isinstance(row, dict) for row in document):
        raise ProviderFailed("Tiingo answered a list that is not one of price rows.")
    frame = pd.DataFrame.from_records(document, columns=["date", *ROW_FIELDS])
    return _rows(frame)


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows indexed by 00:00 UTC of their date, numeric; rows lacking a price are dropped.

    Tiingo leaves a price null on the odd day it has none; one such day must not fail a
    decades-long history, and the bar cannot be stored without it.
    """
    try:
        numbers = frame[list(ROW_FIELDS)].astype("float64")
        dates = pd.to_datetime(frame["date"].astype(str).str[:10], format="%Y-%m-%d")
    except (ValueError, TypeError):
        raise ProviderFailed("Tiingo answered rows with values that are not numbers.") from None
    numbers = numbers.set_axis(pd.DatetimeIndex(dates).tz_localize("UTC").rename("time"))
    numbers = numbers.dropna(subset=list(COLUMNS))
    numbers["divCash"] = numbers["divCash"].fillna(0.0)
    numbers["splitFactor"] = numbers["splitFactor"].fillna(1.0)
    numbers["volume"] = numbers["volume"].round()
    return numbers


def _no_rows() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="time")
    return pd.DataFrame({c: pd.Series([], dtype="float64") for c in COLUMNS}, index=index)


def _start_date(since: pd.Timestamp | None) -> pd.Timestamp:
    """The first date to ask for: the day after the newest stored bar, or the earliest."""
    if since is None:
        return pd.Timestamp(EARLIEST, tz="UTC")
    return as_utc(since).normalize() + pd.Timedelta(days=1)


def refusal(
    status: int, text: bytes, secret: str | None, symbol: str = "the symbol"
) -> StocksError:
    """The typed error a Tiingo answer without rows stands for."""
    if text.startswith(b"<"):
        return ProviderFailed(f"Tiingo answered an HTML page (HTTP {status}) instead of data.")
    message = _redacted(_message(text), secret, limit=1000)  # before its words are read
    lower = message.lower()
    if "symbol look up" in lower or ("symbol" in lower and "month" in lower):
        wait = _seconds_to_next_month()
        return RateLimited(
            "Tiingo's monthly allowance of distinct symbols for this token is used up; it resets "
            f"at the start of next month (in {wait} s).",
            wait,
        )
    if "allocation" in lower or "rate limit" in lower or "too many" in lower or status == 429:
        if "daily" in lower:
            wait = _seconds_to_utc_midnight()
            return RateLimited(
                f"Tiingo's daily request allowance for this token is used up; retry in {wait} s.",
                wait,
            )
        return RateLimited(
            "Tiingo's hourly request allowance for this token is used up; retry within the hour.",
            HOUR_SECONDS,
        )
    if "not found" in lower and "ticker" in lower:
        return Unprocessable(f"Tiingo does not know the ticker {symbol}: it is probably unknown.")
    if "token" in lower or status in (401, 403):
        return ProviderFailed(
            "Tiingo refused the API token as invalid or missing: check TIINGO_API_KEY."
        )
    if not message:
        return ProviderFailed(f"Tiingo answered HTTP {status} without rows or a message.")
    return ProviderFailed(
        f"Tiingo answered HTTP {status} without rows but a message: {_redacted(message, None)}"
    )


def _message(text: bytes) -> str:
    """The words of an answer: a JSON `detail` (or `error`), else the plain text."""
    decoded = text.decode("utf-8", errors="replace").strip()
    if decoded.startswith("{"):
        try:
            document: Any = json.loads(decoded)
        except ValueError:
            return decoded
        if isinstance(document, dict):
            return " ".join(str(document[k]) for k in ("detail", "error") if k in document)
    return decoded


def _redacted(text: str, secret: str | None, limit: int = 200) -> str:
    """Provider text safe to show: the token blanked out, the length bounded."""
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds_to_utc_midnight() -> int:
    now = pd.Timestamp.now(tz="UTC")
    return max(1, math.ceil((now.normalize() + pd.Timedelta(days=1) - now).total_seconds()))


def _seconds_to_next_month() -> int:
    now = pd.Timestamp.now(tz="UTC")
    first = (now.normalize() + pd.offsets.MonthBegin(1)).normalize()
    return max(1, math.ceil((first - now).total_seconds()))

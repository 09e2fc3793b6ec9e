"""Tiingo: daily bars, raw as traded, with the splits and dividends its rows carry.

One request (`/tiingo/daily/<ticker>/prices?startDate=...&format=csv`) returns decades of daily
rows; each row has raw and adjusted OHLCV plus `divCash` and `splitFactor`. We keep the raw bars and
turn `divCash`/`splitFactor` into corporate actions, so adjustment is computed from stored actions.
This module reads the answer's structure (a body that is not rows is `ProviderFailed`); the cells
are checked, and impossible rows dropped, at the provider boundary (`rows.check`).
Tiingo answers its limits both as HTTP 200 with a plain-text body and as HTTP 429 with a JSON
`detail`, so refusals are classified on the body's words, not only on the status. The token travels
in the `Authorization` header and is blanked out of any provider text a message quotes.
`company_name` reads the ticker's metadata (`/tiingo/daily/<ticker>`) for the page's label.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any
from urllib.parse import quote

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
from shared.contract.schema import INTRADAY_INTERVALS
from shared.market.actions import empty_actions
from shared.market.providers import transport
from shared.market.providers.base import COLUMNS, as_utc, check_request
from shared.market.providers.rows import Checked, Rows, Source, check, numbers, read_actions

EARLIEST = "1950-01-01"  # without a startDate Tiingo answers only the latest row
ROW_FIELDS = ("open", "high", "low", "close", "volume", "divCash", "splitFactor")
CSV_HEADER = b"date,"
HOUR_SECONDS = 3600
NAME_LIMIT = 120  # characters of a company name kept: a label, never a provider's essay


class TiingoProvider(Source):
    """Daily bars and corporate actions from Tiingo over one pooled `requests.Session`."""

    name = "tiingo"

    def __init__(self, settings: ProviderSettings, meter: transport.Meter | None = None) -> None:
        if not settings.tiingo_api_key:
            raise ConfigError("The Tiingo provider needs TIINGO_API_KEY.")
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
        """Daily rows after `since` with the splits and dividends on those days: one request."""
        check_request(interval, month)
        if interval in INTRADAY_INTERVALS:
            raise Unprocessable(
                f"Tiingo serves {interval} bars only from IEX, one exchange whose volumes are a "
                "small share of the market's: ask for daily bars, or use Alpha Vantage or the "
                "demo provider for intraday."
            )
        now = pd.Timestamp.now(tz="UTC")
        start = _start_date(since)
        if start > now.normalize():
            return Rows(_no_rows(), now)  # nothing can be newer yet
        status, body = self._get(symbol, start)
        return read_daily(status, body, secret=self.settings.tiingo_api_key, symbol=symbol)

    def company_name(self, symbol: str) -> str | None:
        """The company name in Tiingo's metadata for the ticker (`/tiingo/daily/<ticker>`): one
        request, metered like any. None when Tiingo answers no usable name; a transport failure
        or a full budget raises as for rows (a caller that only wants a label catches them)."""
        response = transport.get(
            self.session,
            "Tiingo",
            f"{self.settings.tiingo_url}/tiingo/daily/{_ticker(symbol)}",
            params={},
            headers={"Authorization": f"Token {self.settings.tiingo_api_key}"},
            timeout=self.settings.timeout_seconds,
            meter=self.meter,
            symbol=symbol,
            kind="meta",
        )
        return read_name(response.status_code, response.content)

    def _get(self, symbol: str, start: pd.Timestamp) -> tuple[int, bytes]:
        """Tiingo's status and body; transport failures become `ProviderFailed`."""
        response = transport.get(
            self.session,
            "Tiingo",
            f"{self.settings.tiingo_url}/tiingo/daily/{_ticker(symbol)}/prices",
            params={"startDate": start.strftime("%Y-%m-%d"), "format": "csv"},
            headers={"Authorization": f"Token {self.settings.tiingo_api_key}"},
            timeout=self.settings.timeout_seconds,
            meter=self.meter,
            symbol=symbol,
            kind="daily",
        )
        return response.status_code, response.content


def _ticker(symbol: str) -> str:
    """The ticker as Tiingo's paths write it: lower case, BRK.B as brk-b."""
    return quote(symbol.lower().replace(".", "-"), safe="-")


def read_name(status: int, body: bytes) -> str | None:
    """The `name` of a metadata answer (`{"ticker", "name", "exchangeCode", ...}`), cleaned to
    one line of at most `NAME_LIMIT` characters; None for any other answer."""
    if status != 200:
        return None
    try:
        document: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str):
        return None
    cleaned = " ".join(name.split())[:NAME_LIMIT]
    return cleaned or None


def parse_daily(
    status: int,
    body: bytes,
    *,
    since: pd.Timestamp | None = None,
    secret: str | None = None,
    symbol: str = "the symbol",
) -> Checked:
    """Checked bars and actions from a Tiingo daily-prices answer, or the typed refusal."""
    return check(read_daily(status, body, secret=secret, symbol=symbol), since)


def read_daily(
    status: int, body: bytes, *, secret: str | None = None, symbol: str = "the symbol"
) -> Rows:
    """The rows of a Tiingo daily-prices answer (CSV or JSON), not checked, or the typed refusal.

    A body that is not rows at all (truncated, malformed, not a list of objects) is
    `ProviderFailed`; cells are read as they are, for `rows.check` to judge.
    """
    now = pd.Timestamp.now(tz="UTC")
    text = body.lstrip()
    if status == 200 and text.startswith(CSV_HEADER):
        frame = _from_csv(text)
    elif status == 200 and text.startswith(b"["):
        frame = _from_json(text)
    else:
        raise refusal(status, text, secret, symbol)
    dates = frame["date"].map(lambda v: v[:10] if isinstance(v, str) else None)
    times = pd.DatetimeIndex(pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce"))
    times = times.tz_localize("UTC").rename("time")
    bars = frame[list(COLUMNS)].set_axis(times)
    return Rows(bars, now, _actions(times, frame))


def _from_csv(text: bytes) -> pd.DataFrame:
    if not text.endswith(b"\n"):  # Tiingo ends every row with one; a cut body ends mid-row
        raise ProviderFailed("Tiingo answered a truncated or malformed CSV.")
    try:  # every cell as text: the boundary decides what a value is, pandas never guesses
        return pd.read_csv(
            io.BytesIO(text), usecols=["date", *ROW_FIELDS], dtype=str, keep_default_na=False
        )
    except (ValueError, pd.errors.ParserError):
        raise ProviderFailed("Tiingo answered a truncated or malformed CSV.") from None


def _from_json(text: bytes) -> pd.DataFrame:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise ProviderFailed("Tiingo answered truncated or malformed JSON.") from None
    if not isinstance(document, list) or not all(isinstance(row, dict) for row in document):
        raise ProviderFailed("Tiingo answered a list that is not one of price rows.")
    columns = ["date", *ROW_FIELDS]
    return pd.DataFrame({c: [row.get(c) for row in document] for c in columns}, dtype=object)


def _actions(times: pd.DatetimeIndex, frame: pd.DataFrame) -> pd.DataFrame:
    """The splits and dividends the rows carry: a split factor other than 1, a cash dividend.

    Empty or null cells mean none; any other value is an action for `rows.check` to judge.
    """
    factor = numbers(frame["splitFactor"])
    cash = numbers(frame["divCash"])
    split_rows = ~np.isnan(factor) & (factor != 1.0)
    dividend_rows = ~np.isnan(cash) & (cash != 0.0)
    if not split_rows.any() and not dividend_rows.any():
        return empty_actions()  # most rows of most requests
    return read_actions(
        split=(times[split_rows], factor[split_rows]),
        dividend=(times[dividend_rows], cash[dividend_rows]),
    )


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

"""The contract's data: bar intervals, default buckets, InfluxDB measurements and their fields."""

from __future__ import annotations

from dataclasses import dataclass

DAILY = "daily"
INTRADAY_INTERVALS = ("1min", "5min", "15min", "30min", "60min")
INTERVALS = (DAILY, *INTRADAY_INTERVALS)
DEFAULT_BUCKET = "stocks"
"""Where fetch stores prices and where `watchlist`, `runs` and `dead_letters` live by default."""
FORECASTS_BUCKET = "forecasts"
"""Where predict writes forecasts by default."""
MODELS = ("prophet", "naive", "drift", "auto")
"""The forecasting models a caller (a watchlist entry, predict) may name; auto: best backtest."""
EXCHANGES = ("XNYS", "XNAS", "XLON", "XTSE", "XETR")
"""The exchanges whose sessions the project knows, as ISO 10383 MICs (`market/calendar.py`)."""
DEFAULT_EXCHANGE = "XNYS"
"""The exchange of a symbol with no suffix and no known listing."""


@dataclass(frozen=True)
class Measurement:
    """One measurement: its name, tag keys and field types (pandas dtypes)."""

    name: str
    tags: tuple[str, ...]
    fields: dict[str, str]

    @property
    def columns(self) -> tuple[str, ...]:
        """Tags then fields: the columns a frame written to it carries."""
        return self.tags + tuple(self.fields)


PRICES = Measurement(
    "prices",
    ("symbol", "interval"),
    {"open": "float64", "high": "float64", "low": "float64", "close": "float64", "volume": "int64"},
)
PRICE_COLUMNS = tuple(PRICES.fields)
"""A bar's values, in the providers' order: open, high, low, close, volume."""

FORECAST = Measurement(
    "forecast",
    ("symbol", "interval", "field", "model"),
    {"yhat": "float64", "yhat_lower": "float64", "yhat_upper": "float64"},
)
FORECAST_RUNS = Measurement(
    "forecast_runs",
    ("symbol", "interval", "field", "model"),
    {
        "horizon": "int64",
        "train_points": "int64",
        "fit_seconds": "float64",
        "mape": "float64",
        "mase": "float64",
        "rel_naive": "float64",
        "rel_drift": "float64",
        "coverage": "float64",
        "naive_mape": "float64",
        "naive_mase": "float64",
        "naive_coverage": "float64",
        "reason": "str",
        "selection": "str",
        "interval_width": "float64",
        "horizon_lower": "float64",
        "horizon_upper": "float64",
        "volatility": "float64",
        "volatility_percentile": "float64",
        "drawdown": "float64",
        "high_52w": "float64",
        "low_52w": "float64",
        "from_high": "float64",
        "from_low": "float64",
    },
)
"""A prediction run: the model, its skill, the band's aim (`interval_width`) and its edges at the
horizon (`horizon_lower`, `horizon_upper`, for tables that read runs only), and the series'
risk figures when the run forecast adjusted closes (shared/market/risk.py; a figure is absent
where the history was too short for it)."""
WATCHLIST = Measurement(
    "watchlist",
    ("symbol", "interval"),
    {"tracked": "bool", "bucket": "str", "model": "str", "exchange": "str"},
)
RUNS = Measurement(
    "runs",
    ("function", "status", "interval"),
    {
        "symbol": "str",
        "points": "int64",
        "seconds": "float64",
        "error": "str",
        "dropped": "int64",
        "warning": "str",
    },
)
PRICES_ADJUSTED = Measurement("prices_adjusted", PRICES.tags, dict(PRICES.fields))
"""`prices` split- and dividend-adjusted by `corporate_actions`, for readers that cannot adjust at
read time (Grafana): rewritten whole when an action arrives, else extended with each new bar."""
CORPORATE_ACTIONS = Measurement(
    "corporate_actions", ("symbol", "kind"), {"ratio": "float64", "amount": "float64"}
)
"""Splits (`kind` split, `ratio`: new shares per old) and dividends (`kind` dividend, `amount`:
cash per share), each at its ex-date (00:00 UTC), in the bucket of the symbol's prices."""
ACTIONS_CHECKED = Measurement(
    "corporate_actions_checked", ("symbol",), {"provider": "str", "as_of": "str", "found": "int64"}
)
"""When a provider that lists corporate actions apart from bars (Alpha Vantage) was last asked
for a symbol's: a point at the time of the listing, `as_of` the newest bar it covered (RFC 3339),
`found` how many actions it listed; in the bucket of the symbol's prices."""
DEAD_LETTERS = Measurement(
    "dead_letters",
    ("type", "trigger"),
    {"event_id": "str", "subscriber": "str", "code": "int64", "error": "str", "data": "str"},
)
ALERT_RULES = Measurement(
    "alert_rules",
    ("symbol", "rule"),
    {
        "interval": "str",
        "kind": "str",
        "threshold": "float64",
        "note": "str",
        "webhook": "str",
        "since": "str",
        "created": "str",
        "active": "bool",
    },
)
"""Alert rules, in the meta bucket: one point per change of a rule (`rule`: its id), the newest
one in force; deleting writes `active` false (no point is ever deleted, as on InfluxDB 3).
`threshold` is the kind's number (a price level, a percentage, minutes, a count of failures);
`since` the newest bar when it was made (RFC 3339), from which price rules watch the bars."""
ALERTS = Measurement(
    "alerts",
    ("symbol", "rule"),
    {
        "interval": "str",
        "kind": "str",
        "value": "float64",
        "threshold": "float64",
        "message": "str",
        "alert_id": "str",
        "fired_at": "str",
    },
)
"""The alerts that fired, in the meta bucket, stamped with what triggered them (the bar, the
stale session's deadline, the first failed fetch, the dead letter): a replay rewrites the same
point. `alert_id` is the `io.stocksmanager.alert.fired` event's id; `fired_at` when first seen."""
ALERT_BANDS = Measurement(
    "alert_bands",
    ("symbol", "interval"),
    {"yhat": "float64", "yhat_lower": "float64", "yhat_upper": "float64", "issued": "str"},
)
"""The forecast's next points as the alerts function saw them when they were still ahead of the
newest bar: the band a bar is checked against was made before the bar (predict's later
forecasts replace the stored one)."""
ALERT_DELIVERIES = Measurement(
    "alert_deliveries",
    ("symbol", "rule"),
    {"alert_id": "str", "status": "int64", "seconds": "float64", "delivered_at": "str"},
)
"""Alerts the notifier delivered to their webhook, stamped like the alert itself: a redelivered
`alert.fired` finds its point and is not posted again."""
FRESHNESS = Measurement(
    "freshness",
    ("symbol", "interval"),
    {"as_of": "str", "state": "str", "stale_since": "str", "due": "str", "checked": "str"},
)
"""How fresh each tracked entry's data is, as the alerts function's clock last found it (for
Grafana; the page computes its own): one point per entry an hour, rewritten at each check."""
PROVIDER_REQUESTS = Measurement(
    "provider_requests",
    ("provider", "symbol"),
    {"kind": "str", "state": "str", "status": "int64", "token": "str"},
)
"""The provider-request ledger (`shared/store/ledger.py`), in the meta bucket: one point per
request made to a provider (`kind`: what was asked), `state` reserved, spent (with the provider's
HTTP `status`, 0 when none came) or released (never made); the budgets count it."""
FETCH_REQUESTS = Measurement("fetch_requests", ("symbol", "interval"), {"requester": "str"})
"""Fetch requests sent by a tick, a track or a refresh (`shared/store/fetch_requests.py`), in the
meta bucket: a tick does not ask again for an entry asked for in the last minutes."""
NAMES = Measurement("names", ("symbol",), {"company": "str", "source": "str"})
"""Company names a provider gave (`shared/store/names.py`), in the meta bucket: the page shows
them where the demo's listing has none; `source` is the provider that named the symbol. (The
field is `company`, not `name`: InfluxDB's CSV answers already have a `name` column, the
measurement's.)"""

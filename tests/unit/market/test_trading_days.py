"""NYSE trading days: the holiday rules against the exchange's published schedule."""

from __future__ import annotations

import pandas as pd

from shared.market.trading_days import NYSEHolidays, trading_day


def test_nyse_holidays_of_2026_and_2027_are_the_published_ones() -> None:
    published = [
        "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
        "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
        "2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18",
        "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24",
    ]  # fmt: skip
    holidays = NYSEHolidays().holidays("2026-01-01", "2027-12-31")
    assert list(holidays.strftime("%Y-%m-%d")) == published


def test_a_trading_day_after_a_long_weekend_is_the_next_session():
    good_friday_eve = pd.Timestamp("2026-04-02")
    assert good_friday_eve + trading_day() == pd.Timestamp("2026-04-06")

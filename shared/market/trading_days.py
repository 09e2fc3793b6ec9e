"""NYSE trading days: weekdays that are not exchange holidays."""

from __future__ import annotations

from functools import cache
from typing import ClassVar

import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

YEARS = ("2000-01-01", "2100-12-31")


class NYSEHolidays(AbstractHolidayCalendar):
    """The New York Stock Exchange's yearly full-day closures (one-off closures follow no rule).

    A New Year's Day on a Saturday is not made up on the Friday before, unlike other holidays.
    """

    rules: ClassVar[list[Holiday]] = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-06-19", observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas Day", month=12, day=25, observance=nearest_workday),
    ]


@cache
def trading_day() -> pd.offsets.CustomBusinessDay:
    """One NYSE trading day as a date offset, knowing the holidays of 2000 to 2100."""
    return pd.offsets.CustomBusinessDay(holidays=NYSEHolidays().holidays(*YEARS))

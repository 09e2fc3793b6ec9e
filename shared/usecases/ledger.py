"""Provider budgets held where requests are made: the ledger's reservations (SEAMS.md seam 4).

`Ledger.reserve` writes a reservation point (a unique nanosecond time, a random token), then reads
the provider's window including it, and proceeds (marking it granted) only when every limit holds
counting every other request it sees, reserved ones included. Of any two reservations, the one
that reads later sees the other, so no interleaving of ticks, tracks, refreshes, direct calls or
processes overspends a window; nothing is locked. When only reservations still being decided stand
in the way, it withdraws (released) and tries again after a random back-off, so concurrent callers
do not all refuse each other; when granted or spent requests alone fill a window it is released and
answered 429 with the seconds until the window has room. With a provider that has no limits (the
demo) nothing is written or read. `spending` is what tick, track and refresh plan with.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from shared.contract.errors import RateLimited
from shared.influx.client import InfluxClient
from shared.influx.stamps import unique_ns
from shared.market import budget
from shared.store import ledger

ATTEMPTS = 6
BACK_OFF_SECONDS = 0.05  # the first back-off's upper bound; doubled at each attempt
BUSY_RETRY_SECONDS = 5


class Ledger:
    """Counts and limits the requests made to one provider (a `transport.Meter`)."""

    def __init__(
        self, client: InfluxClient, bucket: str, provider: str, limits: budget.Limits
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.provider = provider
        self.limits = limits

    def reserve(self, symbol: str, kind: str) -> Callable[[int], None]:
        """Reserve one request for `symbol`; `RateLimited` when a window has no room. The
        callable marks it spent with the provider's HTTP status once the request was made."""
        for attempt in range(ATTEMPTS):
            entry = ledger.Entry(unique_ns(), self.provider, symbol, kind, secrets.token_hex(8))
            ledger.write(self.client, self.bucket, entry, ledger.RESERVED)
            window = self._window(entry.time)
            if entry.token not in window.tokens:
                continue  # another reservation took the same time and tags: a new one
            others = [r for r in window.requests if r.token != entry.token]
            now = max([entry.time, *(r.time for r in others)])
            firm = _spent(r for r in others if r.state != ledger.RESERVED)
            firm = budget.Spent(firm.times, frozenset(window.month_symbols))
            if not budget.admits(self.limits, firm, now, symbol):
                ledger.write(self.client, self.bucket, entry, ledger.RELEASED)
                wait = budget.retry_after(self.limits, firm, now, symbol)
                raise RateLimited(
                    f"The {self.provider} request budget ({_limits_text(self.limits)}) has no "
                    f"room for {symbol} now; retry in {wait} s.",
                    wait,
                )
            pending = {r.symbol for r in others if r.state == ledger.RESERVED}
            everyone = budget.Spent(_spent(others).times, firm.symbols_this_month | pending)
            if budget.admits(self.limits, everyone, now, symbol):
                ledger.write(self.client, self.bucket, entry, ledger.GRANTED)
                return lambda status: ledger.write(
                    self.client, self.bucket, entry, ledger.SPENT, status
                )
            ledger.write(self.client, self.bucket, entry, ledger.RELEASED)
            time.sleep(random.uniform(0, BACK_OFF_SECONDS * 2**attempt))
        raise RateLimited(
            f"The {self.provider} request budget is being claimed by other requests at once; "
            f"retry in {BUSY_RETRY_SECONDS} s.",
            BUSY_RETRY_SECONDS,
        )

    def _window(self, now: datetime) -> ledger.Window:
        month = budget.month_of(now) if self.limits.symbols_per_month else None
        return ledger.window(self.client, self.bucket, self.provider, now - budget.DAY, month)


def ledger_for(
    client: InfluxClient, bucket: str, provider: str, limits: budget.Limits
) -> Ledger | None:
    """The provider's ledger; None when no count is limited (the demo): nothing to count."""
    return Ledger(client, bucket, provider, limits) if budget.metered(limits) else None


def spending(
    client: InfluxClient,
    bucket: str,
    provider: str,
    limits: budget.Limits,
    now: datetime,
) -> budget.Spent:
    """What the ledger holds against `limits` at `now`: requests over the last day and this
    month's symbols (nothing read when no count is limited)."""
    if not budget.metered(limits):
        return budget.Spent()
    month = budget.month_of(now) if limits.symbols_per_month else None
    window = ledger.window(client, bucket, provider, now - budget.DAY, month, until=now)
    pending = {r.symbol for r in window.requests if r.state == ledger.RESERVED}
    return budget.Spent(_spent(window.requests).times, frozenset(window.month_symbols | pending))


def _spent(requests: Iterable[ledger.Request]) -> budget.Spent:
    return budget.Spent(tuple(sorted(r.time for r in requests)))


def _limits_text(limits: budget.Limits) -> str:
    parts = [
        f"{limits.per_hour} an hour" if limits.per_hour is not None else "",
        f"{limits.per_day} a day" if limits.per_day is not None else "",
        f"{limits.symbols_per_month} symbols a month"
        if limits.symbols_per_month is not None
        else "",
    ]
    return ", ".join(p for p in parts if p)

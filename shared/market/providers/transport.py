"""One GET to a market-data provider: metered, within a deadline, capped in size, failures typed.

- **Metered**: with a `Meter` (the provider-request ledger, when the provider has limits), the
  request is reserved before it is made (a refusal is the meter's 429) and settled after, whatever
  the answer, so every request counts.
- **A deadline for the whole answer**: `timeout` bounds connecting, the headers and every byte of
  the body together, not each read: the request runs in a worker thread and the caller stops
  waiting at the deadline (502). The worker reads with `read1`, so it sees the cancellation at the
  next bytes (or the per-read timeout) and closes the connection.
- **A capped body**: a body larger than `MAX_BODY_BYTES` (declared, or counted as it streams in,
  decompressed) is refused (502) without being held whole.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import requests
import urllib3

from shared.contract.errors import ProviderFailed, StocksError

MAX_BODY_BYTES = 32 * 2**20
"""The largest answer a provider may send: ten times Tiingo's longest daily history as JSON."""
CHUNK_BYTES = 16 * 1024


class Meter(Protocol):
    """Where provider requests are counted (`shared.usecases.ledger.Ledger`)."""

    def reserve(self, symbol: str, kind: str) -> Callable[[int], None]:
        """Reserve one request, or raise `RateLimited`; the callable settles it with the
        provider's HTTP status (0 when none came)."""
        ...


@dataclass(frozen=True)
class Answer:
    """A provider's whole answer."""

    status_code: int
    content: bytes


class _Cancelled(Exception):
    """The caller stopped waiting: the worker drops the connection."""


def get(
    session: requests.Session,
    provider: str,
    url: str,
    *,
    params: Mapping[str, str],
    timeout: float,
    headers: Mapping[str, str] | None = None,
    meter: Meter | None = None,
    symbol: str = "",
    kind: str = "",
    max_bytes: int = MAX_BODY_BYTES,
) -> Answer:
    """The provider's answer, whatever its status; `ProviderFailed` when none came in time.

    Exceptions from `requests` quote the URL or headers, where keys travel, so none is chained
    or echoed: the sentence names only what went wrong.
    """
    settle = meter.reserve(symbol, kind) if meter is not None else None
    status = 0
    try:
        answer = _within_deadline(session, provider, url, params, headers, timeout, max_bytes)
        status = answer.status_code
        return answer
    finally:
        if settle is not None:
            with contextlib.suppress(StocksError):  # left reserved, it still counts
                settle(status)


def _within_deadline(
    session: requests.Session,
    provider: str,
    url: str,
    params: Mapping[str, str],
    headers: Mapping[str, str] | None,
    timeout: float,
    max_bytes: int,
) -> Answer:
    outcome: queue.Queue[Answer | StocksError] = queue.Queue(maxsize=1)
    cancelled = threading.Event()

    def work() -> None:
        try:
            outcome.put(
                _read(session, provider, url, params, headers, timeout, max_bytes, cancelled)
            )
        except StocksError as error:
            outcome.put(error)
        except _Cancelled:
            pass

    threading.Thread(target=work, name=f"{provider} request", daemon=True).start()
    try:
        result = outcome.get(timeout=timeout)
    except queue.Empty:
        cancelled.set()
        raise ProviderFailed(f"{provider} did not answer within {timeout:g} s.") from None
    if isinstance(result, StocksError):
        raise result
    return result


def _read(
    session: requests.Session,
    provider: str,
    url: str,
    params: Mapping[str, str],
    headers: Mapping[str, str] | None,
    timeout: float,
    max_bytes: int,
    cancelled: threading.Event,
) -> Answer:
    """The answer read in the worker, chunk by chunk, until done, too large or cancelled."""
    too_large = ProviderFailed(
        f"{provider} answered more than {max_bytes // 2**20} MiB, the most a provider's "
        "answer may be; nothing was stored."
    )
    try:
        with session.get(url, params=params, headers=headers, timeout=timeout, stream=True) as r:
            declared = r.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_large
            chunks, size = [], 0
            while True:
                if cancelled.is_set():
                    raise _Cancelled
                chunk = r.raw.read1(CHUNK_BYTES, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise too_large
                chunks.append(chunk)
            return Answer(r.status_code, b"".join(chunks))
    except requests.Timeout:
        raise ProviderFailed(f"{provider} did not answer within {timeout:g} s.") from None
    except requests.ConnectionError:
        raise ProviderFailed(f"{provider} could not be reached (connection failed).") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
            raise ProviderFailed(f"{provider} did not answer within {timeout:g} s.") from None
        raise ProviderFailed(f"The request to {provider} failed ({type(exc).__name__}).") from None

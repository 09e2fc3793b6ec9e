"""Deliver alerts to their webhook (the rule's own, else STOCKS_ALERT_WEBHOOK_URL), each once.

Each delivery is recorded after the webhook accepted it; a redelivered `alert.fired` finds the
record and is not posted again. Copies of one alert arriving together wait for each other (one
lock per alert in the process; the notifier runs as a single pod, see knative/functions.yaml),
so the second finds the first's record. What remains: a crash after the webhook accepted an
alert and before its record was written posts it again when the broker retries.

The webhook's URL and signing secret never appear in an answer or a log line; a failure (an
error status, a redirect, no answer within the timeout) is a 502, which the broker retries with
backoff and finally dead-letters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import requests

from shared.alerting import webhook
from shared.contract.errors import WebhookFailed
from shared.contract.payloads import AlertFired
from shared.runtime.services import Services
from shared.store import alert_deliveries, alert_rules

CONNECT_SECONDS = 3.05
MAX_ANSWER_BYTES = 64 * 1024


class _KeyedLocks:
    """One lock per key, made when first held and dropped when the last holder leaves."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, holders = self._held.get(key, (threading.Lock(), 0))
            self._held[key] = (lock, holders + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, holders = self._held[key]
                if holders == 1:
                    del self._held[key]
                else:
                    self._held[key] = (lock, holders - 1)


_delivering = _KeyedLocks()


def deliver(services: Services, alert: AlertFired) -> dict[str, Any]:
    """Post the alert to its webhook unless it was delivered before; what happened."""
    client, meta = services.influx, services.settings.meta_bucket
    rule = alert_rules.find(client, meta, alert.rule)
    url = (rule.webhook if rule is not None else "") or services.settings.webhook.url
    if not url:
        return {"alert": alert.alert, "delivered": False, "reason": "no webhook is configured"}
    at = datetime.fromisoformat(alert.at)  # checked by AlertFired; to the microsecond
    with _delivering.hold(alert.alert):
        if alert_deliveries.delivered(client, meta, alert.symbol, alert.rule, at):
            return {"alert": alert.alert, "delivered": False, "reason": "delivered before"}
        status, seconds = _post(services, url, alert)
        alert_deliveries.record(
            client,
            meta,
            symbol=alert.symbol,
            rule=alert.rule,
            at=at,
            alert_id=alert.alert,
            status=status,
            seconds=seconds,
        )
    return {"alert": alert.alert, "delivered": True, "status": status, "seconds": seconds}


def _post(services: Services, url: str, alert: AlertFired) -> tuple[int, float]:
    """POST the signed body; the webhook's status and the seconds it took, or WebhookFailed."""
    settings = services.settings.webhook
    payload = webhook.body(alert.data)
    headers = webhook.headers(payload, alert.alert, settings.signing_secret)
    started = time.monotonic()
    try:
        with services.http.post(
            url,
            data=payload,
            headers=headers,
            timeout=(CONNECT_SECONDS, settings.timeout_seconds),
            allow_redirects=False,  # a redirect would resend a signed alert where nobody said
            stream=True,
        ) as answer:
            status = answer.status_code
            next(answer.iter_content(MAX_ANSWER_BYTES), b"")  # read a little, then let it go
    except requests.Timeout:
        raise WebhookFailed(
            f"The webhook did not answer within {settings.timeout_seconds:g} s; retry later."
        ) from None
    except requests.RequestException:
        raise WebhookFailed("The webhook is unreachable; retry later.") from None
    seconds = round(time.monotonic() - started, 4)
    if not 200 <= status < 300:
        what = "redirected" if 300 <= status < 400 else "answered"
        raise WebhookFailed(f"The webhook {what} {status}; retry later.")
    return status, seconds

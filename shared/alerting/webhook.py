"""The webhook request for an alert: a JSON body that Slack-, Discord- and ntfy-style receivers
take, and its HMAC-SHA256 signature.

`text` is what Slack's incoming webhooks (and Discord's `/slack` endpoint, Mattermost, Rocket.Chat)
show, `content` what Discord's own webhooks show; ntfy shows either with its message template
(`?tpl=1&m={{.text}}`). `alert` carries the structured data for receivers of your own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Signature"
ALERT_ID_HEADER = "X-Stocks-Alert-Id"


def body(alert: dict[str, Any]) -> bytes:
    """The request body for the data of an `io.stocksmanager.alert.fired` event."""
    text = f"Stocks Manager alert: {alert.get('message', '')}"
    if alert.get("note"):
        text += f" Note: {alert['note']}"
    payload = {"text": text, "content": text[:2000], "alert": alert}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(payload: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the signing secret."""
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(payload: bytes, alert_id: str, secret: str | None) -> dict[str, str]:
    """The request's headers: JSON, the alert's id (for receivers that dedupe), the signature
    when a signing secret is set."""
    found = {"Content-Type": "application/json", ALERT_ID_HEADER: alert_id}
    if secret:
        found[SIGNATURE_HEADER] = signature(payload, secret)
    return found


def verify(payload: bytes, secret: str, presented: str) -> bool:
    """Whether `presented` is this body's signature (constant time): what a receiver checks."""
    return hmac.compare_digest(signature(payload, secret), presented)

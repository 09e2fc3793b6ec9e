"""The webhook body chat receivers take, and its signature."""

from __future__ import annotations

import hashlib
import hmac
import json

from shared.alerting.webhook import body, headers, verify

ALERT = {"alert": "a1", "message": "IBM closed at 181.00, above 180.00.", "note": "sell", "x": 1}


def test_the_body_has_the_text_chat_receivers_show_and_the_structured_alert():
    sent = json.loads(body(ALERT))
    text = "Stocks Manager alert: IBM closed at 181.00, above 180.00. Note: sell"
    assert sent == {"text": text, "content": text, "alert": ALERT}


def test_the_signature_is_hmac_sha256_of_the_exact_body():
    payload = body(ALERT)
    sent = headers(payload, "a1", "s3cret")
    expected = hmac.new(b"s3cret", payload, hashlib.sha256).hexdigest()
    assert sent["X-Signature"] == f"sha256={expected}"
    assert sent["X-Stocks-Alert-Id"] == "a1"
    assert verify(payload, "s3cret", sent["X-Signature"])
    assert not verify(payload + b" ", "s3cret", sent["X-Signature"])
    assert "X-Signature" not in headers(payload, "a1", None)

"""The local webhook receiver: what `make run`'s notifier posts alerts to, and a page showing them.

    python -m devstack.webhook --port 8091 --log .stocks/webhook.jsonl

POST / takes an alert (its `X-Signature` checked against STOCKS_ALERT_WEBHOOK_SECRET when set:
401 if it does not match) and appends it, one JSON line, to the log; GET / shows the log newest
first (the page links here), GET /received gives it as JSON. It stands in for Slack, Discord or
ntfy, so a newcomer sees an alert delivered end to end with no outside service.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack.functions import ROOT
from devstack.ports import listening_socket, terminate, wait_until_up
from shared.alerting.webhook import ALERT_ID_HEADER, SIGNATURE_HEADER, verify

MAX_BODY = 1024 * 1024
PAGE_ROWS = 200


class Inbox:
    """The received alerts, kept in a JSON-lines file that outlives the process."""

    def __init__(self, log: Path, secret: str | None) -> None:
        self.log = log
        self.secret = secret
        self._lock = threading.Lock()
        log.parent.mkdir(parents=True, exist_ok=True)

    def accept(self, body: bytes, signature: str, alert_id: str) -> bool:
        """Record one POST; False (nothing recorded) when its signature does not match."""
        if self.secret and not verify(body, self.secret, signature):
            return False
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode("utf-8", "replace")
        entry = {
            "received_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC",
            "alert_id": alert_id,
            "signed": bool(self.secret),
            "body": payload,
        }
        with self._lock, self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return True

    def received(self) -> list[dict[str, Any]]:
        """Every recorded POST, oldest first."""
        if not self.log.exists():
            return []
        with self._lock:
            lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def page(entries: list[dict[str, Any]]) -> str:
    """The received alerts as a small HTML page, newest first, refreshing itself."""
    rows = []
    for entry in reversed(entries[-PAGE_ROWS:]):
        body = entry["body"] if isinstance(entry["body"], dict) else {"text": str(entry["body"])}
        rows.append(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(entry["received_at"]),
                html.escape(str(body.get("text", ""))),
                "signature verified" if entry.get("signed") else "unsigned",
            )
        )
    table = "".join(rows) or '<tr><td colspan="3">Nothing received yet.</td></tr>'
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><meta http-equiv=refresh content=5>"
        "<title>Local webhook receiver</title>"
        "<style>body{font:15px system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .6rem;"
        "border-bottom:1px solid #ddd;text-align:left}</style>"
        "<h1>Alerts received by the local webhook</h1>"
        f"<p>{len(entries)} received. The notifier posts each alert here once, signed.</p>"
        f"<table><tr><th>Received</th><th>Alert</th><th>Signature</th></tr>{table}</table>"
    )


def handler_for(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b'{"error": "too large"}')
                return
            body = self.rfile.read(length)
            accepted = inbox.accept(
                body, self.headers.get(SIGNATURE_HEADER, ""), self.headers.get(ALERT_ID_HEADER, "")
            )
            if accepted:
                self._answer(200, b'{"ok": true}')
            else:
                self._answer(401, b'{"error": "the X-Signature does not match the body"}')

        def do_GET(self) -> None:
            if self.path.startswith("/received"):
                received = json.dumps({"received": inbox.received()}).encode()
                self._answer(200, received)
            else:
                self._answer(200, page(inbox.received()).encode(), "text/html; charset=utf-8")

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class WebhookReceiver:
    """The receiver in its own process (as an outside service would be), logging to `log`.

    As the functions' launcher does, it binds the port itself and hands the listening socket to
    the process, so whatever answers there is this receiver; `stop` releases the port and
    `start` binds the same one again.
    """

    def __init__(self, log: Path, secret: str | None, port: int | None = None) -> None:
        self.log = log
        self.secret = secret
        self.socket: socket.socket | None = listening_socket(port or 0, "the webhook receiver")
        self.port = self.socket.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30.0) -> WebhookReceiver:
        if self.socket is None:
            self.socket = listening_socket(self.port, "the webhook receiver", move=False)
        handed = self.socket.fileno()
        env = {**os.environ, "STOCKS_ALERT_WEBHOOK_SECRET": self.secret or ""}
        command = [sys.executable, "-m", "devstack.webhook", "--fd", str(handed)]
        process = subprocess.Popen(
            [*command, "--log", str(self.log)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            pass_fds=[handed],
        )
        self.process = process
        wait_until_up(f"{self.url}received", timeout, alive=lambda: process.poll() is None)
        return self

    def stop(self) -> None:
        terminate(self.process, timeout=10)
        self.process = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def received(self) -> list[dict[str, Any]]:
        """What it has received so far (read from its log, so also while it is stopped)."""
        return Inbox(self.log, self.secret).received()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.webhook")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--fd", type=int, help="a listening socket to serve (not --port)")
    parser.add_argument("--log", type=Path, default=Path(".stocks/webhook.jsonl"))
    args = parser.parse_args(argv)
    secret = os.environ.get("STOCKS_ALERT_WEBHOOK_SECRET", "").strip() or None
    handler = handler_for(Inbox(args.log, secret))
    if args.fd is None:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    else:  # the launcher's socket: bound and listening already
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=args.fd)
        server.server_address = server.socket.getsockname()
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

"""Functions whose calls need no frame answer without pandas, start to finish, in a fresh process.

deadletters records a letter, notifier delivers an alert (its rule read, its delivery record
looked up, the webhook posted, the delivery recorded), and watchlist tracks, lists, ticks within
a metered provider's budget and untracks, against the session's influxd: none loads pandas,
whose import is most of a function's cold start (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared.contract.schema import ALERT_DELIVERIES, DEAD_LETTERS, FETCH_REQUESTS

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import json, sys, threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from cloudevents.http import CloudEvent

from devstack.webhook import Inbox, handler_for
from functions import deadletters, notifier
from shared.contract.config import InfluxSettings, Settings, WebhookSettings
from shared.contract.events import ALERT_FIRED
from shared.runtime.services import Services
from tests.support.inprocess import call

url, bucket, log = sys.argv[1:4]
inbox = Inbox(Path(log), None)
hook = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(inbox))
threading.Thread(target=hook.serve_forever, daemon=True).start()
settings = Settings(
    influx=InfluxSettings(url=url),
    meta_bucket=bucket,
    webhook=WebhookSettings(url=f"http://127.0.0.1:{hook.server_port}/"),
)
services = Services(settings)
letter = CloudEvent(
    {"type": "io.example.lost", "source": "/s", "id": "l-1", "knativeerrorcode": "503"}, {"a": 1}
)
alert = {
    "alert": "a-1", "rule": "r0123456789ab", "symbol": "DEMO1",
    "at": "2025-03-05T14:30:00.125Z", "message": "DEMO1 closed above 180",
}
fired = CloudEvent({"type": ALERT_FIRED, "source": "/stocks-manager/alerts", "id": "a-1"}, alert)
answers = [
    call(deadletters.SPEC, services, event=letter).status,
    call(notifier.SPEC, services, event=fired).status,
    call(notifier.SPEC, services, event=fired).status,
]
posted = [entry["alert_id"] for entry in inbox.received()]
print(json.dumps({"answers": answers, "posted": posted, "pandas": "pandas" in sys.modules}))
"""


def in_a_fresh_process(script: str, *args: str) -> dict:
    """What the script printed last (a JSON object), run in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_deadletters_and_notifier_answer_without_loading_pandas(
    settings, storage, bucket, tmp_path
):
    result = in_a_fresh_process(SCRIPT, settings.influx.url, bucket, str(tmp_path / "hook.jsonl"))
    assert result["answers"] == [200, 200, 200]
    assert result["posted"] == ["a-1"]  # the second copy found the first's record
    assert result["pandas"] is False
    letters = storage.query(bucket, 'SELECT * FROM "dead_letters"', DEAD_LETTERS)
    assert list(letters["event_id"]) == ["l-1"]
    assert list(letters["code"]) == [503]
    deliveries = storage.query(bucket, 'SELECT * FROM "alert_deliveries"', ALERT_DELIVERIES)
    assert list(deliveries.index) == [deliveries.index[0]]
    assert str(deliveries.index[0]) == "2025-03-05 14:30:00.125000+00:00"
    assert list(deliveries["alert_id"]) == ["a-1"]


WATCHLIST_SCRIPT = """
import json, sys, threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.http import CloudEvent

from functions import watchlist
from shared.contract.config import InfluxSettings, ProviderSettings, Settings
from shared.runtime.services import Services
from tests.support.inprocess import call

url, bucket = sys.argv[1:3]
sent = []

class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        sent.append({"type": self.headers["ce-type"], "data": json.loads(body)})
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass

sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
threading.Thread(target=sink.serve_forever, daemon=True).start()
plain = Settings(influx=InfluxSettings(url=url), meta_bucket=bucket)
tiingo = ProviderSettings(name="tiingo", daily_limit=100, hourly_limit=50, monthly_symbols=500)
metered = replace(plain, provider=tiingo, k_sink=f"http://127.0.0.1:{sink.server_port}/")
track = call(watchlist.SPEC, Services(plain), method="POST", json_body={"symbol": "DEMO7"})
listing = call(watchlist.SPEC, Services(plain))
tick = CloudEvent({"type": "dev.knative.sources.ping", "source": "/ping", "id": "t-1"}, {})
ticked = call(watchlist.SPEC, Services(metered), event=tick)
untrack = call(
    watchlist.SPEC, Services(plain), method="POST", json_body={"symbol": "DEMO7", "tracked": False}
)
print(json.dumps({
    "answers": [track.status, listing.status, ticked.status, untrack.status],
    "listed": [entry["symbol"] for entry in listing.json()["watchlist"]],
    "requested": ticked.json()["requested"],
    "sent": sent,
    "left": untrack.json()["watchlist"],
    "pandas": "pandas" in sys.modules,
}))
"""


def test_watchlist_tracks_ticks_and_untracks_without_loading_pandas(settings, storage, bucket):
    result = in_a_fresh_process(WATCHLIST_SCRIPT, settings.influx.url, bucket)
    assert result["answers"] == [200, 200, 200, 200]
    assert result["listed"] == ["DEMO7"]
    assert result["requested"] == ["DEMO7"]  # no bar stored: one is due; the budget has room
    assert [(e["type"], e["data"]["symbol"]) for e in result["sent"]] == [
        ("io.stocksmanager.fetch.requested", "DEMO7")
    ]
    assert result["left"] == []
    assert result["pandas"] is False
    asked = storage.query(bucket, 'SELECT * FROM "fetch_requests"', FETCH_REQUESTS)
    assert list(zip(asked["symbol"], asked["requester"], strict=True)) == [("DEMO7", "tick")]

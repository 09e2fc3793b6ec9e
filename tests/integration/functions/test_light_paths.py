"""Functions whose calls need no frame answer without pandas, start to finish, in a fresh process.

deadletters records a letter, and notifier delivers an alert (its rule read, its delivery record
looked up, the webhook posted, the delivery recorded), against the session's influxd: neither
loads pandas, whose import is most of a function's cold start (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared.contract.schema import ALERT_DELIVERIES, DEAD_LETTERS

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


def test_deadletters_and_notifier_answer_without_loading_pandas(
    settings, storage, bucket, tmp_path
):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, settings.influx.url, bucket, str(tmp_path / "hook.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
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

"""The notifier in process: each alert posted to its webhook once, signed; a failing, hanging or
redirecting webhook is a 502 the broker retries; its secrets never in an answer or a log."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pandas as pd
import pytest
from cloudevents.http import CloudEvent

from functions import notifier
from shared.alerting.firing import Firing
from shared.alerting.rules import Rule
from shared.alerting.webhook import verify
from shared.contract.config import WebhookSettings
from shared.contract.events import ALERT_FIRED
from shared.contract.schema import ALERT_DELIVERIES
from shared.runtime.services import Services
from shared.store import alert_rules
from tests.support.inprocess import call
from tests.support.mesh import Answer

SECRET = "dummy-signing-key"
TOKEN_PATH = "T000/B000/dummy-path-token"
RULE = Rule("r0123456789ab", "DEMO1", "daily", "above", 180.0, note="sell")


def fired(day: int = 5) -> CloudEvent:
    firing = Firing(RULE, pd.Timestamp(f"2025-03-0{day}", tz="UTC"), 181.0, f"closed {day}")
    return CloudEvent(
        {"type": ALERT_FIRED, "source": "/stocks-manager/alerts", "id": firing.alert_id},
        firing.event_data(),
    )


@pytest.fixture
def hooked(services: Services, stand_in):
    """Services whose webhook is a stand-in (answering as scripted), and the stand-in."""

    def make(*script: Answer, timeout: float = 2.0):
        hook = stand_in(*script)
        settings = WebhookSettings(
            url=hook.url + TOKEN_PATH, signing_secret=SECRET, timeout_seconds=timeout
        )
        return Services(replace(services.settings, webhook=settings)), hook

    return make


def deliveries(storage, bucket) -> pd.DataFrame:
    return storage.query(bucket, 'SELECT * FROM "alert_deliveries"', ALERT_DELIVERIES)


def test_an_alert_is_posted_signed_with_text_and_data_once_however_often_it_comes(
    hooked, storage, bucket
):
    services, hook = hooked()
    event = fired()
    answers = [call(notifier.SPEC, services, event=event) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    (request,) = hook.requests
    body = json.loads(request.body)
    assert body["text"] == body["content"] == "Stocks Manager alert: closed 5 Note: sell"
    assert body["alert"] == event.data
    assert verify(request.body, SECRET, request.headers["x-signature"])
    assert request.headers["x-stocks-alert-id"] == event["id"]
    assert len(deliveries(storage, bucket)) == 1


def test_copies_arriving_together_are_posted_once(hooked):
    services, hook = hooked(Answer(delay=0.3))
    event = fired()
    threads = [
        threading.Thread(target=call, args=(notifier.SPEC, services), kwargs={"event": event})
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(hook.requests) == 1


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (Answer(500), "The webhook answered 500; retry later."),
        (
            Answer(302, headers={"Location": "http://x/"}),
            "The webhook redirected 302; retry later.",
        ),
        (Answer(404), "The webhook answered 404; retry later."),
    ],
)
def test_a_failing_webhook_is_a_502_the_broker_retries_and_nothing_is_recorded(
    hooked, storage, bucket, answer, words, capsys
):
    services, hook = hooked(answer)
    failed = call(notifier.SPEC, services, event=fired())
    assert failed.status == 502 and failed.json() == {"error": words}
    assert deliveries(storage, bucket).empty
    retried = call(notifier.SPEC, services, event=fired())
    assert retried.status == 200 and len(deliveries(storage, bucket)) == 1
    assert len(hook.requests) == 2  # the redirect was not followed
    logged = capsys.readouterr().out
    assert TOKEN_PATH not in logged and SECRET not in logged


def test_a_hanging_webhook_times_out_without_holding_up_other_alerts(
    hooked, storage, bucket, capsys
):
    services, hook = hooked(Answer(delay=30), timeout=4)
    outcome: dict = {}
    hanging = threading.Thread(
        target=lambda: outcome.update(answer=call(notifier.SPEC, services, event=fired(5)))
    )
    hanging.start()
    while not hook.requests:
        threading.Event().wait(0.02)
    other = call(notifier.SPEC, services, event=fired(6))
    assert other.status == 200 and len(deliveries(storage, bucket)) == 1
    assert hanging.is_alive()  # the other alert did not wait for it
    hanging.join()
    assert outcome["answer"].status == 502
    error = outcome["answer"].json()["error"]
    assert error == "The webhook did not answer within 4 s; retry later."
    logged = capsys.readouterr().out
    assert TOKEN_PATH not in logged and SECRET not in logged


def test_an_unreachable_webhook_is_a_502_that_names_no_url(services, bucket):
    settings = WebhookSettings(url=f"http://127.0.0.1:9/{TOKEN_PATH}", timeout_seconds=1)
    unreachable = Services(replace(services.settings, webhook=settings))
    answer = call(notifier.SPEC, unreachable, event=fired())
    assert answer.status == 502
    assert answer.json() == {"error": "The webhook is unreachable; retry later."}


def test_a_rules_own_webhook_replaces_the_configured_one(hooked, stand_in, bucket):
    services, default = hooked()
    own = stand_in()
    alert_rules.save(services.influx, bucket, replace(RULE, webhook=own.url + "mine"))
    assert call(notifier.SPEC, services, event=fired()).status == 200
    assert len(own.requests) == 1 and default.requests == []


def test_without_a_webhook_alerts_are_only_recorded_and_shown(services, storage, bucket):
    answer = call(notifier.SPEC, services, event=fired())
    assert (answer.status, answer.body) == (200, b"")
    assert deliveries(storage, bucket).empty


def test_the_notifier_takes_alert_events_only(services):
    assert call(notifier.SPEC, services, method="POST", json_body={}).status == 400
    assert call(notifier.SPEC, services).status == 400


def test_two_alerts_of_one_rule_in_the_same_second_are_both_delivered(hooked, storage, bucket):
    services, hook = hooked()
    moments = ("2025-03-05T21:00:00.125Z", "2025-03-05T21:00:00.750Z")  # two dead letters
    for at in moments:
        firing = Firing(RULE, pd.Timestamp(at), None, f"dead letter at {at}")
        event = CloudEvent(
            {"type": ALERT_FIRED, "source": "/stocks-manager/alerts", "id": firing.alert_id},
            firing.event_data(),
        )
        assert firing.event_data()["at"] == at
        assert call(notifier.SPEC, services, event=event).status == 200
    assert len(hook.requests) == 2 and len(deliveries(storage, bucket)) == 2


@pytest.mark.parametrize("at", ["yesterday", "2025-03-05", "2025-03-05T21:00:00", 5])
def test_an_alert_whose_time_is_not_a_time_is_refused(services, at):
    data = {**fired().data, "at": at}
    event = CloudEvent({"type": ALERT_FIRED, "source": "/stocks-manager/alerts"}, data)
    answer = call(notifier.SPEC, services, event=event)
    assert answer.status == 400 and "'at'" in answer.json()["error"]

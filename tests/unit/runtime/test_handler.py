"""The Handler on real Flask requests and real CloudEvents: statuses, JSON errors, CloudEvent
replies, no traceback reaching the caller, one JSON log line a call."""

from __future__ import annotations

import hmac
import json
from dataclasses import fields as dataclass_fields
from types import SimpleNamespace

import pytest
from cloudevents.http import CloudEvent

from shared.contract.config import InfluxSettings, ProviderSettings, Settings
from shared.contract.errors import (
    BadInput,
    PayloadTooLarge,
    ProviderFailed,
    RateLimited,
    StorageUnavailable,
    Unprocessable,
)
from shared.runtime.handler import FunctionSpec, Reply
from shared.runtime.invocation import Invocation
from shared.runtime.services import Services
from tests.support.inprocess import call

TOKEN, KEY = "influx-token-SECRET", "av-key-SECRET"
JSON = "application/json"
TAKES = "io.test.asked"
REPLIES = "io.test.answered"
SPEC_FIELDS = {f.name for f in dataclass_fields(FunctionSpec)}
# Direct calls may send only the fields a spec names, where the handler checks them.
NAMED = {"fields": frozenset({"symbol", "n"})} if "fields" in SPEC_FIELDS else {}


@pytest.fixture
def services() -> Services:
    """Services whose InfluxDB is a closed port: nothing in these tests may need it."""
    return Services(
        Settings(
            influx=InfluxSettings(url="http://127.0.0.1:9", token=TOKEN, timeout_seconds=0.5),
            provider=ProviderSettings(name="alphavantage", alphavantage_api_key=KEY),
        )
    )


def spec(run, **options) -> FunctionSpec:
    return FunctionSpec(
        "probe", run, **{"accepts": frozenset({TAKES}), "reply_type": REPLIES, **NAMED, **options}
    )


def echo(invocation: Invocation, services: Services) -> Reply:
    return Reply({"got": invocation.fields, "method": invocation.method}, symbol="ECHO", points=3)


def failing(error: Exception):
    def run(invocation: Invocation, services: Services) -> Reply:
        raise error

    return run


def asked(data=None, event_id: str = "ev-1", event_type: str = TAKES) -> CloudEvent:
    return CloudEvent(
        {
            "type": event_type,
            "source": "/tests",
            "id": event_id,
            "datacontenttype": "application/json",
        },
        {"symbol": "ibm"} if data is None else data,
    )


def log_lines(capsys) -> list[dict]:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_get_answers_json(services, capsys):
    answer = call(spec(echo), services, query={"symbol": "ibm"})
    assert answer.status == 200 and answer.content_type == "application/json"
    assert answer.json() == {"got": {"symbol": "ibm"}, "method": "GET"}
    [entry] = log_lines(capsys)
    assert entry["function"] == "probe" and entry["status"] == 200
    assert entry["symbol"] == "ECHO" and entry["event_id"] is None
    assert isinstance(entry["seconds"], float) and "error" not in entry
    assert 0 <= entry["seconds"] < 3600  # a duration, not a clock reading


def test_post_json_answers_json_with_the_replys_status(services):
    def created(invocation: Invocation, services: Services) -> Reply:
        return Reply({"name": "x"}, status=201)

    answer = call(spec(created), services, method="POST", json_body={"symbol": "x"})
    assert answer.status == 201 and answer.json() == {"name": "x"}


def test_raw_content_is_answered_as_it_is(services):
    def png(invocation: Invocation, services: Services) -> Reply:
        return Reply(content=b"\x89PNG...", content_type="image/png")

    answer = call(spec(png), services)
    assert (
        answer.status == 200
        and answer.body == b"\x89PNG..."
        and answer.content_type == ("image/png")
    )


@pytest.mark.parametrize("structured", [False, True])
def test_a_cloudevent_gets_a_binary_mode_cloudevent_back(services, capsys, structured):
    answer = call(spec(echo), services, event=asked(event_id="ev-9"), structured=structured)
    assert answer.status == 200
    assert answer.headers["ce-type"] == REPLIES and answer.content_type == "application/json"
    reply = answer.event()
    assert reply["type"] == REPLIES and reply["source"] == "/stocks-manager/probe"
    assert reply["subject"] == "ECHO" and reply["id"] != "ev-9"
    assert reply.data == {"got": {"symbol": "ibm"}, "method": "POST"}
    [entry] = log_lines(capsys)
    assert entry["event_id"] == "ev-9" and entry["status"] == 200


def test_each_reply_event_has_its_own_id(services):
    first = call(spec(echo), services, event=asked()).event()
    second = call(spec(echo), services, event=asked()).event()
    assert first["id"] != second["id"]


def test_a_final_function_answers_an_event_with_an_empty_body(services):
    answer = call(spec(echo, reply_type=None), services, event=asked())
    assert answer.status == 200 and answer.body == b""
    assert not any(key.lower().startswith("ce-") for key in answer.headers)


def test_an_event_of_a_type_it_does_not_take_is_400(services):
    answer = call(spec(echo), services, event=asked(event_type="io.other"))
    assert answer.status == 400
    assert answer.json() == {
        "error": f"The probe function does not take events of type 'io.other' (it takes: {TAKES})."
    }


def test_a_function_taking_no_events_says_none(services):
    answer = call(spec(echo, accepts=frozenset()), services, event=asked())
    assert answer.status == 400 and "(it takes: none)" in answer.json()["error"]


def test_a_function_taking_any_event(services):
    answer = call(spec(echo, accepts=None), services, event=asked(event_type="io.whatever"))
    assert answer.status == 200 and answer.event()["type"] == REPLIES


def test_a_method_it_does_not_answer_is_400(services):
    answer = call(spec(echo, methods=frozenset({"POST"})), services, query={"symbol": "A"})
    assert answer.status == 400
    assert answer.json() == {"error": "The probe function does not answer GET."}


@pytest.mark.skipif(not NAMED, reason="this handler does not check the fields of direct calls")
def test_a_misspelled_field_is_refused_naming_it(services):
    answer = call(spec(echo), services, query={"symbol": "A", "horizn": "5"})
    assert answer.status == 400
    assert answer.json()["error"].startswith("The field 'horizn' is not one the probe function")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadInput("bad field"), 400),
        (PayloadTooLarge("too big"), 413),
        (Unprocessable("unknown symbol"), 422),
        (RateLimited("slow down", retry_after=42), 429),
        (ProviderFailed("provider broke"), 502),
        (StorageUnavailable("influx down"), 503),
    ],
)
def test_typed_failures_answer_their_status_in_json(services, capsys, error, status):
    answer = call(spec(failing(error)), services, query={"symbol": "ibm"})
    assert answer.status == status and answer.content_type == "application/json"
    assert answer.json() == {"error": error.message}
    assert answer.headers.get("Retry-After") == ("42" if status == 429 else None)
    [entry] = log_lines(capsys)
    assert entry["status"] == status and entry["error"] == error.message
    assert entry["symbol"] == "IBM"  # the caller's symbol, folded


def test_a_failed_event_answers_json_not_an_event(services):
    answer = call(spec(failing(Unprocessable("no data"))), services, event=asked())
    assert answer.status == 422 and answer.json() == {"error": "no data"}
    assert "ce-type" not in answer.headers


def test_a_defect_is_500_without_its_traceback(services, capsys):
    answer = call(spec(failing(KeyError("internal detail"))), services, query={"symbol": "abc"})
    assert answer.status == 500
    assert answer.json() == {"error": "The function failed unexpectedly; see its logs."}
    assert b"internal detail" not in answer.body and b"Traceback" not in answer.body
    [entry] = log_lines(capsys)
    assert entry["status"] == 500 and entry["symbol"] == "ABC"
    assert entry["error"] == "KeyError: 'internal detail'"  # one line, no stack


def test_secrets_are_masked_in_answers_and_logs(services, capsys):
    error = StorageUnavailable(f"InfluxDB said: bad token {TOKEN} for key {KEY}")
    answer = call(spec(failing(error)), services)
    assert TOKEN.encode() not in answer.body and KEY.encode() not in answer.body
    assert answer.json()["error"] == "InfluxDB said: bad token *** for key ***"
    out = capsys.readouterr().out
    assert TOKEN not in out and KEY not in out and "***" in out


def test_bad_input_from_the_request_itself_is_400_json(services, capsys):
    answer = call(
        spec(echo), services, method="POST", data=b"{nope", headers={"Content-Type": JSON}
    )
    assert answer.status == 400
    assert answer.json() == {"error": "The request body is not valid JSON."}
    [entry] = log_lines(capsys)
    assert entry["status"] == 400 and entry["event_id"] is None


def test_an_unreachable_influxdb_does_not_fail_a_run_it_records(services, capsys):
    answer = call(spec(echo, records_runs=True), services, query={"symbol": "ibm"})
    assert answer.status == 200
    assert len(log_lines(capsys)) == 1  # recording the run failed quietly


def test_a_non_string_symbol_is_not_logged(services, capsys):
    call(spec(failing(BadInput("no"))), services, method="POST", json_body={"symbol": 5})
    assert log_lines(capsys)[0]["symbol"] is None


def test_a_long_symbol_is_logged_cut_to_12(services, capsys):
    call(spec(failing(BadInput("no"))), services, query={"symbol": "abcdefghijklmnop"})
    assert log_lines(capsys)[0]["symbol"] == "ABCDEFGHIJKL"


def test_an_unauthorized_call_is_told_how_to_authenticate(services):
    from shared.contract.errors import Unauthorized

    answer = call(spec(failing(Unauthorized("A token is needed."))), services)
    assert answer.status == 401 and answer.json() == {"error": "A token is needed."}
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="stocks-manager"'
    assert "Retry-After" not in answer.headers


def test_only_rate_limits_carry_retry_after(services):
    answer = call(spec(failing(StorageUnavailable("down"))), services)
    assert "Retry-After" not in answer.headers and "WWW-Authenticate" not in answer.headers


API_TOKEN = "api-token-SECRET"


@pytest.fixture
def guarded() -> Services:
    """Services of a deployment with STOCKS_API_TOKEN set."""
    return Services(
        Settings(
            influx=InfluxSettings(url="http://127.0.0.1:9", timeout_seconds=0.5),
            api_token=API_TOKEN,
        )
    )


def writer(**options) -> FunctionSpec:
    return spec(echo, writes=frozenset({"POST"}), **options)


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {API_TOKEN}",
        f"bearer {API_TOKEN}",
        f"BEARER  {API_TOKEN} ",
    ],
)
def test_a_state_change_with_the_token_runs(guarded, authorization):
    answer = call(
        writer(),
        guarded,
        method="POST",
        json_body={"symbol": "A"},
        headers={"Authorization": authorization},
    )
    assert answer.status == 200, answer.body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": API_TOKEN},
        {"Authorization": f"Basic {API_TOKEN}"},
        {"Authorization": f"Bearer {API_TOKEN}x"},
        {"Authorization": f"Bearer {API_TOKEN[:-1]}"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
    ],
)
def test_a_state_change_without_the_token_is_401(guarded, capsys, headers):
    answer = call(writer(), guarded, method="POST", json_body={"symbol": "A"}, headers=headers)
    assert answer.status == 401
    assert answer.json() == {
        "error": "POST to the probe function changes state and needs the API token: "
        "send Authorization: Bearer <STOCKS_API_TOKEN>."
    }
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="stocks-manager"'
    assert API_TOKEN not in capsys.readouterr().out


@pytest.mark.parametrize("presented", [API_TOKEN, API_TOKEN + "x", "a", ""])
def test_the_token_is_compared_in_constant_time(guarded, monkeypatch, presented):
    """`!=` stops at the first differing byte, which tells a caller how much of a guess was
    right; every presented token, right or wrong, goes through hmac.compare_digest."""
    compared = []

    def compare_digest(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(
        "shared.runtime.handler.hmac", SimpleNamespace(compare_digest=compare_digest)
    )
    headers = {"Authorization": f"Bearer {presented}"}
    answer = call(writer(), guarded, method="POST", json_body={"symbol": "A"}, headers=headers)
    assert answer.status == (200 if presented == API_TOKEN else 401)
    assert compared == [(presented.encode(), API_TOKEN.encode())]


def test_reads_and_events_need_no_token(guarded):
    assert call(writer(), guarded, query={"symbol": "A"}).status == 200
    assert call(writer(), guarded, event=asked()).status == 200


def test_no_token_set_leaves_state_changes_open(services):
    assert call(writer(), services, method="POST", json_body={"symbol": "A"}).status == 200


def test_a_function_that_writes_nothing_needs_no_token(guarded):
    answer = call(spec(echo), guarded, method="POST", json_body={"symbol": "A"})
    assert answer.status == 200


def test_the_unknown_field_refusal_lists_the_valid_ones(services):
    answer = call(spec(echo), services, query={"zeta": "1", "alpha": "2", "symbol": "A"})
    assert answer.status == 400
    assert answer.json() == {
        "error": "The field 'alpha' is not one the probe function takes (it takes: n, symbol)."
    }


def test_a_long_unknown_field_is_cut_short(services):
    answer = call(spec(echo), services, query={"f" * 100: "1"})
    assert "'" + "f" * 40 + "'" in answer.json()["error"]
    assert "f" * 41 not in answer.json()["error"]


def test_events_may_carry_fields_a_direct_call_may_not(services):
    answer = call(spec(echo), services, event=asked({"symbol": "A", "points": 3}))
    assert answer.status == 200


def test_a_function_naming_no_fields_leaves_them_to_its_run(services):
    answer = call(spec(echo, fields=frozenset()), services, query={"anything": "1"})
    assert answer.status == 200 and answer.json()["got"] == {"anything": "1"}


def test_a_defect_while_handling_an_event_logs_the_events_id(services, capsys):
    call(spec(failing(RuntimeError("boom"))), services, event=asked(event_id="ev-500"))
    [entry] = log_lines(capsys)
    assert entry["status"] == 500 and entry["event_id"] == "ev-500"
    assert entry["error"] == "RuntimeError: boom"


def test_a_sink_of_any_data_gets_the_event_as_it_came(services):
    """A spec with `opaque_data` (deadletters) takes data that is not JSON, and no fields."""
    seen = []

    def keep(invocation: Invocation, services: Services) -> Reply:
        seen.append(invocation)
        return Reply()

    headers = {
        "ce-specversion": "1.0",
        "ce-id": "dl-9",
        "ce-source": "/s",
        "ce-type": "io.any",
        "Content-Type": "text/plain",
    }
    sink = spec(keep, accepts=None, reply_type=None, opaque_data=True)
    answer = call(sink, services, method="POST", data=b"not json at all", headers=headers)
    assert answer.status == 200 and answer.body == b""
    [invocation] = seen
    assert invocation.fields == {} and invocation.event is not None
    assert invocation.event.data in (b"not json at all", "not json at all")

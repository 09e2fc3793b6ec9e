"""read_invocation on real Flask requests: one set of fields by GET, JSON or CloudEvent."""

from __future__ import annotations

import json

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent, from_http
from flask import Flask, request

from shared.contract.errors import BadInput, PayloadTooLarge
from shared.runtime.invocation import MAX_BODY_BYTES, Invocation, read_invocation

APP = Flask("invocation-tests")
JSON = "application/json"


def invocation_of(parse_event: bool = True, **request_args) -> Invocation:
    """Build a real request and read it, handing over the event parliament would have parsed."""
    with APP.test_request_context("/", **request_args):
        parsed = None
        if parse_event and request.method == "POST":
            try:
                parsed = from_http(dict(request.headers), request.get_data())
            except Exception:
                parsed = None
        return read_invocation(request, parsed)


def refusal(**request_args) -> str:
    with pytest.raises(BadInput) as error:
        invocation_of(**request_args)
    assert error.value.status == 400
    return error.value.message


def event(data=None, **attributes) -> CloudEvent:
    base = {"type": "t.x", "source": "/s", "id": "e-1", "datacontenttype": "application/json"}
    return CloudEvent({**base, **attributes}, data)


def test_get_reads_the_query_string():
    got = invocation_of(method="GET", query_string={"symbol": "ibm", "horizon": "5"})
    assert got == Invocation("GET", {"symbol": "ibm", "horizon": "5"})
    assert got.event is None and got.event_id is None


def test_get_with_no_query_has_no_fields():
    assert invocation_of(method="GET") == Invocation("GET", {})


def test_a_field_given_twice_is_refused():
    message = refusal(method="GET", query_string=[("symbol", "A"), ("symbol", "B")])
    assert message == "The field 'symbol' is given more than once."


def test_post_json():
    got = invocation_of(method="POST", json={"symbol": "IBM", "horizon": 5})
    assert got == Invocation("POST", {"symbol": "IBM", "horizon": 5})


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_an_empty_post_has_no_fields(body):
    assert invocation_of(method="POST", data=body) == Invocation("POST", {})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"[1, 2]", "The request body must be a JSON object."),
        (b'"IBM"', "The request body must be a JSON object."),
    ],
)
def test_bad_json_bodies(body, message):
    assert refusal(method="POST", data=body, content_type="application/json") == message


def test_json_nested_past_the_parser_is_bad_input():
    body = b"[" * 20_000 + b"]" * 20_000  # 40 kB, under the limit
    assert refusal(method="POST", data=body, content_type=JSON) == (
        "The request body is not valid JSON."
    )


def test_a_body_at_the_limit_is_read_and_one_byte_more_is_refused():
    at_limit = json.dumps({"pad": "x" * (MAX_BODY_BYTES - 11)}).encode()
    assert len(at_limit) == MAX_BODY_BYTES
    read = invocation_of(method="POST", data=at_limit, content_type=JSON)
    assert read.fields["pad"].startswith("x")
    with pytest.raises(PayloadTooLarge) as error:
        invocation_of(method="POST", data=at_limit + b" ", content_type=JSON)
    assert error.value.status == 413 and str(MAX_BODY_BYTES) in error.value.message


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    with pytest.raises(PayloadTooLarge):
        invocation_of(
            method="POST",
            data=b"{}",
            environ_overrides={"CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)},
        )


@pytest.mark.parametrize("structured", [False, True])
@pytest.mark.parametrize("parse_event", [False, True])
def test_a_cloudevent_in_either_mode(structured, parse_event):
    sent = event({"symbol": "IBM"}, id="e-42")
    headers, body = to_structured(sent) if structured else to_binary(sent)
    got = invocation_of(parse_event, method="POST", data=body, headers=dict(headers))
    assert got.method == "POST" and got.fields == {"symbol": "IBM"}
    assert got.event is not None and got.event["type"] == "t.x" and got.event_id == "e-42"


def test_an_event_without_data_has_no_fields():
    headers, body = to_binary(event(None))
    assert invocation_of(method="POST", data=body, headers=dict(headers)).fields == {}


@pytest.mark.parametrize("data", [[1, 2], "text", 5])
def test_event_data_must_be_an_object(data):
    headers, body = to_binary(event(data))
    message = refusal(method="POST", data=body, headers=dict(headers))
    assert message in (
        "The CloudEvent's data must be a JSON object.",
        "The CloudEvent's data is not valid JSON.",
    )


def test_event_data_that_is_not_json_is_refused():
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "/s",
        "ce-type": "t",
        "Content-Type": "application/json",
    }
    message = refusal(method="POST", data=b"{broken", headers=headers, parse_event=False)
    assert message == "The CloudEvent's data is not valid JSON."


def test_any_ce_header_makes_it_a_cloudevent_and_lists_what_it_lacks():
    message = refusal(method="POST", json={"symbol": "IBM"}, headers={"ce-id": "1"})
    assert message == (
        "The request is not a valid CloudEvent: it lacks ce-specversion, ce-source, ce-type."
    )


def test_a_structured_event_missing_attributes_is_refused():
    body = json.dumps({"specversion": "1.0", "data": {}}).encode()
    message = refusal(
        method="POST", data=body, content_type="application/cloudevents+json", parse_event=False
    )
    assert message == (
        "The request is not a valid CloudEvent: it needs the attributes specversion, id, "
        "source, type (specversion 1.0 or 0.3), as ce- headers or in a JSON object."
    )


@pytest.mark.parametrize("attribute", ["id", "source", "type"])
def test_empty_attributes_are_refused(attribute):
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "/s",
        "ce-type": "t",
        "Content-Type": "application/json",
        f"ce-{attribute}": "",
    }
    message = refusal(method="POST", data=b"{}", headers=headers)
    assert message == f"The CloudEvent's attribute '{attribute}' must be a non-empty string."


def test_a_structured_event_with_a_number_for_an_id_is_refused():
    body = json.dumps({"specversion": "1.0", "id": 5, "source": "/s", "type": "t"}).encode()
    message = refusal(
        method="POST", data=body, content_type="application/cloudevents+json", parse_event=False
    )
    assert "'id'" in message or "not a valid CloudEvent" in message


def opaque(data: bytes, content_type: str = "application/json") -> Invocation:
    """A binary-mode event read as a dead-letter sink reads it (`opaque_data`)."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "dl-1",
        "ce-source": "/s",
        "ce-type": "t",
        "Content-Type": content_type,
    }
    with APP.test_request_context("/", method="POST", data=data, headers=headers):
        return read_invocation(request, None, opaque_data=True)


def test_opaque_data_keeps_json_that_does_not_parse_as_its_bytes():
    got = opaque(b"{broken")
    assert got.fields == {} and got.event is not None
    assert got.event.data == b"{broken" and got.event_id == "dl-1"


def test_opaque_data_gives_no_fields_even_when_it_parses():
    got = opaque(b'{"symbol": "IBM"}')
    assert got.fields == {} and got.event is not None and got.event.data == {"symbol": "IBM"}


def test_opaque_data_of_another_type_is_kept():
    got = opaque(b"<xml/>", "application/xml")
    assert got.fields == {} and got.event is not None and got.event.data == b"<xml/>"


def test_opaque_data_still_needs_the_required_attributes():
    headers = {"ce-specversion": "1.0", "ce-id": "x", "Content-Type": "application/json"}
    with (
        APP.test_request_context("/", method="POST", data=b"{}", headers=headers),
        pytest.raises(BadInput) as error,
    ):
        read_invocation(request, None, opaque_data=True)
    assert error.value.message.endswith("it lacks ce-source, ce-type.")


def test_head_is_read_as_get():
    got = invocation_of(method="HEAD", query_string={"symbol": "ibm"})
    assert got == Invocation("GET", {"symbol": "ibm"})

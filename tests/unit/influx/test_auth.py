"""Credentials for every InfluxDB request, and what its refusals mean for the caller."""

from __future__ import annotations

from email.message import Message

import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import StorageUnavailable
from shared.influx.auth import credentials, error_text, raise_for_server_status


def test_a_token_goes_in_the_authorization_header():
    assert credentials(InfluxSettings(token="t", username="u", password="p")) == (
        {"Authorization": "Token t"},
        {},
    )


def test_a_1x_user_goes_in_the_query():
    assert credentials(InfluxSettings(username="u", password="p")) == ({}, {"u": "u", "p": "p"})
    assert credentials(InfluxSettings(username="u")) == ({}, {"u": "u", "p": ""})


def test_no_credentials():
    assert credentials(InfluxSettings()) == ({}, {})
    assert credentials(InfluxSettings(password="p")) == ({}, {})


@pytest.mark.parametrize("status", [200, 204, 400, 404, 422, 499])
def test_answers_below_500_other_than_401_and_403_pass(status):
    raise_for_server_status(status)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_unavailability(status):
    with pytest.raises(StorageUnavailable) as error:
        raise_for_server_status(status)
    assert error.value.message == "InfluxDB refused the configured credentials."
    assert error.value.status == 503


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_faults_are_unavailability_naming_the_status(status):
    with pytest.raises(StorageUnavailable) as error:
        raise_for_server_status(status)
    assert error.value.message == f"InfluxDB failed with status {status}; retry later."


def test_the_error_header_comes_first():
    headers = {"X-Influxdb-Error": "from header"}
    assert error_text(headers, b'{"error": "from body"}') == "from header"


def test_an_email_message_of_headers_is_read_too():
    message = Message()
    message["X-Influxdb-Error"] = "partial write"
    assert error_text(message, b"") == "partial write"


def test_the_json_error_then_the_raw_body():
    assert error_text({}, b'{"error": "database not found"}') == "database not found"
    assert error_text({}, b'{"code": "invalid"}') == '{"code": "invalid"}'
    assert error_text({}, b"plain words") == "plain words"
    assert error_text({}, b"[1, 2]") == "[1, 2]"
    assert error_text({}, b"\xffbad") == "\ufffdbad"
    assert error_text({"X-Influxdb-Error": ""}, b"body") == "body"

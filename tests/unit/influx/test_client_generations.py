"""InfluxClient's InfluxDB 2.x and 3 Core branches, against their documented HTTP answers.

A local fake server (`tests.support.fakes.influxdb`) answers as those servers' API references
say: `/ping`'s version headers, bucket listing and creation, `/api/v2/delete`.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from shared.contract.config import InfluxSettings
from shared.contract.errors import BadInput, BucketNotFound, QueryRefused, StorageUnavailable
from shared.influx.client import SHARD_GROUP_WEEKS, InfluxClient
from tests.support.fakes.influxdb import ORG_ID, FakeInflux


def client_of(fake: FakeInflux, **settings) -> InfluxClient:
    base = {"url": fake.url, "token": "tok-1", "org": "acme", "timeout_seconds": 5.0}
    return InfluxClient(InfluxSettings(**{**base, **settings}))


@pytest.fixture
def v2():
    with FakeInflux(2) as fake:
        yield fake


@pytest.fixture
def v3():
    with FakeInflux(3) as fake:
        yield fake


@pytest.mark.parametrize(
    ("generation", "version", "build", "expected"),
    [
        (2, None, None, 2),  # v2.7.11, OSS
        (3, None, None, 3),  # 3.1.0, Core
        (3, "", None, 3),  # no version header: Core's build tells
        (2, "1.8.10", "OSS", 1),
        (2, "", "", 1),  # nothing said: the v1 API
        (2, "v3.0.0", "Enterprise", 3),
    ],
)
def test_the_generation_is_read_from_ping(generation, version, build, expected):
    with FakeInflux(generation, version=version, build=build) as fake:
        client = client_of(fake)
        assert client.generation == expected
        assert client.generation == expected
        assert len(fake.requests_to("/ping")) == 1  # asked once per client


def test_requests_carry_the_token(v2):
    client_of(v2).list_buckets()
    assert all(seen.headers["Authorization"] == "Token tok-1" for seen in v2.seen)


def test_v2_lists_buckets_through_show_databases_without_internal_ones(v2):
    v2.buckets |= {"b2", "a1"}
    assert client_of(v2).list_buckets() == ["a1", "b2", "stocks"]
    [query] = v2.requests_to("/query")
    assert b"SHOW+DATABASES" in query.body or b"SHOW DATABASES" in query.body


def test_v2_creates_a_bucket_in_the_org_with_yearly_shards(v2):
    client = client_of(v2)
    assert client.create_bucket("fresh") is True
    [created] = v2.requests_to("/api/v2/buckets")
    request = created.json()
    assert request["name"] == "fresh" and request["orgID"] == ORG_ID
    [rule] = request["retentionRules"]
    assert rule["everySeconds"] == 0  # kept forever
    assert rule["shardGroupDurationSeconds"] == SHARD_GROUP_WEEKS * 7 * 86_400
    assert created.headers["Authorization"] == "Token tok-1"
    assert "fresh" in client.list_buckets()


def test_v2_a_bucket_creation_that_hangs_gives_up_within_the_timeout(v2):
    v2.stall_seconds = 3.0
    client = client_of(v2, timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        client.create_bucket("fresh")
    assert time.monotonic() - started < 2.5


def test_v2_an_existing_bucket_is_not_created_again(v2):
    assert client_of(v2).create_bucket("stocks") is False
    assert v2.requests_to("/api/v2/buckets") == []


def test_v2_a_bucket_created_meanwhile_is_no_failure(v2):
    client = client_of(v2)
    client.list_buckets = lambda: []  # another process creates it between the check and the POST
    assert client.create_bucket("stocks") is True
    assert len(v2.requests_to("/api/v2/buckets")) == 1  # 422 from the server, taken as success


def test_v2_creating_a_bucket_needs_the_org(v2):
    with pytest.raises(StorageUnavailable) as error:
        client_of(v2, org=None).create_bucket("fresh")
    assert "INFLUX_ORG" in error.value.message


def test_v2_an_unknown_org_is_unavailability_not_a_crash(v2):
    with pytest.raises(StorageUnavailable):
        client_of(v2, org="nobody").create_bucket("fresh")


def test_v2_server_faults_on_create_are_unavailability(v2):
    client = client_of(v2)
    client.list_buckets = lambda: []
    v2.status_override = 500
    with pytest.raises(StorageUnavailable) as error:
        client.create_bucket("fresh")
    assert "fresh" in error.value.message


def test_v2_delete_sends_the_documented_predicate_and_nanosecond_bounds(v2):
    client = client_of(v2)
    client.delete(
        "stocks",
        "forecast",
        {"symbol": "IBM", "interval": "daily"},
        since=pd.Timestamp("2026-11-25T14:30:00.000000001Z"),
        until=pd.Timestamp("2026-12-01T00:00:00Z"),
    )
    [deleted] = v2.requests_to("/api/v2/delete")
    assert deleted.query == {"org": "acme", "bucket": "stocks"}
    assert deleted.json() == {
        "start": "2026-11-25T14:30:00.000000001Z",
        "stop": "2026-12-01T00:00:00.000000000Z",
        "predicate": '_measurement="forecast" AND symbol="IBM" AND interval="daily"',
    }


def test_v2_delete_without_bounds_spans_all_time(v2):
    client_of(v2).delete("stocks", "forecast", {"symbol": "IBM"})
    [deleted] = v2.requests_to("/api/v2/delete")
    assert deleted.json()["start"] == "1970-01-01T00:00:00Z"
    assert deleted.json()["stop"] == "2262-01-01T00:00:00Z"


def test_v2_delete_from_an_unknown_bucket(v2):
    with pytest.raises(BucketNotFound) as error:
        client_of(v2).delete("nowhere", "forecast", {"symbol": "IBM"})
    assert "'nowhere'" in error.value.message


def test_v2_a_refused_delete_says_why(v2):
    with pytest.raises(QueryRefused) as error:
        client_of(v2).delete("stocks", "forecast", {"symbol": "A OR B"})
    assert error.value.message.startswith("InfluxDB refused a delete: ")
    assert "OR is not supported" in error.value.message


def test_v2_refused_credentials_are_unavailability(v2):
    v2.status_override = 401
    with pytest.raises(StorageUnavailable) as error:
        client_of(v2).delete("stocks", "forecast", {"symbol": "IBM"})
    assert error.value.message == "InfluxDB refused the configured credentials."


def test_v2_delete_checks_the_bucket_name_first(v2):
    with pytest.raises(BadInput):
        client_of(v2).delete("_bad", "forecast", {"symbol": "IBM"})
    assert v2.requests_to("/api/v2/delete") == []


def test_v3_lists_databases_without_internal_ones(v3):
    v3.buckets |= {"zeta"}
    assert client_of(v3).list_buckets() == ["stocks", "zeta"]
    [listed] = v3.requests_to("/api/v3/configure/database")
    assert listed.method == "GET" and listed.query == {"format": "json"}


def test_v3_creates_a_database(v3):
    client = client_of(v3)
    assert client.create_bucket("fresh") is True
    created = [s for s in v3.requests_to("/api/v3/configure/database") if s.method == "POST"]
    assert [s.json() for s in created] == [{"db": "fresh"}]
    assert client.list_buckets() == ["fresh", "stocks"]
    assert client.create_bucket("fresh") is False


def test_v3_a_database_created_meanwhile_is_no_failure(v3):
    client = client_of(v3)
    client.list_buckets = lambda: []
    assert client.create_bucket("stocks") is True  # 409 from the server


def test_v3_a_refused_listing_says_so(v3):
    v3.status_override = 400
    with pytest.raises(QueryRefused) as error:
        client_of(v3).list_buckets()
    assert error.value.message.startswith("InfluxDB refused to list databases: ")


def test_v3_a_refused_create_says_so(v3):
    client = client_of(v3)
    client.list_buckets = lambda: []
    v3.status_override = 422
    with pytest.raises(QueryRefused) as error:
        client.create_bucket("fresh")
    assert "'fresh'" in error.value.message


def test_v3_delete_sends_nothing(v3):
    client_of(v3).delete("stocks", "forecast", {"symbol": "IBM"})
    assert [s.path for s in v3.seen] == ["/ping"]


def test_v3_server_faults_are_unavailability(v3):
    v3.status_override = 503
    with pytest.raises(StorageUnavailable):
        client_of(v3).list_buckets()

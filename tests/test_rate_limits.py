"""Rate limits: a budget of writes and one of expensive reads per token, or per address.

Limits are off in the other tests; these turn them on with small budgets.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import create_event, event_body
from tests.served import free_port
from timeline import create_app
from timeline.auth import create_token
from timeline.config import settings
from timeline.db import db

REDIS_URL = "redis://127.0.0.1:6379/0"
EVENTS = "/api/v1/events"
SUMMARY = "/api/v1/timelines/IN-RU/summary"
OTHER_ADDRESS = {"REMOTE_ADDR": "127.0.0.2"}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_WRITES": "2 per minute",
        "RATELIMIT_EXPENSIVE_READS": "2 per minute",
    }


def _refusal(kind: str, name: str, budget: str) -> dict[str, Any]:
    return {
        "type": "urn:timeline:problem:rate-limited",
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"The {kind} '{name}' has used up its budget of {budget} (2 per 1 minute); "
        "retry after the seconds in Retry-After.",
    }


def _assert_refused(response: Any, kind: str, name: str, budget: str) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == _refusal(kind, name, budget)
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    now = time.time()
    # The oldest of the two counted requests leaves the one-minute window first.
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert now < int(response.headers["X-RateLimit-Reset"]) <= now + 61


def _stored_titles(client: FlaskClient) -> list[str]:
    response = client.get(EVENTS)
    assert response.status_code == 200
    return [item["title"] for item in response.get_json()["items"]]


def _stored_ids(client: FlaskClient) -> list[str]:
    return [item["id"] for item in client.get(EVENTS).get_json()["items"]]


def test_each_token_has_its_own_write_budget(client, tokens):
    first = client.post(EVENTS, json=event_body(title="One"), headers=tokens.editor)
    assert first.status_code == 201
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert "Retry-After" not in first.headers
    create_event(client, tokens.editor, title="Two")

    refused = client.post(EVENTS, json=event_body(title="Three"), headers=tokens.editor)
    _assert_refused(refused, "token", "editor", "writes")
    # Every kind of write spends the same budget.
    event_id = _stored_ids(client)[0]
    edit = client.patch(
        f"{EVENTS}/{event_id}", json={"title": "Edited"}, headers={**tokens.editor, "If-Match": "*"}
    )
    _assert_refused(edit, "token", "editor", "writes")

    # Another token from the same address has its own budget.
    create_event(client, tokens.editor2, title="Four")
    assert sorted(_stored_titles(client)) == ["Four", "One", "Two"]


def test_expensive_reads_are_limited_per_address(client, tokens):
    create_event(client, tokens.editor)
    assert client.get(SUMMARY).status_code == 200
    assert client.get("/api/v1/timelines/IN-RU/csv").status_code == 200

    # Exports, summaries and searches by words share one budget.
    for path in (
        SUMMARY,
        "/api/v1/timelines/IN-RU/timelinejs",
        "/api/v1/timelines/IN-RU?q=visit",
        f"{EVENTS}?q=visit",
    ):
        _assert_refused(client.get(path), "address", "127.0.0.1", "expensive reads")

    # Another address, or a token from this one, has a budget of its own.
    assert client.get(SUMMARY, environ_base=OTHER_ADDRESS).status_code == 200
    assert client.get(SUMMARY, headers=tokens.reviewer).status_code == 200


def test_cheap_reads_health_and_docs_are_never_limited(client, tokens):
    create_event(client, tokens.editor)
    for _ in range(2):
        assert client.get(SUMMARY).status_code == 200
    assert client.get(SUMMARY).status_code == 429

    for path in (
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/docs",
        EVENTS,
        "/api/v1/timelines/IN-RU",
        "/api/v1/pairs",
    ):
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == 200, path
            assert not any(name in response.headers for name in RATE_HEADERS), path


def test_a_refused_write_stores_nothing_even_when_replayed(client, tokens):
    key = {"Idempotency-Key": "k-1"}
    create_event(client, tokens.editor, title="One")
    create_event(client, tokens.editor, title="Two")
    refused = client.post(EVENTS, json=event_body(title="Three"), headers={**tokens.editor, **key})
    _assert_refused(refused, "token", "editor", "writes")
    assert sorted(_stored_titles(client)) == ["One", "Two"]


def test_off_in_tests_unless_turned_on(database_url, tokens):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    client = app.test_client()
    for _ in range(4):
        assert client.get("/api/v1/pairs").status_code == 200
        assert client.get(SUMMARY).status_code == 200
    _dispose(app)


def test_defaults_count_in_memory(monkeypatch, tmp_path):
    for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_WRITES", "RATELIMIT_EXPENSIVE_READS"):
        monkeypatch.delenv(name, raising=False)
    config = settings(str(tmp_path))
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert (config["RATELIMIT_WRITES"], config["RATELIMIT_EXPENSIVE_READS"]) == (
        "60 per minute",
        "120 per minute",
    )
    assert config["RATELIMIT_ENABLED"] is True


def test_a_limit_that_does_not_parse_stops_the_app(database_url):
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_WRITES": "lots"}
    with pytest.raises(
        ValueError, match="RATELIMIT_WRITES: couldn't parse rate limit string 'lots'"
    ):
        create_app(config)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def second_app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """Another instance on the same database, as a second gunicorn worker is."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **app_config})
    yield app
    _dispose(app)


def test_memory_counts_are_per_instance(client, second_app, tokens):
    create_event(client, tokens.editor)
    create_event(client, tokens.editor)
    assert client.post(EVENTS, json=event_body(), headers=tokens.editor).status_code == 429
    create_event(second_app.test_client(), tokens.editor)


def test_counts_in_memory_while_redis_does_not_answer(database_url, app_config):
    config = {**app_config, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **config})
    client = app.test_client()
    # Not 500s: the limits still hold, counted by this instance alone.
    assert [client.get(SUMMARY).status_code for _ in range(3)] == [200, 200, 429]
    _dispose(app)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this run's own in the shared Redis, deleted afterwards."""
    server = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis server at {REDIS_URL}: {error}")
    prefix = f"timeline-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(server.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture
def redis_config(app_config: dict[str, Any], redis_prefix: str) -> dict[str, Any]:
    return {**app_config, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": redis_prefix}


def test_redis_counts_are_shared_between_instances(database_url, redis_config, redis_prefix):
    first, second = (
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, **redis_config})
        for _ in range(2)
    )
    with first.app_context():
        token = {"Authorization": f"Bearer {create_token('editor', 'editor')}"}
    create_event(first.test_client(), token, title="One")
    create_event(second.test_client(), token, title="Two")
    for app in (first, second):
        refused = app.test_client().post(EVENTS, json=event_body(), headers=token)
        _assert_refused(refused, "token", "editor", "writes")
    assert sorted(_stored_titles(first.test_client())) == ["One", "Two"]

    server = redis.Redis.from_url(REDIS_URL)
    assert list(server.scan_iter(match=f"*{redis_prefix}*"))
    server.close()
    for app in (first, second):
        _dispose(app)


def test_limited_operations_document_429(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    limited = {
        operation["operationId"]
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "429" in operation.get("responses", {})
    }
    writes = {
        operation["operationId"]
        for path in spec["paths"].values()
        for method, operation in path.items()
        if method in {"post", "put", "patch", "delete"}
    }
    assert limited == writes | {
        "listPairTimeline",
        "listEvents",
        "getPairTimelineSummary",
        "exportPairTimelineCsv",
        "exportPairTimelineJs",
        "getClaimReview",
    }
    response = spec["components"]["responses"]["TOO_MANY_REQUESTS"]
    assert set(response["headers"]) == {*RATE_HEADERS, "Cache-Control"}  # no-store, as any error
    assert set(response["content"]) == {"application/problem+json"}

"""Security headers on every kind of answer, and no Content-Type on bodiless ones.

In process, on each backend; tests/test_server.py checks the same over real
sockets, including the answers gunicorn gives itself.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import create_event, etag, event_body

API = "/api/v1"
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def assert_security_headers(response: TestResponse, policy: str = API_POLICY) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"] == policy


def test_json_answers_carry_them(client: FlaskClient, tokens) -> None:
    created = client.post(f"{API}/events", json=event_body(), headers=tokens.editor)
    assert created.status_code == 201
    assert_security_headers(created)
    for path in (f"{API}/health", f"{API}/events", f"{API}/openapi.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/json"
        assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", f"{API}/events/nope", {}, 404),
        ("put", f"{API}/pairs", {"json": {}}, 405),
        ("post", f"{API}/events", {"data": "x", "content_type": "text/plain"}, 415),
        ("post", f"{API}/events", {"json": {}}, 401),
        ("post", f"{API}/events", {"data": b" " * (1024 * 1024 + 1)}, 413),
    ],
)
def test_problem_answers_carry_them(
    client: FlaskClient, method: str, path: str, kwargs: dict, status: int
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert_security_headers(response)


def test_unexpected_error_carries_them(client: FlaskClient, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("timeline.api.timelines.pair_page", broken)
    response = client.get(f"{API}/pairs")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert_security_headers(response)


def test_not_modified_has_no_content_type(client: FlaskClient, tokens) -> None:
    event = create_event(client, tokens.editor)
    tag = etag(client, event["id"])
    response = client.get(f"{API}/events/{event['id']}", headers={"If-None-Match": tag})
    assert response.status_code == 304
    assert "Content-Type" not in response.headers
    assert_security_headers(response)


def test_delete_has_no_content_type(client: FlaskClient, tokens) -> None:
    event = create_event(client, tokens.editor)
    headers = {**tokens.editor, "If-Match": etag(client, event["id"])}
    response = client.delete(f"{API}/events/{event['id']}", headers=headers)
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert_security_headers(response)


def test_options_and_preflight_have_no_content_type(client: FlaskClient) -> None:
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "PATCH"}
    for headers in ({}, preflight):
        response = client.options(f"{API}/events/x", headers=headers)
        assert response.status_code == 200
        assert response.data == b""
        assert "Content-Type" not in response.headers
        assert_security_headers(response)


def test_head_keeps_the_content_type_of_get(client: FlaskClient) -> None:
    response = client.head(f"{API}/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert_security_headers(response)


def test_docs_page_gets_the_docs_policy_and_its_assets_the_api_one(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert_security_headers(page, DOCS_POLICY)
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/timeline-init.js"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert_security_headers(response)

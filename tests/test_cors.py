"""CORS for browsers on other origins (timeline/cors.py): preflights and actual requests."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import create_event, etag, event_body
from timeline.config import cors_origins

API = "/api/v1"
ALLOWED = "https://dash.example.org"
OTHER_ALLOWED = "http://localhost:3000"
DISALLOWED = "https://evil.example.net"
EXPOSED = {
    "ETag",
    "Link",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
}


def _preflight(origin: str, method: str, headers: str = "authorization") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def _cors_headers(response: Any) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


class TestListedOrigins:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"CORS_ORIGINS": cors_origins(f"{ALLOWED}, {OTHER_ALLOWED}")}

    @pytest.mark.parametrize(
        ("path", "method", "headers", "methods"),
        [
            ("/pairs", "GET", "authorization", "GET, HEAD"),
            ("/events", "POST", "authorization,content-type,idempotency-key", "GET, HEAD, POST"),
            (
                "/events/{event}",
                "PATCH",
                "authorization, content-type, if-match",
                "DELETE, GET, HEAD, PATCH",
            ),
        ],
        ids=["get", "post", "patch"],
    )
    def test_preflight_from_an_allowed_origin_lists_the_routes_methods(
        self,
        client: FlaskClient,
        tokens: Any,
        path: str,
        method: str,
        headers: str,
        methods: str,
    ) -> None:
        event = create_event(client, tokens.editor)
        url = API + path.format(event=event["id"])
        response = client.options(url, headers=_preflight(ALLOWED, method, headers))
        assert response.status_code == 200
        assert response.data == b""
        asked = sorted(name.strip() for name in headers.split(","))
        assert _cors_headers(response) == {
            "Access-Control-Allow-Origin": ALLOWED,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": ", ".join(asked),
            "Access-Control-Max-Age": "600",
            "Access-Control-Expose-Headers": response.headers["Access-Control-Expose-Headers"],
        }
        assert "Origin" in response.vary

    def test_preflight_for_a_method_the_route_lacks_grants_nothing(
        self, client: FlaskClient
    ) -> None:
        response = client.options(f"{API}/pairs", headers=_preflight(ALLOWED, "DELETE"))
        assert "Access-Control-Allow-Methods" not in response.headers
        assert "Access-Control-Allow-Headers" not in response.headers
        assert "Access-Control-Max-Age" not in response.headers

    def test_preflight_asks_for_a_header_not_allowed(self, client: FlaskClient) -> None:
        response = client.options(
            f"{API}/events", headers=_preflight(ALLOWED, "POST", "content-type, x-secret")
        )
        assert response.headers["Access-Control-Allow-Headers"] == "content-type"

    @pytest.mark.parametrize("method", ["GET", "POST", "PATCH"])
    def test_preflight_from_a_disallowed_origin_gets_no_cors_headers(
        self, client: FlaskClient, method: str
    ) -> None:
        response = client.options(f"{API}/events/x", headers=_preflight(DISALLOWED, method))
        assert _cors_headers(response) == {}
        assert "Origin" in response.vary

    def test_get_from_allowed_origins(self, client: FlaskClient, tokens: Any) -> None:
        create_event(client, tokens.editor)
        for origin in (ALLOWED, OTHER_ALLOWED.upper()):
            response = client.get(f"{API}/timelines/IN-RU", headers={"Origin": origin})
            assert response.status_code == 200
            assert response.headers["Access-Control-Allow-Origin"] == origin
            assert "Access-Control-Allow-Credentials" not in response.headers
            exposed = response.headers["Access-Control-Expose-Headers"].split(", ")
            assert set(exposed) == EXPOSED
            assert response.vary.as_set() == {"origin"}
            cached = {"Origin": origin, "If-None-Match": response.headers["ETag"]}
            again = client.get(f"{API}/timelines/IN-RU", headers=cached)
            assert again.status_code == 304
            assert again.headers["Access-Control-Allow-Origin"] == origin
            assert again.vary.as_set() == {"origin"}

    def test_post_and_patch_from_an_allowed_origin(self, client: FlaskClient, tokens: Any) -> None:
        created = client.post(
            f"{API}/events", json=event_body(), headers={**tokens.editor, "Origin": ALLOWED}
        )
        assert created.status_code == 201
        assert created.headers["Access-Control-Allow-Origin"] == ALLOWED
        assert "Location" in created.headers["Access-Control-Expose-Headers"]
        event_id = created.get_json()["id"]
        headers = {**tokens.editor, "Origin": ALLOWED, "If-Match": etag(client, event_id)}
        edited = client.patch(f"{API}/events/{event_id}", json={"summary": "x"}, headers=headers)
        assert edited.status_code == 200
        assert edited.headers["Access-Control-Allow-Origin"] == ALLOWED
        assert "ETag" in edited.headers["Access-Control-Expose-Headers"]

    @pytest.mark.parametrize("method", ["get", "post", "patch"])
    def test_requests_from_a_disallowed_origin_get_no_cors_headers(
        self, client: FlaskClient, tokens: Any, method: str
    ) -> None:
        event = create_event(client, tokens.editor)
        headers = {**tokens.editor, "Origin": DISALLOWED}
        if method == "get":
            response = client.get(f"{API}/events", headers=headers)
        elif method == "post":
            response = client.post(f"{API}/events", json=event_body(), headers=headers)
        else:
            headers["If-Match"] = etag(client, event["id"])
            response = client.patch(
                f"{API}/events/{event['id']}", json={"summary": "x"}, headers=headers
            )
        assert response.status_code in {200, 201}
        assert _cors_headers(response) == {}
        assert "Origin" in response.vary

    def test_an_answer_without_origin_varies_on_it(self, client: FlaskClient) -> None:
        """A cache must not hand the CORS-less answer to an allowed origin."""
        response = client.get(f"{API}/pairs")
        assert _cors_headers(response) == {}
        assert response.vary.as_set() == {"origin"}
        error = client.get(f"{API}/events/nope")
        assert error.status_code == 404
        assert "Origin" in error.vary


class TestAnyOrigin:
    """The default: '*', for a token API that no cookie authenticates."""

    @pytest.mark.parametrize("headers", [{}, {"Origin": DISALLOWED}])
    def test_every_answer_allows_any_origin_without_credentials(
        self, client: FlaskClient, headers: dict[str, str]
    ) -> None:
        response = client.get(f"{API}/pairs", headers=headers)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert "Vary" not in response.headers

    def test_preflight(self, client: FlaskClient) -> None:
        response = client.options(
            f"{API}/events/x", headers=_preflight(DISALLOWED, "DELETE", "if-match")
        )
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Allow-Methods"] == "DELETE, GET, HEAD, PATCH"
        assert response.headers["Access-Control-Allow-Headers"] == "if-match"

    def test_docs_are_not_cross_origin(self, client: FlaskClient) -> None:
        response = client.get("/docs", headers={"Origin": DISALLOWED})
        assert _cors_headers(response) == {}


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        (None, "*"),
        ("", "*"),
        (" * ", "*"),
        ("https://dash.example.org", ["https://dash.example.org"]),
        (
            "https://dash.example.org/, http://localhost:3000",
            ["https://dash.example.org", "http://localhost:3000"],
        ),
    ],
)
def test_cors_origins_setting(value: str | None, origins: str | list[str]) -> None:
    assert cors_origins(value) == origins


@pytest.mark.parametrize(
    "value", ["dash.example.org", "https://dash.example.org/app", "ftp://x.org", "https://*.x.org"]
)
def test_cors_origins_setting_refuses_what_is_not_an_origin(value: str) -> None:
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        cors_origins(value)

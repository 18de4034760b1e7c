"""Absolute URLs (Link headers) do not trust what a client says it asked.

The ClaimReview url is the publisher's own page (tests/test_exports.py).
"""

from __future__ import annotations

import pytest

from tests.factories import create_event
from timeline.config import public_base_url, settings

API = "/api/v1"
HOSTILE = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
}


@pytest.fixture
def two_events(client, tokens):
    """Two events, so that a page of one has a next page."""
    create_event(client, tokens.editor, title="Second")
    event = create_event(client, tokens.editor, title="First", date="2019-01-01")
    return event["id"]


def _urls(client, headers):
    """The base of the next-page Link, as a client with these headers sees it."""
    page = client.get(f"{API}/timelines/IN-RU?limit=1", headers=headers)
    assert page.status_code == 200, page.get_json()
    cursor = page.get_json()["next_cursor"]
    link = page.headers["Link"]
    suffix = f'{API}/timelines/IN-RU?limit=1&cursor={cursor}>; rel="next"'
    assert link.startswith("<"), link
    assert link.endswith(suffix), link
    return link[1 : -len(suffix)]


class TestPublicBaseUrl:
    @pytest.fixture
    def app_config(self):
        return {"PUBLIC_BASE_URL": "https://timeline.example.org/v"}

    def test_every_absolute_url_is_under_it_whatever_the_host(self, client, two_events):
        assert _urls(client, HOSTILE) == "https://timeline.example.org/v"

    @pytest.mark.parametrize("host", ["", "evil example", "a/b"])
    def test_a_request_without_a_usable_host_is_still_answered(self, client, two_events, host):
        assert _urls(client, {"Host": host}) == "https://timeline.example.org/v"


class TestWithoutPublicBaseUrl:
    def test_urls_use_the_host_and_ignore_forwarded_headers(self, client, two_events):
        headers = {**HOSTILE, "Host": "timeline.example:8080"}
        assert _urls(client, headers) == "http://timeline.example:8080"

    @pytest.mark.parametrize("host", ["", "evil example", "a/b", "x\\y"])
    def test_a_missing_or_invalid_host_is_400(self, client, two_events, host):
        for path in [f"{API}/timelines/IN-RU?limit=1", f"{API}/events/{two_events}"]:
            response = client.get(path, headers={"Host": host})
            assert response.status_code == 400, path
            assert response.get_json() == {
                "type": "urn:timeline:problem:invalid-host",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request has no valid Host header.",
            }


class TestTrustedProxies:
    @pytest.fixture
    def app_config(self):
        return {"TRUSTED_PROXIES": 1}

    def test_the_proxys_forwarded_headers_are_believed(self, client, two_events):
        headers = {
            "Host": "10.0.0.5:8000",
            "X-Forwarded-Host": "api.example.org",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/timeline",
        }
        assert _urls(client, headers) == "https://api.example.org/timeline"

    def test_only_the_last_hop_is_believed(self, client, two_events):
        headers = {
            "Host": "10.0.0.5:8000",
            "X-Forwarded-Host": "evil.example, api.example.org",
            "X-Forwarded-Proto": "http, https",
        }
        assert _urls(client, headers) == "https://api.example.org"


class TestSettings:
    def test_read_from_the_environment(self, monkeypatch, tmp_path):
        monkeypatch.setenv("PUBLIC_BASE_URL", " https://timeline.example.org/api/ ")
        monkeypatch.setenv("TRUSTED_PROXIES", "2")
        config = settings(str(tmp_path))
        assert config["PUBLIC_BASE_URL"] == "https://timeline.example.org/api"
        assert config["TRUSTED_PROXIES"] == 2

    def test_off_by_default(self, monkeypatch, tmp_path):
        monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
        monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
        config = settings(str(tmp_path))
        assert (config["PUBLIC_BASE_URL"], config["TRUSTED_PROXIES"]) == (None, 0)

    @pytest.mark.parametrize(
        "value", ["timeline.example.org", "ftp://x.org", "https://", "https://x.org/?a=1"]
    )
    def test_a_base_url_that_is_not_one_is_refused(self, value):
        with pytest.raises(ValueError, match="PUBLIC_BASE_URL must be"):
            public_base_url(value)

    def test_a_proxy_count_that_is_not_one_is_refused(self, monkeypatch, tmp_path):
        monkeypatch.setenv("TRUSTED_PROXIES", "yes")
        with pytest.raises(ValueError, match="TRUSTED_PROXIES must be a whole number"):
            settings(str(tmp_path))

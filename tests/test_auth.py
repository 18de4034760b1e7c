"""Tokens from the CLI, roles on write routes, and optional token-only reads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import create_event, event_body
from timeline.db import db
from timeline.models import ApiToken

API = "/api/v1"


class TestTokenCli:
    def test_create_prints_the_token_once_and_stores_only_its_hash(self, app, runner, client):
        result = runner.invoke(args=["tokens", "create", "--name", "asha", "--role", "editor"])
        assert result.exit_code == 0, result.output
        secret = result.output.strip().splitlines()[-1]
        assert secret.startswith("tl_")
        with app.app_context():
            stored = db.session.scalars(select(ApiToken)).one()
            assert (stored.name, stored.role) == ("asha", "editor")
            assert secret not in (stored.token_hash, stored.name)
            assert len(stored.token_hash) == 64
        response = client.post(
            f"{API}/events", json=event_body(), headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 201

    def test_list_and_revoke(self, runner, client):
        secret = runner.invoke(args=["tokens", "create", "--name", "r1", "--role", "reviewer"])
        secret = secret.output.strip().splitlines()[-1]
        listed = runner.invoke(args=["tokens", "list"]).output
        assert listed.startswith("r1\treviewer\tcreated ")
        assert listed.rstrip().endswith("active")
        assert secret not in listed
        result = runner.invoke(args=["tokens", "revoke", "r1"])
        assert result.exit_code == 0
        assert "revoked" in runner.invoke(args=["tokens", "list"]).output
        response = client.get(f"{API}/review-queue", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 401
        assert response.get_json()["detail"] == "The token is unknown or has been revoked."

    def test_duplicate_name_and_bad_role_are_refused(self, runner):
        runner.invoke(args=["tokens", "create", "--name", "a", "--role", "admin"])
        again = runner.invoke(args=["tokens", "create", "--name", "a", "--role", "admin"])
        assert again.exit_code != 0
        assert "A token named 'a' exists" in again.output
        bad = runner.invoke(args=["tokens", "create", "--name", "b", "--role", "boss"])
        assert bad.exit_code != 0

    @pytest.mark.parametrize(
        ("name", "why"),
        [
            ("", "Length must be between 1 and 80."),
            ("n" * 81, "Length must be between 1 and 80."),
            ("   ", "Text cannot be only whitespace."),
            (
                "Asha\tRao",
                "Text cannot contain line breaks, tabs or other control characters "
                "(found U+0009 at character 5).",
            ),
        ],
    )
    def test_a_name_that_breaks_the_rules_for_text_is_refused(self, app, runner, name, why):
        result = runner.invoke(args=["tokens", "create", "--name", name, "--role", "editor"])

        assert result.exit_code == 2
        assert result.output.endswith(f"Error: Invalid value for '--name': {why}\n")
        with app.app_context():
            assert db.session.scalars(select(ApiToken)).all() == []

    def test_revoke_unknown_name(self, runner):
        result = runner.invoke(args=["tokens", "revoke", "ghost"])
        assert result.exit_code != 0
        assert "No token is named 'ghost'." in result.output


class TestWriteAccess:
    def test_no_token_is_401_with_challenge(self, client):
        response = client.post(f"{API}/events", json=event_body())
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="timeline"'
        assert response.get_json() == {
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "detail": "This operation needs an API token: send 'Authorization: Bearer <token>'.",
        }

    @pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer tl_unknown", "tl_x"])
    def test_bad_tokens_are_401(self, client, header):
        response = client.post(
            f"{API}/events", json=event_body(), headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"

    def test_wrong_role_is_403(self, client, tokens):
        response = client.post(f"{API}/events", json=event_body(), headers=tokens.reviewer)
        assert response.status_code == 403
        assert response.get_json()["detail"] == (
            "The token 'reviewer' has the role 'reviewer'; this operation needs one of: "
            "admin, editor."
        )

    def test_auth_comes_before_body_validation(self, client):
        response = client.post(f"{API}/events", json={"bad": 1})
        assert response.status_code == 401

    def test_admin_may_write_events(self, client, tokens):
        assert create_event(client, tokens.admin)["claim_status"] == "unverified"


class TestReadsRequireToken:
    @pytest.fixture
    def app_config(self):
        return {"READS_REQUIRE_TOKEN": True}

    def test_reads_need_a_token_but_health_does_not(self, client, tokens):
        assert client.get(f"{API}/timelines/IN-RU").status_code == 401
        assert client.get(f"{API}/timelines/IN-RU", headers=tokens.reviewer).status_code == 200
        assert client.get(f"{API}/health").status_code == 200


def test_reads_are_public_by_default(client):
    assert client.get(f"{API}/timelines/IN-RU").status_code == 200

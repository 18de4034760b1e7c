"""What an operator sees: demo data, health, the OpenAPI document, migrations."""

from __future__ import annotations

from pathlib import Path

import yaml
from openapi_spec_validator import validate

from timeline import create_app

API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent


class TestDemo:
    def test_load_is_idempotent_and_builds_the_india_russia_timeline(self, runner, client):
        first = runner.invoke(args=["demo", "load"])
        assert first.output.strip() == "Loaded 6 demo events."
        second = runner.invoke(args=["demo", "load"])
        assert second.output.strip() == "The demo events are already loaded."
        items = client.get(f"{API}/timelines/RU-IN").get_json()["items"]
        assert [(i["date_label"], i["claim_status"]) for i in items] == [
            ("c. 1969", "unverified"),
            ("c. 2019", "verified"),
            ("2019", "verified"),
            ("2019", "in_review"),
            ("Nov 2019", "unverified"),
            ("5 Nov 2019", "verified"),
        ]
        visit = items[-1]
        assert visit["date_precision"] == "day"
        assert {"Rajnath Singh", "Ajay Kumar", "G Satheesh Reddy"} <= set(visit["actors"])
        rifles = items[1]
        assert rifles["location"]["name"] == "Amethi"
        assert "AK-203" in rifles["citations"][0]["quote"]
        sources = {c["source"]["id"] for item in items for c in item["citations"]}
        assert len(sources) == 1
        assert client.get(f"{API}/sources").get_json()["items"][0]["publisher"] == "ANI"


class TestHealth:
    def test_reports_the_database(self, client):
        response = client.get(f"{API}/health")
        assert response.status_code == 200
        assert response.get_json()["status"] == "ok"
        assert response.get_json()["database"] == "ok"


class TestOpenApi:
    def test_committed_file_matches_the_code(self, tmp_path):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'spec.db'}"})
        result = app.test_cli_runner().invoke(args=["openapi", "print", "--format=yaml"])
        assert result.exit_code == 0
        committed = (ROOT / "openapi.yaml").read_text()
        assert yaml.safe_load(result.output) == yaml.safe_load(committed), (
            "openapi.yaml is out of date: run 'make openapi' and commit it"
        )

    def test_committed_file_is_valid(self):
        validate(yaml.safe_load((ROOT / "openapi.yaml").read_text()))

    def test_served_at_api_v1(self, client):
        response = client.get(f"{API}/openapi.json")
        assert response.status_code == 200
        spec = response.get_json()
        assert spec["openapi"].startswith("3.1")
        assert "/api/v1/timelines/{pair}" in spec["paths"]

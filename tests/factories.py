"""Request bodies and helpers shared by the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event

from timeline import changes, services
from timeline.db import db
from timeline.domain.countries import country
from timeline.models import NewEvent

SEED_URL = "https://www.aninews.in/news/national/general-news/india-russia-defence20191029/"


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Defence Minister visits Russia",
        "summary": "A visit with an industry delegation.",
        "date": "2019-11-05",
        "countries": ["IN", "RU"],
        "actors": ["Rajnath Singh"],
        "tags": ["visit"],
    }
    body.update(overrides)
    return body


def source_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": SEED_URL,
        "title": "India, Russia to push Make in India in defence",
        "publisher": "ANI",
        "published_on": "2019-10-29",
    }
    body.update(overrides)
    return body


def create_event(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/events", json=event_body(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def etag(client: FlaskClient, event_id: str) -> str:
    response = client.get(f"/api/v1/events/{event_id}")
    assert response.status_code == 200, response.get_json()
    return str(response.headers["ETag"])


def cite(
    client: FlaskClient,
    headers: dict[str, str],
    event_id: str,
    stance: str = "supports",
    url: str = SEED_URL,
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/events/{event_id}/citations",
        json={"source": source_body(url=url), "quote": "A quoted sentence.", "stance": stance},
        headers={**headers, "If-Match": etag(client, event_id)},
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def review(
    client: FlaskClient, headers: dict[str, str], event_id: str, status: str, note: str = "Checked."
) -> Any:
    return client.post(
        f"/api/v1/events/{event_id}/reviews",
        json={"status": status, "note": note},
        headers={**headers, "If-Match": etag(client, event_id)},
    )


def bulk_events(app: Flask, specs: list[dict[str, Any]]) -> list[str]:
    """Store events in IN-RU (unless a spec says otherwise) the way a bulk import does
    (``services.new_events``, ``changes.insert_new_events``); their ids."""
    with app.app_context():
        inputs = [
            {"countries": [country("IN"), country("RU")], "summary": "", "actors": [], **spec}
            for spec in specs
        ]
        events = services.new_events(inputs, "bulk")
        stored = [event for event in events if isinstance(event, NewEvent)]
        assert len(stored) == len(events), events  # no spec cites an unknown source
        changes.insert_new_events(stored)
        db.session.commit()
        return [event.id for event in stored]


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements, with their parameters, that the app runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)

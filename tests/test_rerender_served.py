"""The served app brings a large source edit's events up to date by itself, including
work that a server left undone when it stopped."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.factories import source_body
from tests.served import ServedApp, served_app

API = "/api/v1"
EVENTS = 5
SETTINGS = {"SOURCE_RERENDER_INLINE_MAX": "3", "SOURCE_RERENDER_BATCH": "2"}


def _call(
    app: ServedApp, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{app.base_url}{API}{path}", data=data, method=method, headers=headers or {}
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, dict(answer.headers), json.loads(answer.read() or b"null")


def _cited_titles(app: ServedApp, event_ids: list[str]) -> set[str]:
    return {
        _call(app, "GET", f"/events/{event_id}")[2]["citations"][0]["source"]["title"]
        for event_id in event_ids
    }


def test_pending_work_is_done_by_the_next_server_and_by_the_one_that_took_the_edit(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    stopped = {**SETTINGS, "SOURCE_RERENDER_WORKER": "0"}
    with served_app(url, tmp_path, workers=1, settings=stopped) as app:
        editor = {"Authorization": f"Bearer {app.create_token('editor', 'editor')}"}
        _status, headers, source = _call(app, "POST", "/sources", source_body(), editor)
        citation = {"source_id": source["id"], "quote": "q", "stance": "supports"}
        body = {"title": "Talks", "date": "2019-11-05", "countries": ["IN", "RU"]}
        event_ids = [
            _call(app, "POST", "/events", {**body, "citations": [citation]}, editor)[2]["id"]
            for _ in range(EVENTS)
        ]
        status, headers, _source = _call(
            app,
            "PATCH",
            f"/sources/{source['id']}",
            {"title": "First correction"},
            {**editor, "If-Match": headers["ETag"]},
        )
        assert (status, headers["Citing-Events-Pending"]) == (200, str(EVENTS))
        # This server does no background work: the edit waits for the next one.
        assert _cited_titles(app, event_ids) == {source["title"]}

    with served_app(url, tmp_path, workers=2, settings=SETTINGS) as app:
        _wait_for_titles(app, event_ids, "First correction")
        _status, headers, _source = _call(app, "GET", f"/sources/{source['id']}")
        status, headers, _source = _call(
            app,
            "PATCH",
            f"/sources/{source['id']}",
            {"title": "Second correction"},
            {**editor, "If-Match": headers["ETag"]},
        )
        assert (status, headers["Citing-Events-Pending"]) == (200, str(EVENTS))
        _wait_for_titles(app, event_ids, "Second correction")
        for event_id in event_ids:
            revisions = _call(app, "GET", f"/events/{event_id}/revisions")[2]["items"]
            assert [r["version"] for r in revisions] == [1, 2]


def _wait_for_titles(app: ServedApp, event_ids: list[str], title: str) -> None:
    deadline = time.monotonic() + 30
    while _cited_titles(app, event_ids) != {title} and time.monotonic() < deadline:
        time.sleep(0.1)  # the interval between polls
    assert _cited_titles(app, event_ids) == {title}

"""Races against a served app on PostgreSQL: no lost update, no doubled create.

Real concurrency needs real processes and a real database, so this module does
not use the per-backend fixtures: it makes its own PostgreSQL database next to
TEST_DATABASE_URL, migrates it and makes tokens with the CLI, serves the app
with gunicorn (4 gevent workers), and sends requests from threads
released together by a barrier.

- Two reviewers post a review with the same If-Match: exactly one 201, one
  412 (with the current ETag), and exactly one entry in the history.
- Two editors PATCH with the same If-Match: one 200, one 412, one revision.
- Twenty creates with one Idempotency-Key: one event, every answer the 201
  (first or replayed) or a 409 "in progress".
- Two creates citing the same new source URL inline: both 201, one source.
- Two creates citing two new URLs in opposite orders: both 201 (no deadlock).
- Two editors PATCH one source with the same If-Match: one 200, one 412.
- Editors and reviewers create, edit, review, move, re-source and delete events
  while a reader follows the sync feed: the mirrors built from the feed equal the
  timelines, and every event's versions arrive once each, in order.
- Readers released together after each write, every worker having kept the pair's
  answers from before it (timeline/caching.py): each read shows the write.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.served import served_app

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set: the PostgreSQL concurrency tests need a server",
)

PROBLEM_JSON = "application/problem+json"
STALE = "urn:timeline:problem:stale-etag"
KEY_IN_PROGRESS = "urn:timeline:problem:idempotency-key-in-progress"
ROUNDS = 30
IDEMPOTENT_ROUNDS = 5
IDEMPOTENT_CLIENTS = 20
TIMEOUT = 30.0


# --- a plain HTTP client ------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", "")).split(";")[0].strip()


@dataclass
class Server:
    port: int
    tokens: dict[str, str] = field(default_factory=dict)

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        connection.connect()
        return connection

    def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        connection: http.client.HTTPConnection | None = None,
    ) -> Answer:
        """One request on its own connection (or on ``connection``, opened beforehand)."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {self.tokens[token]}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        connection = connection or self.connect()
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return Answer(response.status, response.headers, json.loads(raw) if raw else None)


def _together(server: Server, *requests: dict[str, Any]) -> list[Answer]:
    """Send the requests (``Server.send`` arguments) from threads, each connected
    first, all released at once by a barrier; the answers in the same order."""
    barrier = threading.Barrier(len(requests))
    answers: list[Answer | BaseException | None] = [None] * len(requests)

    def run(i: int, request: dict[str, Any]) -> None:
        try:
            connection = server.connect()
            barrier.wait(timeout=TIMEOUT)
            answers[i] = server.send(**request, connection=connection)
        except BaseException as error:  # reported by the main thread
            barrier.abort()
            answers[i] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
        assert not thread.is_alive(), "a request did not come back: a deadlock?"
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return [answer for answer in answers if isinstance(answer, Answer)]


# --- the served app -----------------------------------------------------------


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    name = f"timeline_race_{secrets.token_hex(6)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    roles = {
        "editor": "editor",
        "editor-b": "editor",
        "reviewer-a": "reviewer",
        "reviewer-b": "reviewer",
    }
    log_dir = tmp_path_factory.mktemp("gunicorn")
    with _database() as url, served_app(url, log_dir, workers=4) as app:
        server = Server(port=app.port)
        with ThreadPoolExecutor() as pool:  # one CLI run per token, side by side
            secrets_by_name = pool.map(lambda name: app.create_token(name, roles[name]), roles)
            server.tokens.update(zip(roles, secrets_by_name, strict=True))
        yield server


# --- helpers ------------------------------------------------------------------


def _new_event(server: Server, title: str) -> dict[str, Any]:
    unique = secrets.token_hex(8)
    answer = server.send(
        "POST",
        "/api/v1/events",
        token="editor",
        body={
            "title": title,
            "summary": "A visit with an industry delegation.",
            "date": "2019-11-05",
            "countries": ["IN", "RU"],
            "citations": [
                {
                    "source": {
                        "url": f"https://example.org/race/{unique}",
                        "title": "India, Russia to push Make in India in defence",
                        "publisher": "ANI",
                        "published_on": "2019-10-29",
                    },
                    "quote": "A quoted sentence.",
                    "stance": "supports",
                }
            ],
        },
    )
    assert answer.status == 201, answer.body
    event: dict[str, Any] = answer.body
    return event


def _etag(server: Server, event_id: str) -> str:
    answer = server.send("GET", f"/api/v1/events/{event_id}")
    assert answer.status == 200, answer.body
    return str(answer.headers["ETag"])


def _assert_stale(answer: Answer, current_etag: str) -> None:
    assert answer.status == 412, answer.body
    assert answer.content_type == PROBLEM_JSON
    assert answer.body["type"] == STALE
    assert answer.headers["ETag"] == current_etag
    assert answer.body["current_etag"] == current_etag


# --- the races ----------------------------------------------------------------


def test_two_reviewers_with_one_etag_one_wins(server: Server) -> None:
    wanted = {"reviewer-a": "verified", "reviewer-b": "in_review"}
    wins = dict.fromkeys(wanted, 0)
    for _ in range(ROUNDS):
        event = _new_event(server, f"Race {secrets.token_hex(6)}")
        path = f"/api/v1/events/{event['id']}"
        seen = {reviewer: _etag(server, event["id"]) for reviewer in wanted}
        assert seen["reviewer-a"] == seen["reviewer-b"]

        reviews = [
            {
                "method": "POST",
                "path": f"{path}/reviews",
                "token": reviewer,
                "body": {"status": status, "note": f"Checked by {reviewer}."},
                "headers": {"If-Match": seen[reviewer]},
            }
            for reviewer, status in wanted.items()
        ]
        answers = dict(zip(wanted, _together(server, *reviews), strict=True))
        statuses = sorted(answer.status for answer in answers.values())
        assert statuses == [201, 412], {r: (a.status, a.body) for r, a in answers.items()}
        winner = next(r for r, a in answers.items() if a.status == 201)
        loser = next(r for r in wanted if r != winner)
        wins[winner] += 1
        won = answers[winner]
        assert won.body["reviewer"] == winner
        assert won.body["to_status"] == wanted[winner]
        _assert_stale(answers[loser], won.headers["ETag"])

        history = server.send("GET", f"{path}/reviews").body["items"]
        assert [(r["reviewer"], r["from_status"], r["to_status"]) for r in history] == [
            (winner, "unverified", wanted[winner])
        ]
        assert [r["id"] for r in history] == [won.body["id"]]
        revisions = server.send("GET", f"{path}/revisions").body["items"]
        assert [(r["version"], r["changed_by"]) for r in revisions] == [(1, winner)]
        now = server.send("GET", path)
        assert now.headers["ETag"] == won.headers["ETag"]
        assert (now.body["claim_status"], now.body["version"]) == (wanted[winner], 2)
    print(f"review races: {ROUNDS}, wins {wins}")


def test_two_editors_with_one_etag_one_wins(server: Server) -> None:
    editors = ["editor", "editor-b"]
    wins = dict.fromkeys(editors, 0)
    for _ in range(ROUNDS):
        event = _new_event(server, f"Race {secrets.token_hex(6)}")
        path = f"/api/v1/events/{event['id']}"
        seen = {editor: _etag(server, event["id"]) for editor in editors}
        assert seen["editor"] == seen["editor-b"]

        edits = [
            {
                "method": "PATCH",
                "path": path,
                "token": editor,
                "body": {"summary": f"Summary as {editor} wrote it."},
                "headers": {"If-Match": seen[editor]},
            }
            for editor in editors
        ]
        answers = dict(zip(editors, _together(server, *edits), strict=True))
        statuses = sorted(answer.status for answer in answers.values())
        assert statuses == [200, 412], {e: (a.status, a.body) for e, a in answers.items()}
        winner = next(e for e, a in answers.items() if a.status == 200)
        loser = next(e for e in editors if e != winner)
        wins[winner] += 1
        won = answers[winner]
        _assert_stale(answers[loser], won.headers["ETag"])

        revisions = server.send("GET", f"{path}/revisions").body["items"]
        assert [(r["version"], r["changed_by"], r["changed_fields"]) for r in revisions] == [
            (1, winner, ["summary"])
        ]
        now = server.send("GET", path)
        assert now.headers["ETag"] == won.headers["ETag"]
        assert now.body["summary"] == f"Summary as {winner} wrote it."
        assert now.body["version"] == 2
        assert now.body == won.body
    print(f"edit races: {ROUNDS}, wins {wins}")


def test_twenty_creates_with_one_idempotency_key_make_one_event(server: Server) -> None:
    tally = {"created": 0, "replayed": 0, "in_progress": 0}
    for _ in range(IDEMPOTENT_ROUNDS):
        title = f"Idempotent race {secrets.token_hex(6)}"
        key = f"race-{secrets.token_hex(8)}"
        body = {"title": title, "date": "2019-11-05", "countries": ["IN", "RU"]}

        create = {
            "method": "POST",
            "path": "/api/v1/events",
            "token": "editor",
            "body": body,
            "headers": {"Idempotency-Key": key},
        }
        answers = _together(server, *[create] * IDEMPOTENT_CLIENTS)
        created = [a for a in answers if a.status == 201]
        others = [a for a in answers if a.status != 201]
        for answer in others:
            assert answer.status == 409, (answer.status, answer.body)
            assert answer.content_type == PROBLEM_JSON
            assert answer.body["type"] == KEY_IN_PROGRESS
        assert created, [a.status for a in answers]
        first = [a for a in created if a.headers.get("Idempotent-Replayed") != "true"]
        assert len(first) == 1, [a.status for a in answers]
        event_id = first[0].body["id"]
        for answer in created:
            assert answer.body["id"] == event_id
            assert answer.headers["Location"] == f"/api/v1/events/{event_id}"
        tally["created"] += 1
        tally["replayed"] += len(created) - 1
        tally["in_progress"] += len(others)

        query = urllib.parse.urlencode({"q": title})
        found = server.send("GET", f"/api/v1/events?{query}").body["items"]
        assert [event["id"] for event in found] == [event_id]

        retry = server.send(
            "POST", "/api/v1/events", token="editor", body=body, headers={"Idempotency-Key": key}
        )
        assert retry.status == 201, retry.body
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.body["id"] == event_id
    print(f"idempotent races: {IDEMPOTENT_ROUNDS} x {IDEMPOTENT_CLIENTS} clients, {tally}")


def _create_citing(urls: list[str], title: str) -> dict[str, Any]:
    """A createEvent request citing each of ``urls`` as a new source given inline."""
    return {
        "method": "POST",
        "path": "/api/v1/events",
        "token": "editor",
        "body": {
            "title": title,
            "date": "2019-11-05",
            "countries": ["IN", "RU"],
            "citations": [
                {
                    "source": {"url": url, "title": f"Report at {url}", "publisher": "ANI"},
                    "quote": "A quoted sentence.",
                    "stance": "supports",
                }
                for url in urls
            ],
        },
    }


def _source_ids(answer: Answer) -> list[str]:
    return [citation["source"]["id"] for citation in answer.body["citations"]]


def test_two_creates_citing_one_new_url_share_one_source(server: Server) -> None:
    statuses: collections.Counter[int] = collections.Counter()
    for _ in range(ROUNDS):
        url = f"https://example.org/shared/{secrets.token_hex(6)}"
        answers = _together(server, _create_citing([url], "First"), _create_citing([url], "Second"))
        statuses.update(answer.status for answer in answers)
        assert [answer.status for answer in answers] == [201, 201], [a.body for a in answers]
        (first,), (second,) = (_source_ids(answer) for answer in answers)
        assert first == second
        by_url = server.send("GET", f"/api/v1/sources?{urllib.parse.urlencode({'url': url})}")
        assert [source["id"] for source in by_url.body["items"]] == [first]
    print(f"creates citing one new URL: {ROUNDS} rounds x 2, statuses {dict(statuses)}")


def test_two_creates_citing_two_new_urls_in_opposite_orders_both_succeed(server: Server) -> None:
    statuses: collections.Counter[int] = collections.Counter()
    for _ in range(ROUNDS):
        unique = secrets.token_hex(6)
        a, b = f"https://example.org/a/{unique}", f"https://example.org/b/{unique}"
        answers = _together(server, _create_citing([a, b], "A, B"), _create_citing([b, a], "B, A"))
        statuses.update(answer.status for answer in answers)
        assert [answer.status for answer in answers] == [201, 201], [a.body for a in answers]
        forward, backward = (_source_ids(answer) for answer in answers)
        assert forward == list(reversed(backward))
    print(f"creates citing two new URLs in opposite orders: {ROUNDS} rounds x 2, {dict(statuses)}")


def test_two_editors_edit_one_source_with_one_etag_one_wins(server: Server) -> None:
    event = _new_event(server, f"Source race {secrets.token_hex(6)}")
    path = f"/api/v1/sources/{event['citations'][0]['source']['id']}"
    for round_number in range(ROUNDS):
        seen = server.send("GET", path).headers["ETag"]
        edits = [
            {
                "method": "PATCH",
                "path": path,
                "token": editor,
                "body": {"author": f"Named by {editor} in round {round_number}"},
                "headers": {"If-Match": seen},
            }
            for editor in ("editor", "editor-b")
        ]
        answers = _together(server, *edits)
        assert sorted(answer.status for answer in answers) == [200, 412], [a.body for a in answers]
        won = next(answer for answer in answers if answer.status == 200)
        _assert_stale(
            next(answer for answer in answers if answer.status == 412), won.headers["ETag"]
        )
        now = server.send("GET", path)
        assert (now.headers["ETag"], now.body) == (won.headers["ETag"], won.body)


# --- the sync feed under concurrent writes ------------------------------------

FEED_WRITERS = 6
FEED_ROUNDS = 5
# Writers start no round after this; the reader must then catch up within TIMEOUT.
FEED_SECONDS = 90.0
FEED_PAIR = "IN-JP"


@dataclass
class _Mirror:
    """A dashboard's copy built from the feed alone: one unfiltered, one of one pair."""

    pair: str | None
    since: str | None = None
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursors: list[int] = field(default_factory=list)
    versions: dict[str, list[int]] = field(default_factory=lambda: collections.defaultdict(list))

    def poll(self, server: Server) -> bool:
        """Apply the next page of the feed; whether more was there already."""
        query = {"limit": 50, **({"pair": self.pair} if self.pair else {})}
        if self.since is not None:
            query["since"] = self.since
        answer = server.send("GET", f"/api/v1/changes?{urllib.parse.urlencode(query)}")
        assert answer.status == 200, answer.body
        for item in answer.body["items"]:
            self.cursors.append(int(item["cursor"]))
            self.versions[item["event_id"]].append(item["version"])
            if item["event"] is not None and (self.pair is None or self.pair in item["pairs"]):
                self.events[item["event_id"]] = item
            else:
                self.events.pop(item["event_id"], None)
        self.since = answer.body["next_cursor"]
        return bool(answer.body["has_more"])

    def timeline(self) -> list[dict[str, Any]]:
        return [item["event"] for item in sorted(self.events.values(), key=lambda i: i["sort_key"])]


def _read_all(server: Server, path: str) -> list[dict[str, Any]]:
    """Every event of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        answer = server.send("GET", f"{path}?{urllib.parse.urlencode(query)}")
        assert answer.status == 200, answer.body
        items += answer.body["items"]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return items


def _write_events(server: Server, writer: int, deadline: float) -> int:
    """One writer's rounds on events of its own: each request must succeed. The number
    of writes made."""
    editor = ("editor", "editor-b")[writer % 2]
    reviewer = ("reviewer-a", "reviewer-b")[writer % 2]
    writes = 0

    def send(method: str, path: str, token: str, etag: str | None, body: Any = None) -> Answer:
        nonlocal writes
        headers = {"If-Match": etag} if etag else {}
        answer = server.send(method, path, token=token, body=body, headers=headers)
        assert answer.status in (200, 201, 204), (method, path, answer.status, answer.body)
        writes += 1
        return answer

    source = send(
        "POST",
        "/api/v1/sources",
        editor,
        None,
        {"url": f"https://example.org/feed/{secrets.token_hex(8)}", "title": "A report"},
    )
    source_etag = source.headers["ETag"]
    for round_number in range(FEED_ROUNDS):
        if time.monotonic() > deadline:
            break
        body = {
            "title": f"Writer {writer} round {round_number}",
            "date": f"2019-{1 + round_number:02d}",
            "countries": ["IN", "JP"],
            "citations": [
                {"source_id": source.body["id"], "quote": "A sentence.", "stance": "supports"}
            ],
        }
        created = send("POST", "/api/v1/events", editor, None, body)
        path = f"/api/v1/events/{created.body['id']}"
        etag = created.headers["ETag"]
        etag = send("PATCH", path, editor, etag, {"summary": "Edited."}).headers["ETag"]
        review = {"status": "verified", "note": "Checked."}
        etag = send("POST", f"{path}/reviews", reviewer, etag, review).headers["ETag"]
        # Out of the pair's timeline and back: its mirror drops the event, then has it again.
        etag = send("PATCH", path, editor, etag, {"countries": ["IN", "CN"]}).headers["ETag"]
        etag = send("PATCH", path, editor, etag, {"countries": ["JP", "IN"]}).headers["ETag"]
        # Changes every live event of this writer that cites the source, in one transaction.
        edit = {"title": f"A report, round {round_number}"}
        source_path = f"/api/v1/sources/{source.body['id']}"
        source_etag = send("PATCH", source_path, editor, source_etag, edit).headers["ETag"]
        if round_number % 3 == 1:
            send("DELETE", path, editor, server.send("GET", path).headers["ETag"])
    return writes


def test_a_mirror_following_the_feed_during_writes_equals_the_timeline(server: Server) -> None:
    deadline = time.monotonic() + FEED_SECONDS
    everything, pair = _Mirror(pair=None), _Mirror(pair=FEED_PAIR)
    writers_done = threading.Event()
    barrier = threading.Barrier(FEED_WRITERS + 1)
    polls = 0

    def follow() -> None:
        nonlocal polls
        barrier.wait(timeout=TIMEOUT)
        while time.monotonic() < deadline + TIMEOUT:
            finished = writers_done.is_set()  # before the polls: they then see every write
            more = [mirror.poll(server) for mirror in (everything, pair)]
            polls += 2
            if finished and not any(more):
                return
        raise AssertionError("the feed reader did not catch up in time")

    def write(writer: int) -> int:
        barrier.wait(timeout=TIMEOUT)
        return _write_events(server, writer, deadline)

    with ThreadPoolExecutor(FEED_WRITERS + 1) as pool:
        reader = pool.submit(follow)
        writers = [pool.submit(write, writer) for writer in range(FEED_WRITERS)]
        try:
            writes = sum(writer.result(timeout=FEED_SECONDS + TIMEOUT) for writer in writers)
        finally:
            writers_done.set()
        reader.result(timeout=TIMEOUT * 2)

    assert pair.timeline() == _read_all(server, f"/api/v1/timelines/{FEED_PAIR}")
    assert everything.timeline() == _read_all(server, "/api/v1/events")
    # The unfiltered feed has every position once, in order, and every version of every
    # event (deleted or not) once, in order: nothing missed, nothing doubled.
    assert everything.cursors == list(range(1, len(everything.cursors) + 1))
    for event_id, versions in everything.versions.items():
        assert versions == list(range(1, len(versions) + 1)), event_id
    # The counts the writers kept as they committed agree with the timelines.
    listed = {item["id"]: item["event_count"] for item in _read_all(server, "/api/v1/pairs")}
    for pair_id in (FEED_PAIR, "CN-IN"):
        events = _read_all(server, f"/api/v1/timelines/{pair_id}")
        summary = server.send("GET", f"/api/v1/timelines/{pair_id}/summary").body
        by_status = {s: sum(e["claim_status"] == s for e in events) for s in summary["by_status"]}
        assert (summary["total"], summary["by_status"]) == (len(events), by_status), pair_id
        assert listed.get(pair_id, 0) == len(events), pair_id
    print(
        f"feed race: {FEED_WRITERS} writers, {writes} writes, {polls} feed polls, "
        f"{len(everything.cursors)} entries, {len(pair.events)} events in {FEED_PAIR}"
    )


KEPT_PAIR = "FJ-TO"
KEPT_ROUNDS = 8
KEPT_READERS = 16


def test_every_worker_reads_a_write_after_it_despite_the_answers_it_kept(
    server: Server,
) -> None:
    """Each worker keeps the last answer of each timeline read; a write in one worker
    must show in the next read from every worker, not only the one that wrote."""
    reads = [
        f"/api/v1/timelines/{KEPT_PAIR}?limit=200",
        f"/api/v1/timelines/{KEPT_PAIR}/summary",
        "/api/v1/pairs?limit=200",
    ]

    def read_all() -> list[Answer]:
        """Each read by KEPT_READERS clients at once: spread over the workers."""
        requests = [{"method": "GET", "path": path} for path in reads] * KEPT_READERS
        answers = _together(server, *requests)
        assert {answer.status for answer in answers} == {200}
        return answers

    created: list[str] = []
    for round_ in range(KEPT_ROUNDS):
        read_all()  # the answers every worker keeps now
        answer = server.send(
            "POST",
            "/api/v1/events",
            token="editor",
            body={"title": f"Kept {round_}", "date": "2021-03-04", "countries": ["FJ", "TO"]},
        )
        assert answer.status == 201, answer.body
        created.append(answer.body["id"])
        for read in read_all():
            body = read.body
            if "total" in body:
                assert body["total"] == len(created)
            elif "pair" in body:
                assert [item["id"] for item in body["items"]] == created
            else:
                counts = {item["id"]: item["event_count"] for item in body["items"]}
                assert counts[KEPT_PAIR] == len(created)

"""HTTP caching of reads: ETag, 304 without a body, Cache-Control and Vary (timeline/caching.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy import func, update

from tests.factories import cite, create_event, etag, event_body, recorded_statements, review
from timeline import create_app
from timeline.auth import create_token
from timeline.caching import ResponseCache
from timeline.change_counts import SqliteDataVersion
from timeline.db import db
from timeline.models import PairEvent

API = "/api/v1"
PUBLIC = "public, no-cache"


@dataclass(frozen=True)
class Seeded:
    """An IN-RU event citing one source, its claim verified."""

    event_id: str
    source_id: str


@pytest.fixture
def seeded(client: FlaskClient, tokens: Any) -> Seeded:
    event = create_event(client, tokens.editor)
    citation = cite(client, tokens.editor, event["id"])
    assert review(client, tokens.reviewer, event["id"], "verified").status_code == 201
    return Seeded(event["id"], citation["source"]["id"])


def _edit_event(client: FlaskClient, tokens: Any, seeded: Seeded, **fields: Any) -> None:
    headers = {**tokens.editor, "If-Match": etag(client, seeded.event_id)}
    response = client.patch(f"{API}/events/{seeded.event_id}", json=fields, headers=headers)
    assert response.status_code == 200, response.get_json()


def _edit_summary(client: FlaskClient, tokens: Any, seeded: Seeded) -> None:
    _edit_event(client, tokens, seeded, summary="A visit with a larger delegation.")


def _edit_source(client: FlaskClient, tokens: Any, seeded: Seeded) -> None:
    path = f"{API}/sources/{seeded.source_id}"
    headers = {**tokens.editor, "If-Match": client.get(path).headers["ETag"]}
    response = client.patch(path, json={"author": "A correspondent"}, headers=headers)
    assert response.status_code == 200, response.get_json()


def _add_in_ru_event(client: FlaskClient, tokens: Any, seeded: Seeded) -> None:
    create_event(client, tokens.editor, title="Another visit", date="2020-02-01")


def _add_in_cn_event(client: FlaskClient, tokens: Any, seeded: Seeded) -> None:
    create_event(client, tokens.editor, countries=["IN", "CN"])


def _retitle_and_verify_again(client: FlaskClient, tokens: Any, seeded: Seeded) -> None:
    _edit_event(client, tokens, seeded, title="Defence Minister visits Moscow")  # reopens it
    verified = review(client, tokens.reviewer, seeded.event_id, "verified", "Checked again.")
    assert verified.status_code == 201, verified.get_json()


Change = Callable[[FlaskClient, Any, Seeded], None]

# Every read with an ETag, and a change that alters what it answers.
CACHED_READS: list[tuple[str, Change]] = [
    ("/timelines/IN-RU", _edit_summary),
    ("/timelines/IN-RU/summary", _add_in_ru_event),
    ("/pairs", _add_in_cn_event),
    ("/events", _edit_summary),
    ("/events?pair=IN-RU&q=defence", _edit_summary),
    ("/events/{event}", _edit_summary),
    ("/events/{event}/reviews", _retitle_and_verify_again),
    ("/events/{event}/revisions", _edit_summary),
    ("/events/{event}/claim-review", _retitle_and_verify_again),
    ("/sources", _edit_source),
    ("/sources/{source}", _edit_source),
]
READ_IDS = [path for path, _change in CACHED_READS]
STREAMED_EXPORTS = ["/timelines/IN-RU/csv", "/timelines/IN-RU/timelinejs"]


def _url(path: str, seeded: Seeded) -> str:
    return API + path.format(event=seeded.event_id, source=seeded.source_id)


def _assert_not_modified(response: Any, tag: str, cache_control: str = PUBLIC) -> None:
    assert response.status_code == 304
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert "Content-Length" not in response.headers
    assert response.headers["ETag"] == tag
    assert response.headers["Cache-Control"] == cache_control


@pytest.fixture
def app_config() -> dict[str, Any]:
    # The ClaimReview is served only where the publisher's fact-check page is set.
    return {"CLAIMREVIEW_URL_TEMPLATE": "https://factcheck.example.org/claims/{id}"}


@pytest.mark.parametrize(("path", "change"), CACHED_READS, ids=READ_IDS)
class TestCachedReads:
    def test_200_has_etag_and_cache_control(
        self, client: FlaskClient, seeded: Seeded, path: str, change: Change
    ) -> None:
        response = client.get(_url(path, seeded))
        assert response.status_code == 200
        assert response.headers["ETag"].startswith('"')
        assert response.headers["Cache-Control"] == PUBLIC
        assert "Vary" not in response.headers  # open reads, CORS for any origin

    def test_current_etag_is_a_304_without_body(
        self, client: FlaskClient, seeded: Seeded, path: str, change: Change
    ) -> None:
        url = _url(path, seeded)
        tag = client.get(url).headers["ETag"]
        _assert_not_modified(client.get(url, headers={"If-None-Match": tag}), tag)
        # As a compressing proxy hands it back, and among others.
        _assert_not_modified(client.get(url, headers={"If-None-Match": f"W/{tag}"}), tag)
        _assert_not_modified(client.get(url, headers={"If-None-Match": f'"x", {tag}'}), tag)
        head = client.head(url, headers={"If-None-Match": tag})
        assert head.status_code == 304

    def test_a_change_makes_the_old_etag_stale(
        self, client: FlaskClient, tokens: Any, seeded: Seeded, path: str, change: Change
    ) -> None:
        url = _url(path, seeded)
        before = client.get(url)
        change(client, tokens, seeded)
        after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        assert after.data != before.data
        assert after.headers["Cache-Control"] == PUBLIC
        _assert_not_modified(
            client.get(url, headers={"If-None-Match": after.headers["ETag"]}),
            after.headers["ETag"],
        )


def test_the_event_etag_is_its_version_for_reads_and_writes(
    client: FlaskClient, tokens: Any, seeded: Seeded
) -> None:
    """The ETag a 304 compares is the one If-Match takes."""
    read = client.get(f"{API}/events/{seeded.event_id}")
    assert read.headers["ETag"] == f'"{seeded.event_id}.v{read.get_json()["version"]}"'
    _edit_summary(client, tokens, seeded)
    assert client.get(f"{API}/events/{seeded.event_id}").headers["ETag"] != read.headers["ETag"]


def test_a_deleted_event_is_gone_whatever_the_if_none_match(
    client: FlaskClient, tokens: Any, seeded: Seeded
) -> None:
    tag = etag(client, seeded.event_id)
    headers = {**tokens.editor, "If-Match": tag}
    assert client.delete(f"{API}/events/{seeded.event_id}", headers=headers).status_code == 204
    response = client.get(f"{API}/events/{seeded.event_id}", headers={"If-None-Match": tag})
    assert response.status_code == 410
    assert response.headers["Cache-Control"] == "no-store"


def test_an_earlier_version_is_conditional_on_its_body(
    client: FlaskClient, tokens: Any, seeded: Seeded
) -> None:
    url = f"{API}/events/{seeded.event_id}?as_of=2999-01-01T00:00:00Z"
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"] != etag(client, seeded.event_id)
    _assert_not_modified(
        client.get(url, headers={"If-None-Match": first.headers["ETag"]}), first.headers["ETag"]
    )


@pytest.mark.parametrize("resource", ["event", "source"])
def test_a_304_for_an_event_or_source_is_one_small_query(
    app: Flask, client: FlaskClient, seeded: Seeded, resource: str
) -> None:
    url = _url(f"/{resource}s/{{{resource}}}", seeded)
    tag = client.get(url).headers["ETag"]
    with recorded_statements(app) as statements:
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert len(statements) == 1, statements
    ((statement, _parameters),) = statements
    assert "document" not in statement
    assert "text" not in statement


TIMELINE_READS = [
    "/timelines/IN-RU",
    "/timelines/IN-RU/summary",
    "/events?pair=IN-RU&q=defence",
    "/pairs",
    "/events",
]


def _commit_elsewhere(app: Flask) -> None:
    """A commit that changes no event: a new token."""
    with app.app_context():
        create_token("bystander", "editor")


@pytest.mark.parametrize("path", TIMELINE_READS)
def test_a_304_for_a_timeline_read_is_one_seek_of_the_feed(
    app: Flask, client: FlaskClient, seeded: Seeded, path: str
) -> None:
    url = _url(path, seeded)
    tag = client.get(url).headers["ETag"]
    _commit_elsewhere(app)  # else, on SQLite, it asks nothing at all (TestKeptAnswers)
    with recorded_statements(app) as statements:
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert len(statements) == 1, statements
    ((statement, _parameters),) = statements
    assert "feed_" in statement


def test_a_timeline_page_is_one_statement_on_one_pooled_connection(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    """The page, with the feed's position that its ETag names: one statement, so one
    snapshot reads both; no session, no transaction, no ping."""
    seen: list[str] = []

    def checkout(*_args: Any) -> None:
        seen.append("checkout")

    def begin(*_args: Any) -> None:
        seen.append("begin")

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "checkout", checkout)
    sa_event.listen(engine, "begin", begin)
    try:
        with recorded_statements(app) as statements:
            response = client.get(f"{API}/timelines/IN-RU")
    finally:
        sa_event.remove(engine, "checkout", checkout)
        sa_event.remove(engine, "begin", begin)
    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == [
        "Defence Minister visits Russia"
    ]
    assert [_read_of(statement) for statement, _ in statements] == ["page and position"]
    assert seen == ["checkout"]


def _read_of(statement: str) -> str:
    position, page = "feed_" in statement, "document" in statement
    return {
        (True, True): "page and position",
        (True, False): "position",
        (False, True): "page",
    }.get((position, page), "other")


@pytest.mark.parametrize(
    ("path", "headers", "reads"),
    [
        # Compared first, for a 304 from the position alone.
        ("/timelines/IN-RU", {"If-None-Match": '"other"'}, ["position", "page"]),
        ("/events", {"If-None-Match": '"other"'}, ["position", "page"]),
        # No row to carry the position: read alone, then the page again after it.
        ("/timelines/FR-IN", {}, ["page and position", "position", "page"]),
        # The words of q and the bounds of from are read before the page.
        ("/timelines/IN-RU?q=defence", {}, ["position", "other", "page"]),
        ("/timelines/IN-RU?from=2019", {}, ["position", "other", "page"]),
    ],
)
def test_a_page_not_read_with_its_position_reads_the_position_first(
    app: Flask,
    client: FlaskClient,
    seeded: Seeded,
    path: str,
    headers: dict[str, str],
    reads: list[str],
) -> None:
    """An ETag never names a position newer than the page it validates."""
    with recorded_statements(app) as statements:
        response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200
    assert [_read_of(statement) for statement, _ in statements] == reads
    # The same ETag as a page read with its position.
    assert response.headers["ETag"] == client.get(f"{API}{path}").headers["ETag"]


@pytest.mark.parametrize("path", TIMELINE_READS[:3])
def test_a_change_elsewhere_keeps_a_pairs_etag(
    client: FlaskClient, tokens: Any, seeded: Seeded, path: str
) -> None:
    url = _url(path, seeded)
    before = client.get(url)
    _add_in_cn_event(client, tokens, seeded)
    _assert_not_modified(
        client.get(url, headers={"If-None-Match": before.headers["ETag"]}), before.headers["ETag"]
    )
    # Another URL of the same timeline has an ETag of its own.
    other = client.get(url.replace("IN-RU", "RU-IN"))
    assert other.status_code == 200
    assert other.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize("path", STREAMED_EXPORTS)
def test_streamed_exports_say_revalidate_but_have_no_etag(
    client: FlaskClient, seeded: Seeded, path: str
) -> None:
    response = client.get(f"{API}{path}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PUBLIC
    assert "ETag" not in response.headers


def test_review_queue_is_private_and_never_stored(client: FlaskClient, tokens: Any) -> None:
    create_event(client, tokens.editor)
    response = client.get(f"{API}/review-queue", headers=tokens.reviewer)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.vary.as_set() == {"authorization"}
    assert "ETag" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/events/00000000-0000-0000-0000-000000000000", 404),
        ("get", "/timelines/IN-XX", 404),
        ("get", "/events?nope=1", 422),
        ("post", "/events", 401),
        ("get", "/review-queue", 401),
        ("get", "/health", 200),
    ],
)
def test_errors_and_the_health_check_are_never_stored(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = getattr(client, method)(f"{API}{path}")
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_a_write_is_never_stored(client: FlaskClient, tokens: Any) -> None:
    response = client.post(f"{API}/events", json=event_body(), headers=tokens.editor)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"


class TestSettings:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "CACHE_MAX_AGE": 60}

    def test_cache_max_age_lets_caches_reuse_a_read(
        self, client: FlaskClient, seeded: Seeded
    ) -> None:
        response = client.get(f"{API}/timelines/IN-RU")
        assert response.headers["Cache-Control"] == "public, max-age=60, must-revalidate"


class TestReadsNeedAToken:
    @pytest.fixture
    def closed(self, app: Flask, seeded: Seeded) -> Seeded:
        """The seeded data, then reads need a token (the hooks read the setting per request)."""
        app.config["READS_REQUIRE_TOKEN"] = True
        return seeded

    @pytest.mark.parametrize("path", ["/pairs", "/events/{event}"])
    def test_reads_are_private_and_vary_on_the_token(
        self, client: FlaskClient, tokens: Any, closed: Seeded, path: str
    ) -> None:
        url = _url(path, closed)
        response = client.get(url, headers=tokens.reviewer)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.vary.as_set() == {"authorization"}
        tag = response.headers["ETag"]
        again = client.get(url, headers={**tokens.reviewer, "If-None-Match": tag})
        _assert_not_modified(again, tag, "private, no-cache")
        assert again.vary.as_set() == {"authorization"}

    def test_a_kept_answer_is_for_a_token_only(
        self, client: FlaskClient, tokens: Any, closed: Seeded
    ) -> None:
        url = f"{API}/timelines/IN-RU"
        for _read in range(2):
            assert client.get(url, headers=tokens.reviewer).status_code == 200
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401

    def test_without_a_token_a_401_never_stored(self, client: FlaskClient, closed: Seeded) -> None:
        response = client.get(f"{API}/pairs")
        assert response.status_code == 401
        assert response.headers["Cache-Control"] == "no-store"


# What each timeline read's change does to it (CACHED_READS), for the reads that the
# server keeps the last answer of (caching.ResponseCache).
KEPT_READS = [(path, change) for path, change in CACHED_READS if path in TIMELINE_READS]


def _cache(app: Flask) -> ResponseCache:
    cache: ResponseCache = app.extensions["response_cache"]
    return cache


@pytest.mark.parametrize(("path", "change"), KEPT_READS, ids=[path for path, _ in KEPT_READS])
class TestKeptAnswers:
    def test_a_read_again_is_answered_from_its_position_alone(
        self, app: Flask, client: FlaskClient, seeded: Seeded, path: str, change: Change
    ) -> None:
        url = _url(path, seeded)
        first = client.get(url)
        _commit_elsewhere(app)
        with recorded_statements(app) as statements:
            again = client.get(url)
        assert [_read_of(statement) for statement, _ in statements] == ["position"]
        assert again.status_code == 200
        assert again.data == first.data
        for header in ("Content-Type", "Content-Length", "ETag", "Link", "Cache-Control"):
            assert again.headers.get(header) == first.headers.get(header)

    def test_with_no_commit_since_sqlite_is_not_even_asked_the_position(
        self,
        app: Flask,
        client: FlaskClient,
        database_url: str,
        seeded: Seeded,
        path: str,
        change: Change,
    ) -> None:
        """PRAGMA data_version, on a connection of its own, says no commit was made:
        no pooled connection, no statement. PostgreSQL has no such count."""
        url = _url(path, seeded)
        first = client.get(url)
        for headers in ({}, {"If-None-Match": first.headers["ETag"]}):
            with recorded_statements(app) as statements:
                again = client.get(url, headers=headers)
            assert [_read_of(statement) for statement, _ in statements] == (
                [] if database_url.startswith("sqlite") else ["position"]
            )
        _assert_not_modified(again, first.headers["ETag"])
        again = client.get(url)
        assert again.status_code == 200
        assert again.data == first.data
        for header in ("Content-Type", "Content-Length", "ETag", "Link", "Cache-Control"):
            assert again.headers.get(header) == first.headers.get(header)

    @pytest.mark.parametrize("writer", ["this worker", "another worker"])
    def test_a_change_is_read_afresh(
        self,
        app: Flask,
        client: FlaskClient,
        tokens: Any,
        seeded: Seeded,
        path: str,
        change: Change,
        writer: str,
    ) -> None:
        """By this server process, or another on the same database (a gunicorn
        worker): the next read shows the change."""
        url = _url(path, seeded)
        before = client.get(url)
        assert client.get(url).data == before.data  # kept
        if writer == "this worker":
            change(client, tokens, seeded)
        else:
            other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
            change(other.test_client(), tokens, seeded)
        after = client.get(url)
        assert after.status_code == 200
        assert after.data != before.data
        assert after.headers["ETag"] != before.headers["ETag"]
        # What the server without its cache answers.
        app.extensions.pop("response_cache")
        assert client.get(url).data == after.data


def test_a_change_elsewhere_keeps_a_pairs_answer(
    app: Flask, client: FlaskClient, tokens: Any, seeded: Seeded
) -> None:
    url = f"{API}/timelines/IN-RU"
    before = client.get(url)
    _add_in_cn_event(client, tokens, seeded)
    with recorded_statements(app) as statements:
        again = client.get(url)
    assert [_read_of(statement) for statement, _ in statements] == ["position"]
    assert again.data == before.data


def test_each_scheme_and_host_has_its_own_answer(client: FlaskClient, tokens: Any) -> None:
    """The Link header names the scheme and host the client asked."""
    for title in ("First", "Second"):
        create_event(client, tokens.editor, title=title)
    path = f"{API}/timelines/IN-RU?limit=1"
    for base in (
        "http://localhost",
        "https://localhost",
        "http://timeline.test",
        "http://localhost",
    ):
        for _read in range(2):
            response = client.get(path, base_url=base)
            assert response.headers["Link"].startswith(f"<{base}{API}/timelines/IN-RU?")


def test_a_change_without_a_feed_position_shows_within_the_cache_seconds(
    app: Flask, client: FlaskClient, seeded: Seeded
) -> None:
    """Such as ``flask read-model rebuild`` makes: the ETag cannot tell, so answers are
    kept for RESPONSE_CACHE_SECONDS at most."""
    now = [1000.0]
    _cache(app).clock = lambda: now[0]
    url = f"{API}/timelines/IN-RU"
    before = client.get(url)
    with app.app_context():
        db.session.execute(
            update(PairEvent).values(document=func.replace(PairEvent.document, "Russia", "Muscovy"))
        )
        db.session.commit()
    now[0] += app.config["RESPONSE_CACHE_SECONDS"]
    assert client.get(url).data == before.data
    now[0] += 1
    assert [item["title"] for item in client.get(url).get_json()["items"]] == [
        "Defence Minister visits Muscovy"
    ]


class TestWithoutResponseCache:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "RESPONSE_CACHE_BYTES": 0}

    def test_every_read_reads_its_page(
        self, app: Flask, client: FlaskClient, seeded: Seeded
    ) -> None:
        assert "response_cache" not in app.extensions
        first = client.get(f"{API}/timelines/IN-RU")
        with recorded_statements(app) as statements:
            again = client.get(f"{API}/timelines/IN-RU")
        assert [_read_of(statement) for statement, _ in statements] == ["page and position"]
        assert again.data == first.data


def _answer(size: int) -> Response:
    return Response(b"x" * size, mimetype="application/json")


class TestResponseCache:
    def test_keeps_an_answer_under_its_etag(self) -> None:
        cache = ResponseCache(max_bytes=1000, seconds=60)
        cache.put("/a", "e1", _answer(10), "IN-RU")
        kept = cache.get("/a")
        assert kept is not None
        assert (kept.etag, kept.pair) == ("e1", "IN-RU")
        response = kept.response()
        assert (response.status_code, response.data, response.mimetype) == (
            200,
            b"x" * 10,
            "application/json",
        )
        assert cache.get("/b") is None

    def test_the_least_recently_used_go_first_past_its_bytes(self) -> None:
        cache = ResponseCache(max_bytes=800, seconds=60)
        for url in ("/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h"):
            cache.put(url, "e", _answer(100))
        assert cache.get("/a") is not None  # now the most recently used
        cache.put("/i", "e", _answer(100))
        assert [url for url in "abcdefghi" if cache.get(f"/{url}")] == [
            "a",
            "c",
            "d",
            "e",
            "f",
            "g",
            "h",
            "i",
        ]

    def test_an_answer_again_replaces_the_last(self) -> None:
        cache = ResponseCache(max_bytes=800, seconds=60)
        for tag in ("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"):
            cache.put("/a", tag, _answer(100))
        cache.put("/b", "e", _answer(100))
        kept = cache.get("/a")
        assert kept is not None
        assert kept.etag == "e9"
        assert cache.get("/b") is not None

    def test_keeps_no_answer_over_an_eighth_of_its_bytes_nor_an_error(self) -> None:
        cache = ResponseCache(max_bytes=800, seconds=60)
        cache.put("/big", "e", _answer(101))
        cache.put("/gone", "e", Response(b"{}", status=404))
        cache.put("/fits", "e", _answer(100))
        assert cache.get("/big") is None
        assert cache.get("/gone") is None
        assert cache.get("/fits") is not None

    def test_an_answer_expires_after_its_seconds(self) -> None:
        now = [0.0]
        cache = ResponseCache(max_bytes=800, seconds=60, clock=lambda: now[0])
        cache.put("/a", "e", _answer(10))
        now[0] = 60.0
        assert cache.get("/a") is not None
        now[0] = 60.5
        assert cache.get("/a") is None

    def test_an_answer_confirmed_current_keeps_the_commit_count(self) -> None:
        cache = ResponseCache(max_bytes=800, seconds=60)
        cache.put("/a", "e", _answer(10), changes=(1, 5))
        kept = cache.get("/a")
        assert kept is not None
        cache.confirm("/a", kept, (1, 6))
        again = cache.get("/a")
        assert again is not None
        assert again.changes == (1, 6)
        # Confirming an answer since replaced leaves the new one as it is.
        cache.put("/a", "e2", _answer(10), changes=(1, 7))
        cache.confirm("/a", again, (1, 8))
        latest = cache.get("/a")
        assert latest is not None
        assert (latest.etag, latest.changes) == ("e2", (1, 7))
        cache.drop("/a")
        assert cache.get("/a") is None


class TestSqliteDataVersion:
    def test_changes_with_each_commit_of_another_connection(self, tmp_path: Any) -> None:
        path = tmp_path / "count.db"
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("CREATE TABLE t (x)")
        count = SqliteDataVersion(str(path))
        first = count.read()
        assert first is not None
        assert count.read() == first
        writer.execute("INSERT INTO t VALUES (1)")
        second = count.read()
        assert second not in (None, first)
        writer.execute("SELECT * FROM t").fetchall()  # a read is no commit
        assert count.read() == second

    def test_says_nothing_of_a_missing_file_and_creates_none(self, tmp_path: Any) -> None:
        path = tmp_path / "missing.db"
        assert SqliteDataVersion(str(path)).read() is None
        assert not path.exists()

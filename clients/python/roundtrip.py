"""Drive a served Timeline API through the generated Python client.

The same round trip as clients/ts/roundtrip.ts: create a source, an event citing
it, a review, read the pair timeline across two pages, and check that a bad
request comes back as a typed Problem. The client package (timeline_api_client,
made by openapi-python-client from openapi.yaml) must be importable.

    TIMELINE_BASE_URL=http://127.0.0.1:8000 TIMELINE_EDITOR_TOKEN=... \\
    TIMELINE_REVIEWER_TOKEN=... python clients/python/roundtrip.py

Prints one JSON summary line on success; any failure exits non-zero.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from http import HTTPStatus
from typing import Any, TypeVar
from uuid import UUID

import httpx
from timeline_api_client import AuthenticatedClient
from timeline_api_client.api.events import (
    create_citation,
    create_event,
    create_review,
    get_event,
)
from timeline_api_client.api.sources import create_source
from timeline_api_client.api.timelines import list_pair_timeline
from timeline_api_client.models import (
    Citation,
    CitationCreate,
    CitationCreateStance,
    Event,
    EventClaimStatus,
    EventCreate,
    Problem,
    Review,
    ReviewCreate,
    ReviewCreateStatus,
    ReviewFromStatus,
    ReviewToStatus,
    Source,
    SourceCreate,
    TimelinePage,
)
from timeline_api_client.types import UNSET, Response, Unset

T = TypeVar("T")


class RoundTripFailure(AssertionError):
    """The API or its generated client did not do what the round trip expects."""


def _check(condition: object, message: str) -> None:
    if not condition:
        raise RoundTripFailure(message)


def _expect(response: Response[Any], status: HTTPStatus, kind: type[T], step: str) -> T:
    """The parsed body of ``response``, which must have ``status`` and be a ``kind``."""
    _check(
        response.status_code == status,
        f"{step}: status {response.status_code}, not {status}: {response.content[:500]!r}",
    )
    _check(
        isinstance(response.parsed, kind),
        f"{step}: parsed as {type(response.parsed).__name__}, not {kind.__name__}",
    )
    return response.parsed  # type: ignore[return-value]


def _uuid(value: str | UUID) -> UUID:
    """A path parameter's id: the spec has event_id as a uuid, which the client types as UUID."""
    return value if isinstance(value, UUID) else UUID(value)


def _etag(response: Response[Any], step: str) -> str:
    etag = response.headers.get("ETag")
    _check(etag, f"{step}: the response has no ETag")
    return str(etag)


def roundtrip(base_url: str, editor_token: str, reviewer_token: str) -> dict[str, Any]:
    """Run the round trip; return a summary, or raise RoundTripFailure."""
    timeout = httpx.Timeout(30.0)
    editor = AuthenticatedClient(base_url=base_url, token=editor_token, timeout=timeout)
    reviewer = AuthenticatedClient(base_url=base_url, token=reviewer_token, timeout=timeout)
    # Reads are public, but the spec lets the operator require a token for them too
    # (security: [{}, bearerAuth]); openapi-python-client then types every read as
    # taking an AuthenticatedClient, so the editor's client reads as well.
    reader = editor
    run = f"py-{uuid.uuid4().hex[:12]}"
    tag = f"roundtrip-{run}"

    with editor, reviewer:
        # 1. A source.
        source = _expect(
            create_source.sync_detailed(
                client=editor,
                body=SourceCreate(
                    url=f"https://example.org/roundtrip/{run}",
                    title="India, Russia review defence ties",
                    publisher="ANI",
                    published_on=dt.date(2019, 10, 29),
                ),
            ),
            HTTPStatus.CREATED,
            Source,
            "createSource",
        )

        # 2. An event, then a citation of the source (with the event's ETag).
        created = create_event.sync_detailed(
            client=editor,
            body=EventCreate(
                title="Defence minister visits Moscow",
                summary="A three-day visit on defence co-operation.",
                date="2019-11-05",
                countries=["in", "RUS"],
                tags=[tag],
            ),
        )
        event = _expect(created, HTTPStatus.CREATED, Event, "createEvent")
        _check(
            event.claim_status == EventClaimStatus.UNVERIFIED,
            "createEvent: a new event is not unverified",
        )
        event_id = _uuid(event.id)
        cited = create_citation.sync_detailed(
            event_id,
            client=editor,
            if_match=_etag(created, "createEvent"),
            body=CitationCreate(
                source_id=source.id,
                quote="The minister will visit Moscow.",
                stance=CitationCreateStance.SUPPORTS,
            ),
        )
        citation = _expect(cited, HTTPStatus.CREATED, Citation, "createCitation")
        _check(citation.source.id == source.id, "createCitation: the citation names another source")

        # 3. A review by another person.
        review = _expect(
            create_review.sync_detailed(
                event_id,
                client=reviewer,
                if_match=_etag(cited, "createCitation"),
                body=ReviewCreate(
                    status=ReviewCreateStatus.VERIFIED, note="The ANI report supports it."
                ),
            ),
            HTTPStatus.CREATED,
            Review,
            "createReview",
        )
        _check(
            review.from_status == ReviewFromStatus.UNVERIFIED
            and review.to_status == ReviewToStatus.VERIFIED,
            "createReview: the review does not record unverified -> verified",
        )
        fetched = _expect(
            get_event.sync_detailed(event_id, client=reader), HTTPStatus.OK, Event, "getEvent"
        )
        _check(fetched.claim_status == EventClaimStatus.VERIFIED, "getEvent: not verified")
        _check(len(fetched.citations) == 1, "getEvent: the event does not have its citation")

        # A second, earlier event (citing the same source inline, by URL), so the
        # timeline has two pages of one.
        second = _expect(
            create_event.sync_detailed(
                client=editor,
                body=EventCreate(
                    title="India and Russia review defence ties",
                    date="2019-10-29",
                    countries=["RU", "IN"],
                    tags=[tag],
                    citations=[
                        CitationCreate(
                            source=SourceCreate(url=source.url, title=source.title),
                            quote="Defence ties were reviewed.",
                            stance=CitationCreateStance.CONTEXT,
                        )
                    ],
                ),
            ),
            HTTPStatus.CREATED,
            Event,
            "createEvent (2)",
        )
        _check(
            [c.source.id for c in second.citations] == [source.id],
            "createEvent (2): an inline source with a known URL did not reuse the source",
        )

        # 4. The pair timeline, one event a page.
        pages: list[TimelinePage] = []
        cursor: str | None = None
        for _ in range(3):
            page = _expect(
                list_pair_timeline.sync_detailed(
                    "ru-in",
                    client=reader,
                    tag=tag,
                    limit=1,
                    cursor=UNSET if cursor is None else cursor,
                ),
                HTTPStatus.OK,
                TimelinePage,
                "listPairTimeline",
            )
            pages.append(page)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        _check(len(pages) == 2, f"listPairTimeline: {len(pages)} pages, not 2")
        _check(pages[0].pair.id == "IN-RU", "listPairTimeline: the pair is not IN-RU")
        order = [item.id for page in pages for item in page.items]
        _check(
            order == [second.id, event.id],
            f"listPairTimeline: events out of timeline order: {order}",
        )

        # 5. A bad request: an impossible date, answered with a typed Problem.
        bad = create_event.sync_detailed(
            client=editor,
            body=EventCreate(title="Not a day", date="2019-02-30", countries=["IN", "RU"]),
        )
        problem = _expect(bad, HTTPStatus.UNPROCESSABLE_ENTITY, Problem, "bad createEvent")
        _check(
            bad.headers.get("Content-Type", "").startswith("application/problem+json"),
            "bad createEvent: not application/problem+json",
        )
        _check(problem.status == 422, "bad createEvent: the problem has no status 422")
        errors = {} if isinstance(problem.errors, Unset) else problem.errors.to_dict()
        _check(errors.get("date"), 'bad createEvent: the problem names no error for "date"')

    return {
        "client": "python",
        "source_id": source.id,
        "event_id": event.id,
        "claim_status": fetched.claim_status.value,
        "review_id": review.id,
        "timeline_pages": len(pages),
        "timeline_order": order,
        "problem": {"status": problem.status, "type": problem.type_, "errors": errors},
    }


def main() -> int:
    try:
        summary = roundtrip(
            os.environ["TIMELINE_BASE_URL"],
            os.environ["TIMELINE_EDITOR_TOKEN"],
            os.environ["TIMELINE_REVIEWER_TOKEN"],
        )
    except (KeyError, RoundTripFailure) as error:
        print(f"Python round trip failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

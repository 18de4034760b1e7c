"""Country-pair timelines, their summaries, and the list of pairs."""

from __future__ import annotations

import functools
from typing import Any

import orjson
from flask.views import MethodView

from ..caching import PUBLIC, cached, conditional, conditional_page
from ..domain.countries import CountryPair, InvalidPair, UnknownCountry
from ..errors import NotFound
from ..limits import EXPENSIVE_READS, rate_limited, searching
from ..read_model import pair_json, pair_page, timeline_page, timeline_summary
from ..schemas import (
    PairListQuery,
    PairListSchema,
    TimelinePageSchema,
    TimelineQuery,
    TimelineSummarySchema,
)
from . import ApiBlueprint, json_response, page_response

blp = ApiBlueprint(
    "timelines",
    __name__,
    description="Ordered timelines of the events between two countries",
)

PAGE_HEADERS = {"Link": {"description": "rel=next", "schema": {"type": "string"}}}

PAIR_PARAMETER = {
    "in": "path",
    "name": "pair",
    "required": True,
    "description": (
        "Two ISO 3166-1 codes joined by '-', in any order and case: IN-RU, ru-in, IND-RUS"
    ),
    "schema": {"$ref": "#/components/schemas/CountryPair"},
}


# Dashboards ask for the same few pairs all day; an unknown pair raises, and is not kept.
@functools.lru_cache(maxsize=4096)
def parse_pair(text: str) -> CountryPair:
    """The canonical pair for a path segment; 404 names the bad code."""
    try:
        return CountryPair.parse(text)
    except (InvalidPair, UnknownCountry) as error:
        raise NotFound(
            str(error), errors={"pair": [str(error)]}, problem_type="unknown-pair"
        ) from None


@blp.route("/timelines/<pair>", parameters=[PAIR_PARAMETER])
class Timeline(MethodView):
    @blp.doc(operationId="listPairTimeline")
    @cached(PUBLIC)
    @rate_limited(EXPENSIVE_READS, when=searching)
    @blp.arguments(TimelineQuery(), location="query", as_kwargs=True)
    @blp.response(
        200,
        TimelinePageSchema,
        headers=PAGE_HEADERS,
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, pair: str, **args: Any) -> Any:
        """A pair's events in timeline order

        Events of both countries (and of any larger group including both), ordered by
        the earliest day their date can mean, coarser precision first, then creation
        order. Follow `next_cursor` (or the `Link: rel="next"` header) for the next page.
        """
        canonical = parse_pair(pair)
        return conditional_page(
            canonical,
            lambda position: timeline_page(canonical, args, position),
            lambda page: page_response(page, pair=pair_json(canonical)),
        )


@blp.route("/timelines/<pair>/summary", parameters=[PAIR_PARAMETER])
class TimelineSummary(MethodView):
    @blp.doc(operationId="getPairTimelineSummary")
    @cached(PUBLIC)
    @rate_limited(EXPENSIVE_READS)
    @blp.response(200, TimelineSummarySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, pair: str) -> Any:
        """Counts of a pair's events by claim status, year and tag"""
        canonical = parse_pair(pair)
        return conditional(
            canonical, lambda: json_response(orjson.dumps(timeline_summary(canonical)))
        )


@blp.route("/pairs")
class Pairs(MethodView):
    @blp.doc(operationId="listPairs")
    @cached(PUBLIC)
    @blp.arguments(PairListQuery(), location="query", as_kwargs=True)
    @blp.response(
        200,
        PairListSchema,
        headers=PAGE_HEADERS,
    )
    def get(self, **args: Any) -> Any:
        """The country pairs that have events, with counts and date spans

        By pair id unless `sort` says otherwise; pairs that tie on the sort value
        follow in ascending pair id. Follow `next_cursor` (or the `Link: rel="next"`
        header) for the next page.
        """
        return conditional(None, lambda: page_response(pair_page(args)))

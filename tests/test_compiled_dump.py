"""The compiled dump renders exactly what the schema's own dump renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, post_dump
from sqlalchemy import select

from tests.factories import cite, create_event
from timeline.compiled_dump import NotCompilable, compile_dump
from timeline.db import db
from timeline.models import Event, NewCitation, NewEvent, SourceRow
from timeline.schemas import EventSchema

_SCHEMA = EventSchema()
_COMPILED = compile_dump(_SCHEMA)

_text = st.text(max_size=30)
_maybe_text = st.none() | _text
_when = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)
)
_dates = st.sampled_from(["2019", "2019-11", "2019-11-05", "0001-01-01", "2020-02-29"])
_codes = st.lists(
    st.sampled_from(["IN", "RU", "CN", "US", "FR"]), min_size=2, max_size=4, unique=True
)
_sources = st.builds(
    SourceRow,
    seq=st.integers(1, 10**6),
    id=st.uuids().map(str),
    url=_text,
    title=_text,
    publisher=_maybe_text,
    published_on=st.none() | st.dates(),
    author=_maybe_text,
    archive_url=_maybe_text,
    text=_maybe_text,
)
_citations = st.builds(
    NewCitation,
    id=st.uuids().map(str),
    quote=_text,
    stance=st.sampled_from(["supports", "disputes", "context"]),
    source=_sources,
    created_by=_text,
    created_at=_when,
)
_checks = st.lists(
    st.fixed_dictionaries(
        {
            "code": st.sampled_from(["single-source", "quote-not-in-source"]),
            "severity": st.sampled_from(["warning", "info"]),
            "message": _text,
            "citation_id": st.none() | st.uuids().map(str),
        }
    ),
    max_size=3,
)


@st.composite
def _events(draw: Any) -> NewEvent:
    located = draw(st.booleans())
    return NewEvent(
        id=draw(st.uuids().map(str)),
        title=draw(_text),
        summary=draw(_text),
        date=draw(_dates),
        end_date=draw(st.none() | st.just("2021-03")),
        approximate=draw(st.booleans()),
        first_day=1,
        last_day=2,
        precision=0,
        location_name=draw(_text) if located else None,
        location_country=draw(st.none() | st.just("RU")),
        location_lat=draw(st.none() | st.floats(-90, 90)),
        location_lon=draw(st.none() | st.floats(-180, 180)),
        actors=draw(st.lists(_text, max_size=3)),
        country_codes=draw(_codes),
        tag_names=draw(st.lists(_text, max_size=3)),
        citations=draw(st.lists(_citations, max_size=4)),
        claim_status=draw(st.sampled_from(["unverified", "verified", "disputed", "false"])),
        checks=draw(_checks),
        created_by="import",
        created_at=draw(_when),
        updated_at=draw(_when),
        version=draw(st.integers(1, 1000)),
    )


@settings(max_examples=300, deadline=None)
@given(_events())
def test_the_compiled_dump_is_byte_for_byte_the_schemas(event: NewEvent) -> None:
    assert orjson.dumps(_COMPILED(event)) == orjson.dumps(_SCHEMA.dump(event))


def test_stored_events_render_as_the_schema_dumps_them(app, client, tokens) -> None:
    """Mapped events too (relationships, properties): what the API stores and returns."""
    event = create_event(client, tokens.editor, location={"name": "Moscow", "country": "RU"})
    cite(client, tokens.editor, event["id"])
    with app.app_context():
        stored = db.session.scalars(select(Event)).one()
        assert orjson.dumps(_COMPILED(stored)) == orjson.dumps(_SCHEMA.dump(stored))
        assert stored.document == orjson.dumps(_SCHEMA.dump(stored)).decode()
        assert client.get(f"/api/v1/events/{event['id']}").get_data(as_text=True).strip() == (
            stored.document
        )


class _Hooked(Schema):
    name = fields.String()

    @post_dump
    def _shout(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {key: value.upper() for key, value in data.items()}


class _Computed(Schema):
    name = fields.Method("_name")

    def _name(self, obj: Any) -> str:
        return "x"


class _Defaulted(Schema):
    name = fields.String(dump_default="x")


class _Plucked(Schema):
    code = fields.Pluck(EventSchema, "id")


@pytest.mark.parametrize("schema", [_Hooked(), _Computed(), _Defaulted(), _Plucked()])
def test_what_it_would_not_reproduce_is_refused(schema: Schema) -> None:
    with pytest.raises(NotCompilable):
        compile_dump(schema)

"""Sources: the documents that citations quote."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from sqlalchemy import select

from .. import services
from ..apidoc import id_parameter, links
from ..auth import EDITOR, current_actor, role_required
from ..domain.urls import url_key
from ..models import Source
from ..read_model import seq_page
from ..schemas import (
    SourceCreateSchema,
    SourcePageSchema,
    SourcePatchSchema,
    SourceQuery,
    SourceSchema,
)
from ..writes import check_if_match, etag_of, write_operation
from . import ApiBlueprint, conditional, dump_response
from .events import ETAG, requires_if_match

blp = ApiBlueprint("sources", __name__, description="Documents that back events")

_SOURCE_ID = id_parameter("source_id")
_SOURCE_LINKS = {
    "GetSource": {"operationId": "getSource", "parameters": {"source_id": "$response.body#/id"}},
    "UpdateSource": {
        "operationId": "updateSource",
        "parameters": {"source_id": "$response.body#/id", "If-Match": "$response.header.ETag"},
    },
    "FindSourceByUrl": {"operationId": "listSources", "parameters": {"url": "$response.body#/url"}},
}
_SCHEMA = SourceSchema()


def _source_response(source: Source, status: int = 200, **headers: str) -> Response:
    etag = etag_of(source)
    return dump_response(_SCHEMA, source, status, {"ETag": f'"{etag}"', **headers})


@blp.route("/sources")
class Sources(MethodView):
    @blp.doc(operationId="listSources")
    @blp.arguments(SourceQuery(), location="query", as_kwargs=True)
    @blp.response(200, SourcePageSchema)
    def get(self, **args: Any) -> Any:
        """List sources, oldest first, or find one by URL

        With `url`, the page holds the source with that URL (compared normalised), or nothing.
        """
        stmt = select(Source)
        if "url" in args:
            stmt = stmt.where(Source.url_key == url_key(args["url"]))
        sources, next_cursor = seq_page(stmt, Source, args)
        return {"items": sources, "next_cursor": next_cursor}

    @blp.doc(operationId="createSource")
    @links(201, **_SOURCE_LINKS)
    @role_required(EDITOR)
    @write_operation(idempotent=True)
    @blp.arguments(SourceCreateSchema())
    @blp.response(
        201,
        SourceSchema,
        headers={
            **ETAG,
            "Location": {"description": "The new source's URL", "schema": {"type": "string"}},
        },
    )
    @blp.alt_response(409, response="CONFLICT", description="A source with this URL exists")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a source

        Its URL must be new after normalisation; a 409 names the existing source.
        """
        source = services.create_source(data, current_actor())
        location = url_for("sources.SourceById", source_id=source.id)
        return _source_response(source, 201, Location=location)


@blp.route("/sources/<source_id>", parameters=[_SOURCE_ID])
class SourceById(MethodView):
    @blp.doc(operationId="getSource")
    @blp.response(200, SourceSchema, headers=ETAG)
    @blp.alt_response(304, description="Not modified: the ETag in If-None-Match is current")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, source_id: str) -> Any:
        """Get a source"""
        return conditional(_source_response(services.get_source(source_id)))

    @blp.doc(operationId="updateSource")
    @links(200, **_SOURCE_LINKS)
    @role_required(EDITOR)
    @write_operation()
    @requires_if_match
    @blp.arguments(SourcePatchSchema())
    @blp.response(200, SourceSchema, headers=ETAG)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="Another source has this URL")
    def patch(self, data: dict[str, Any], source_id: str) -> Any:
        """Edit a source

        Events that cite it show the change at once. An edit of its URL, title,
        publisher, publication date or text changes the evidence of every claim that cites
        it: each decided one goes back to `in_review`, with a `system` entry in its
        history naming the source.
        """
        source = services.get_source(source_id)
        check_if_match(source)
        return _source_response(services.update_source(source, data))

"""Inputs that schemathesis found answered with a 500 or not as the spec says, on each backend."""

from __future__ import annotations

import re

import pytest

from tests.factories import create_event, etag, event_body, source_body

API = "/api/v1"
_ONE_LINE = (
    "Text cannot contain line breaks, tabs or other control characters "
    "(found U+{} at character {})."
)
_MULTILINE = (
    "Text cannot contain control characters other than tabs and line breaks "
    "(found U+{} at character {})."
)
_BLANK = "Text cannot be only whitespace."


class TestText:
    @pytest.mark.parametrize("field", ["title", "summary"])
    def test_nul_is_a_field_error(self, client, tokens, field):
        response = client.post(
            f"{API}/events", json=event_body(**{field: "a\x00b"}), headers=tokens.editor
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {
            field: ["Text cannot contain NUL (U+0000) characters."]
        }

    def test_nul_in_a_query_is_a_field_error(self, client):
        response = client.get(f"{API}/timelines/IN-RU?q=a%00b")
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["q"]

    def test_lone_surrogate_is_a_field_error(self, client, tokens):
        response = client.post(
            f"{API}/events",
            data='{"title": "\\ud800", "date": "2019", "countries": ["IN", "RU"]}',
            headers={**tokens.editor, "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["title"]

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"title": "Alarm\x07"}, "title", _ONE_LINE.format("0007", 6)),
            ({"title": "\x1b[2Jcleared"}, "title", _ONE_LINE.format("001B", 1)),
            ({"title": "two\nlines"}, "title", _ONE_LINE.format("000A", 4)),
            ({"title": " \t "}, "title", _ONE_LINE.format("0009", 2)),
            ({"title": "   "}, "title", _BLANK),
            ({"title": "\u3000"}, "title", _BLANK),
            ({"summary": "fine\n\x07"}, "summary", _MULTILINE.format("0007", 6)),
            ({"summary": " \n "}, "summary", _BLANK),
            ({"actors": ["  "]}, "actors.0", _BLANK),
            ({"tags": ["a\x7f"]}, "tags.0", _ONE_LINE.format("007F", 2)),
            (
                {"location": {"name": "\x00x"}},
                "location.name",
                "Text cannot contain NUL (U+0000) characters.",
            ),
            ({"location": {"name": "x\x9b"}}, "location.name", _ONE_LINE.format("009B", 2)),
            (
                {
                    "citations": [
                        {"source": source_body(title=" "), "quote": "q", "stance": "supports"}
                    ]
                },
                "citations.0.source.title",
                _BLANK,
            ),
            (
                {
                    "citations": [
                        {
                            "source": source_body(publisher="A\rB"),
                            "quote": "q",
                            "stance": "supports",
                        }
                    ]
                },
                "citations.0.source.publisher",
                _ONE_LINE.format("000D", 2),
            ),
            (
                {"citations": [{"source": source_body(), "quote": "\n", "stance": "supports"}]},
                "citations.0.quote",
                _BLANK,
            ),
        ],
    )
    def test_control_characters_and_blank_text_are_field_errors(
        self, client, tokens, body, field, message
    ):
        response = client.post(f"{API}/events", json=event_body(**body), headers=tokens.editor)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {field: [message]}
        assert client.get(f"{API}/events").get_json()["items"] == []
        assert client.get(f"{API}/sources").get_json()["items"] == []

    def test_multiline_text_keeps_its_line_breaks_and_tabs(self, client, tokens):
        summary = "First line.\r\n\tSecond line.\n"
        event = create_event(
            client,
            tokens.editor,
            summary=summary,
            citations=[{"source": source_body(), "quote": "One.\nTwo.", "stance": "supports"}],
        )
        assert (event["summary"], event["citations"][0]["quote"]) == (summary, "One.\nTwo.")

    @pytest.mark.parametrize(
        ("note", "message"),
        [("  \n ", _BLANK), ("ok\x1b", _MULTILINE.format("001B", 3))],
    )
    def test_a_blank_or_controlled_review_note_is_refused(self, client, tokens, note, message):
        event = create_event(client, tokens.editor)
        response = client.post(
            f"{API}/events/{event['id']}/reviews",
            json={"status": "in_review", "note": note},
            headers={**tokens.reviewer, "If-Match": etag(client, event["id"])},
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"note": [message]}
        assert client.get(f"{API}/events/{event['id']}/reviews").get_json()["items"] == []

    def test_a_source_edit_is_held_to_the_same_rule(self, client, tokens):
        created = client.post(f"{API}/sources", json=source_body(), headers=tokens.editor)
        url = f"{API}/sources/{created.get_json()['id']}"
        response = client.patch(
            url,
            json={"title": "Bell\x07", "author": " "},
            headers={**tokens.editor, "If-Match": created.headers["ETag"]},
        )
        assert response.status_code == 422
        assert response.get_json()["errors"] == {
            "title": [_ONE_LINE.format("0007", 5)],
            "author": [_BLANK],
        }
        assert client.get(url).get_json() == created.get_json()

    def test_a_tag_that_lower_cases_longer_is_kept(self, client, tokens):
        tag = "\u0130" * 50  # lower-cases to 100 characters
        event = create_event(client, tokens.editor, tags=[tag])
        assert event["tags"] == [tag.lower()]


class TestJsonBodies:
    """Bodies that Python's json module reads with an error other than JSONDecodeError,
    or would read though the standard does not allow them."""

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (
                '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}",
                "it nests arrays or objects too deeply",
            ),
            ('{"title": ' + "[" * 1000 + "]" * 1000 + "}", "it nests arrays or objects too deeply"),
            ('{"lat": ' + "9" * 4301 + "}", "it has an integer literal too long to read"),
            # Which of the two a parser keeps differs: a proxy could check one title
            # and the API store the other.
            (
                '{"title": "Checked", "date": "2020", "countries": ["IN", "RU"], '
                '"title": "Stored"}',
                'the key "title" is given twice in one object',
            ),
            (
                '{"title": "T", "date": "2020", "countries": ["IN", "RU"], '
                '"citations": [{"source_id": "a", "source_id": "b"}]}',
                'the key "source_id" is given twice in one object',
            ),
            ('{"title": "T", "tags": [NaN]}', "NaN is not a JSON value"),
            ('{"title": "T", "tags": [-Infinity]}', "-Infinity is not a JSON value"),
        ],
        ids=[
            "nested-100000",
            "nested-1000",
            "int-4301-digits",
            "key-twice",
            "nested-key-twice",
            "nan",
            "infinity",
        ],
    )
    @pytest.mark.parametrize("idempotent", [False, True])
    def test_is_a_400_and_stores_nothing(self, client, tokens, data, reason, idempotent):
        headers = {**tokens.editor, "Content-Type": "application/json"}
        if idempotent:  # the key's fingerprint reads the body first
            headers["Idempotency-Key"] = "k"
        response = client.post(f"{API}/events", data=data, headers=headers)
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert response.get_json() == {
            "type": "urn:timeline:problem:invalid-json",
            "title": "Bad Request",
            "status": 400,
            "detail": f"The request body is not valid JSON: {reason}.",
            "errors": {"_schema": ["Invalid JSON body."]},
        }
        assert client.get(f"{API}/events").get_json()["items"] == []
        # The key was not used up.
        assert client.post(f"{API}/events", json=event_body(), headers=headers).status_code == 201

    def test_a_long_integer_within_the_limit_is_read(self, client, tokens):
        response = client.post(
            f"{API}/events",
            data='{"title": ' + "9" * 4300 + "}",
            headers={**tokens.editor, "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.get_json()["errors"]["title"] == ["Not a valid string."]


class TestIds:
    @pytest.mark.parametrize(
        "event_id", ["%00", "not-an-id", "E3E70682-C209-4CAC-A29F-6FBED82C07CD"]
    )
    def test_anything_but_an_id_is_404(self, client, event_id):
        assert client.get(f"{API}/events/{event_id}").status_code == 404

    def test_an_id_in_upper_case_names_the_same_resource(self, client, tokens):
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        )
        event_id, citation = event["id"].upper(), event["citations"][0]
        for path in ["", "/reviews", "/revisions"]:
            assert client.get(f"{API}/events/{event_id}{path}").status_code == 200, path
        read = client.get(f"{API}/events/{event_id}")
        assert read.get_json()["id"] == event["id"]
        source = client.get(f"{API}/sources/{citation['source']['id'].upper()}")
        # The source's own document carries its text; the citation's copy does not.
        assert source.get_json() == {**citation["source"], "text": None}
        response = client.delete(
            f"{API}/events/{event_id}/citations/{citation['id'].upper()}",
            headers={**tokens.editor, "If-Match": read.headers["ETag"]},
        )
        assert response.status_code == 204
        assert client.get(f"{API}/events/{event['id']}").get_json()["citations"] == []

    def test_unknown_source_id_in_a_citation_is_a_field_error(self, client, tokens):
        event = create_event(client, tokens.editor)
        etag = client.get(f"{API}/events/{event['id']}").headers["ETag"]
        response = client.post(
            f"{API}/events/{event['id']}/citations",
            json={"source_id": "a\x00", "quote": "q", "stance": "supports"},
            headers={**tokens.editor, "If-Match": etag},
        )
        assert response.status_code == 422


class TestUrls:
    def test_a_url_that_normalises_longer_than_its_column(self, client, tokens):
        # 2048 characters that percent-encoding makes far longer.
        url = "https://example.org/" + "\u00e9" * 2028
        assert len(url) == 2048
        response = client.post(f"{API}/sources", json=source_body(url=url), headers=tokens.editor)
        assert response.status_code == 201, response.get_json()
        found = client.get(f"{API}/sources", query_string={"url": url}).get_json()["items"]
        assert [source["id"] for source in found] == [response.get_json()["id"]]

    @pytest.mark.parametrize("url", ["ftp://x.org/a", "https://localhost/", "http://a b.org/"])
    def test_what_the_pattern_refuses_is_refused(self, client, tokens, url):
        response = client.post(f"{API}/sources", json=source_body(url=url), headers=tokens.editor)
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"url": ["Not a valid URL."]}

    def test_finding_by_something_not_a_url_is_a_field_error(self, client):
        response = client.get(f"{API}/sources", query_string={"url": "\x96\u00ac"})
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["url"]


class TestPairs:
    @pytest.mark.parametrize("path", ["/events?pair=IN-IND", "/review-queue?pair=XX-RU"])
    def test_a_bad_pair_in_a_query_is_a_field_error(self, client, tokens, path):
        response = client.get(f"{API}{path}", headers=tokens.reviewer)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["pair"]

    def test_spaces_around_codes_are_ignored(self, client):
        assert client.get(f"{API}/timelines/ in - RU ").status_code == 200


class TestQueryStrings:
    """Every operation refuses a query parameter it does not declare, before anything else."""

    @staticmethod
    def _operations(app, event):
        citation = event["citations"][0]
        values = {
            "event_id": event["id"],
            "citation_id": citation["id"],
            "source_id": citation["source"]["id"],
            "pair": "IN-RU",
            "n": "1",
        }
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith(API) or rule.endpoint.startswith("api-docs"):
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path

    def test_every_operation_refuses_an_unknown_parameter(self, app, client, tokens):
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        )
        before = client.get(f"{API}/events/{event['id']}").get_json()
        operations = list(self._operations(app, event))
        assert len(operations) == 25  # every operation in openapi.yaml
        for method, path in operations:
            response = client.open(
                f"{path}?colour=red",
                method=method,
                json={} if method in {"POST", "PATCH"} else None,
                headers={**tokens.admin, "If-Match": "*"},
            )
            assert response.status_code == 422, (method, path)
            assert response.get_json()["errors"] == {"colour": ["Unknown field."]}, (method, path)
        assert client.get(f"{API}/events/{event['id']}").get_json() == before
        assert len(client.get(f"{API}/sources").get_json()["items"]) == 1

    @pytest.mark.parametrize(
        "path",
        [
            "/events?limit=1&limit=2",
            "/timelines/IN-RU?order=asc&order=desc",
            "/sources?url=a&url=b",
        ],
    )
    def test_a_single_valued_parameter_given_twice_is_refused(self, client, path):
        response = client.get(f"{API}{path}")
        assert response.status_code == 422
        name = path.split("?")[1].split("=")[0]
        assert response.get_json() == {
            "type": "urn:timeline:problem:invalid-input",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": f"The request has invalid input in: {name}. See 'errors' for each field.",
            "errors": {name: ["Give this parameter once."]},
        }

    def test_declared_parameters_still_work(self, client, tokens):
        create_event(client, tokens.editor)
        response = client.get(f"{API}/timelines/IN-RU?from=2019&limit=1&order=desc")
        assert response.status_code == 200
        assert len(response.get_json()["items"]) == 1
        assert client.head(f"{API}/events?limit=1").status_code == 200

    def test_a_query_string_asked_again_is_checked_and_answered_again(self, client, tokens):
        """Loaded query strings are remembered: the same answers, the same refusals."""
        create_event(client, tokens.editor, title="First")
        create_event(client, tokens.editor, title="Second", date="2020-01-01")
        for _ in range(2):
            refused = client.get(f"{API}/timelines/IN-RU?limit=0")
            assert refused.status_code == 422
            assert refused.get_json()["errors"] == {
                "limit": ["Must be greater than or equal to 1 and less than or equal to 200."]
            }
        url = f"{API}/timelines/IN-RU?limit=1"
        first = client.get(url)
        assert [item["title"] for item in first.get_json()["items"]] == ["First"]
        following = client.get(first.get_json()["next_cursor"].join([url + "&cursor=", ""]))
        assert [item["title"] for item in following.get_json()["items"]] == ["Second"]
        assert client.get(url).get_json() == first.get_json()


class TestPatches:
    """A PATCH must change something: no body, or an empty object, is a 422."""

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"json": {}},
            {"data": b"", "content_type": "application/json"},
            {"data": b"{ }", "content_type": "application/json"},
        ],
        ids=["no-body", "empty-object", "empty-json-body", "spaced-object"],
    )
    def test_nothing_to_change_is_422_and_changes_nothing(self, client, tokens, body):
        event = create_event(
            client,
            tokens.editor,
            citations=[{"source": source_body(), "quote": "q", "stance": "supports"}],
        )
        source_id = event["citations"][0]["source"]["id"]
        for url in [f"{API}/events/{event['id']}", f"{API}/sources/{source_id}"]:
            read = client.get(url)
            response = client.patch(
                url, headers={**tokens.editor, "If-Match": read.headers["ETag"]}, **body
            )
            assert response.status_code == 422, url
            assert response.get_json() == {
                "type": "urn:timeline:problem:invalid-input",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "The request has invalid input in: _schema. See 'errors' for each field.",
                "errors": {"_schema": ["Nothing to change: give at least one field."]},
            }
            assert client.get(url).headers["ETag"] == read.headers["ETag"]

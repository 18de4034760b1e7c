"""CSV exports of a pair's timeline and an event's ClaimReview (TimelineJS: test_timelinejs)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess

import openpyxl
import pytest

from tests.factories import SEED_URL, cite, create_event, etag, review, source_body
from tests.jsonld_vocabulary import schema_org
from tests.test_public_urls import HOSTILE
from timeline import create_app
from timeline.config import settings
from timeline.exports import claim_review_url

API = "/api/v1"


class TestCsvExport:
    def test_every_event_in_timeline_order(self, client, tokens):
        late = create_event(client, tokens.editor, title="Late", date="2020", tags=["a", "b"])
        early = create_event(
            client,
            tokens.editor,
            title="=HYPERLINK(1)",
            date="2019-11-05",
            end_date="2019-11-09",
            location={"name": "Amethi", "country": "IN", "lat": 26.15, "lon": 81.81},
        )
        cite(client, tokens.editor, early["id"])
        response = client.get(f"{API}/timelines/RU-IN/csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"] == 'attachment; filename="IN-RU.csv"'
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [row["id"] for row in rows] == [early["id"], late["id"]]
        first = rows[0]
        assert first["title"] == "'=HYPERLINK(1)"  # a formula is exported as text
        assert (first["date_label"], first["countries"], first["actors"]) == (
            "5–9 Nov 2019",
            "IN;RU",
            "Rajnath Singh",
        )
        assert (first["location_name"], first["lat"], first["lon"]) == ("Amethi", "26.15", "81.81")
        assert (first["citations"], first["approximate"], first["version"]) == ("1", "false", "2")
        assert rows[1]["tags"] == "a;b"

    def test_filters_and_more_than_a_chunk(self, app, client, tokens):
        from tests.test_timelines import _bulk_events

        _bulk_events(app, [{"title": f"e{i}", "date": "2019"} for i in range(1203)])
        create_event(client, tokens.editor, date="2021")
        body = client.get(f"{API}/timelines/IN-RU/csv?to=2020").get_data(as_text=True)
        assert len(body.strip().split("\r\n")) == 1 + 1203

    def test_numbers_are_never_altered(self, client, hostile_event):
        (row,) = _csv_rows(client)
        assert {column: row[column] for column in NUMBER_COLUMNS} == {
            "lat": "-33.45",
            "lon": "-70.66",
            "citations": "1",
            "version": str(hostile_event["version"]),
        }

    def test_every_text_and_every_piece_of_one_is_kept_from_being_a_formula(
        self, client, hostile_event
    ):
        (row,) = _csv_rows(client)
        assert row["title"] == '\'=HYPERLINK("https://evil.example")'
        # Pieces after ';' and line breaks too: a spreadsheet splitting on ';' or
        # starting a row at a line break would read them as cells of their own.
        assert row["summary"] == "A plan.\n'=2+2;'-3 and @SUM(1)"
        assert row["actors"] == "Safe;'=1+1;'-33.45"
        assert row["tags"] == "'+tag;safe"
        assert row["location_name"] == "'@Santiago"
        assert (row["countries"], row["source_urls"]) == ("IN;RU", SEED_URL)

    def test_byte_order_mark_only_when_asked(self, client, hostile_event):
        plain = client.get(f"{API}/timelines/IN-RU/csv").get_data()
        assert plain.startswith(b"id,date,")
        for value in ["1", "true"]:
            marked = client.get(f"{API}/timelines/IN-RU/csv?bom={value}")
            assert marked.mimetype == "text/csv"
            assert marked.get_data() == b"\xef\xbb\xbf" + plain
        assert client.get(f"{API}/timelines/IN-RU/csv?bom=0").get_data() == plain

    @pytest.mark.parametrize("value", ["yes", "2", ""])
    def test_a_byte_order_mark_flag_that_is_not_one_is_422(self, client, value):
        response = client.get(f"{API}/timelines/IN-RU/csv?bom={value}")
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) == ["bom"]

    def test_paging_parameters_are_refused(self, client):
        response = client.get(f"{API}/timelines/IN-RU/csv?limit=5")
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"limit": ["Unknown field."]}

    def test_unknown_pair_is_404_problem(self, client):
        response = client.get(f"{API}/timelines/IN-XX/csv")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


NUMBER_COLUMNS = ("lat", "lon", "citations", "version")


@pytest.fixture
def hostile_event(client, tokens):
    """An event whose texts would be formulas in a spreadsheet, and negative numbers."""
    event = create_event(
        client,
        tokens.editor,
        title='=HYPERLINK("https://evil.example")',
        summary="A plan.\n=2+2;-3 and @SUM(1)",
        actors=["Safe", "=1+1", "-33.45"],
        tags=["+tag", "safe"],
        location={"name": "@Santiago", "country": "IN", "lat": -33.45, "lon": -70.66},
    )
    cite(client, tokens.editor, event["id"])
    return client.get(f"{API}/events/{event['id']}").get_json()


def _csv_rows(client, query=""):
    response = client.get(f"{API}/timelines/IN-RU/csv{query}")
    assert response.status_code == 200, response.get_json()
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


SOFFICE = shutil.which("soffice")
# LibreOffice's CSV import options: separator, text delimiter '"', UTF-8, from line 1,
# no column formats, English (United States) numbers, whatever this machine's locale.
SEPARATORS = {",": "44,34,76,1,,1033", ";": "59,34,76,1,,1033"}


def _import_in_libreoffice(tmp_path, files, separator):
    """The cells of each CSV file as LibreOffice Calc imports it with this separator,
    saved as xlsx and read back; one soffice run for every file."""
    out = tmp_path / f"out{ord(separator)}"
    run = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            f"--infilter=CSV:{SEPARATORS[separator]}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *(str(path) for path in files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return [
        list(openpyxl.load_workbook(out / f"{path.stem}.xlsx").active.iter_rows()) for path in files
    ]


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is missing (Debian: apt-get install -y libreoffice-calc-nogui)",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestCsvInLibreOffice:
    @pytest.fixture
    def files(self, client, hostile_event, tmp_path):
        export = tmp_path / "export.csv"
        export.write_bytes(client.get(f"{API}/timelines/IN-RU/csv").get_data())
        # A file with a live formula in each place, so that a formula is seen when
        # there is one: the export's checks below could not fail otherwise.
        control = tmp_path / "control.csv"
        control.write_text("a,b\r\n=1+1,Safe;=2+2\r\n", encoding="utf-8")
        return export, control

    def test_comma_separated_numbers_are_numbers_and_texts_are_text(
        self, tmp_path, files, hostile_event
    ):
        (header, row), control = _import_in_libreoffice(tmp_path, files, ",")
        assert [cell.data_type for cell in control[1]] == ["f", "s"]
        cells = dict(zip((cell.value for cell in header), row, strict=True))
        assert [name for name, cell in cells.items() if cell.data_type == "f"] == []
        location = hostile_event["location"]
        stored = {
            "lat": location["lat"],
            "lon": location["lon"],
            "citations": len(hostile_event["citations"]),
            "version": hostile_event["version"],
        }
        assert {name: (cells[name].data_type, cells[name].value) for name in NUMBER_COLUMNS} == {
            name: ("n", value) for name, value in stored.items()
        }
        texts = {
            "title": "'" + hostile_event["title"],
            "summary": "A plan.\n'=2+2;'-3 and @SUM(1)",
            "actors": "Safe;'=1+1;'-33.45",
            "tags": "'+tag;safe",
            "location_name": "'@Santiago",
            "date_label": hostile_event["date_label"],
            "claim_status": "unverified",
            "source_urls": SEED_URL,
        }
        assert {name: (cells[name].data_type, cells[name].value) for name in texts} == {
            name: ("s", value) for name, value in texts.items()
        }

    def test_semicolon_separated_has_no_formula(self, tmp_path, files):
        export, control = _import_in_libreoffice(tmp_path, files, ";")
        assert [cell.data_type for cell in control[1]] == ["f", "f"]  # "=1+1,Safe", "=2+2"
        cells = [cell for row in export for cell in row]
        assert [cell.value for cell in cells if cell.data_type == "f"] == []
        # The pieces that would have been formulas are there, as text.
        values = {cell.value for cell in cells}
        assert {"'=1+1", "'=2+2"} <= values


FACT_CHECKS = "https://factcheck.example.org/claims/{id}"
EARLIEST = {
    "url": "https://www.tass.com/defense/1",
    "title": "AK-203 production deal",
    "publisher": "TASS",
    "published_on": "2019-10-28",
}


def _cite(client, headers, event_id, stance, **source):
    response = client.post(
        f"{API}/events/{event_id}/citations",
        json={"source": source_body(**source), "quote": "A quoted sentence.", "stance": stance},
        headers={**headers, "If-Match": etag(client, event_id)},
    )
    assert response.status_code == 201, response.get_json()


def _claim_review(client, event_id, headers=None):
    response = client.get(f"{API}/events/{event_id}/claim-review", headers=headers or {})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/ld+json"
    return response.get_json(force=True)


def _appearance(url, title, published_on=None, publisher=None):
    return {
        "@type": "CreativeWork",
        "url": url,
        "headline": title,
        **({"datePublished": published_on} if published_on else {}),
        **({"publisher": {"@type": "Organization", "name": publisher}} if publisher else {}),
    }


@pytest.fixture
def disputed(client, tokens):
    """A disputed claim cited by two sources that carry it and one that disputes it,
    with an earlier disputing and an earlier context source that must not count."""
    event = create_event(client, tokens.editor, title="AK-203 deal signed")
    event_id = event["id"]
    _cite(
        client,
        tokens.editor,
        event_id,
        "supports",
        url="https://example.org/undated",
        title="Undated report",
        publisher="Undated Daily",
        published_on=None,
    )
    _cite(
        client,
        tokens.editor,
        event_id,
        "disputes",
        url="https://example.org/rebuttal",
        title="No deal yet",
        publisher="Rebuttal Weekly",
        published_on="2019-01-01",
    )
    _cite(client, tokens.editor, event_id, "supports")  # ANI, 29 Oct 2019
    _cite(
        client,
        tokens.editor,
        event_id,
        "context",
        url="https://example.org/background",
        title="Background",
        publisher="Archive",
        published_on="2018-01-01",
    )
    _cite(client, tokens.editor, event_id, "supports", **EARLIEST)
    _cite(client, tokens.editor, event_id, "supports")  # ANI again, another quote
    reviewed = review(client, tokens.reviewer, event_id, "disputed", "Only Russia says so.")
    assert reviewed.status_code == 201, reviewed.get_json()
    return event_id


class TestClaimReview:
    @pytest.fixture
    def app_config(self):
        return {"CLAIMREVIEW_URL_TEMPLATE": FACT_CHECKS, "PUBLISHER_NAME": "Desk"}

    def test_decided_claim(self, client, disputed):
        body = _claim_review(client, disputed)
        first = _appearance(EARLIEST["url"], EARLIEST["title"], "2019-10-28", "TASS")
        assert body == {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"https://factcheck.example.org/claims/{disputed}",
            "claimReviewed": "AK-203 deal signed",
            "datePublished": body["datePublished"],
            "author": {"@type": "Organization", "name": "Desk"},
            "reviewBody": "Only Russia says so.",
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 3,
                "bestRating": 5,
                "worstRating": 1,
                "name": "Disputed",
                "alternateName": "Disputed",
            },
            "itemReviewed": {
                "@type": "Claim",
                "author": {"@type": "Organization", "name": "TASS"},
                "datePublished": "2019-10-28",
                # Only the sources that carry the claim, each once, earliest first.
                "appearance": [
                    first,
                    _appearance(SEED_URL, source_body()["title"], "2019-10-29", "ANI"),
                    _appearance(
                        "https://example.org/undated", "Undated report", None, "Undated Daily"
                    ),
                ],
                "firstAppearance": first,
            },
        }
        assert body["datePublished"] == dt.date.today().isoformat()

    def test_same_day_sources_keep_citation_order(self, client, tokens):
        event = create_event(client, tokens.editor)
        for url in ["https://example.org/b", "https://example.org/a", "https://example.org/c"]:
            _cite(
                client,
                tokens.editor,
                event["id"],
                "supports",
                url=url,
                title=url,
                publisher=None,
                published_on="2019-10-29",
            )
        review(client, tokens.reviewer, event["id"], "verified")
        claim = _claim_review(client, event["id"])["itemReviewed"]
        assert [work["url"] for work in claim["appearance"]] == [
            "https://example.org/b",
            "https://example.org/a",
            "https://example.org/c",
        ]
        # The first source names no publisher: the claim has no author rather than a guess.
        assert (claim.get("author"), claim["datePublished"]) == (None, "2019-10-29")

    def test_a_claim_no_source_carries_has_no_appearance(self, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"], "disputes")
        review(client, tokens.reviewer, event["id"], "false", "No deal was signed.")
        body = _claim_review(client, event["id"])
        assert body["itemReviewed"] == {"@type": "Claim"}
        assert body["reviewRating"]["name"] == body["reviewRating"]["alternateName"] == "False"

    def test_verified_is_rated_true(self, client, tokens):
        event = create_event(client, tokens.editor)
        cite(client, tokens.editor, event["id"])
        review(client, tokens.reviewer, event["id"], "verified")
        rating = _claim_review(client, event["id"])["reviewRating"]
        assert (rating["ratingValue"], rating["name"], rating["alternateName"]) == (
            5,
            "Verified",
            "True",
        )

    def test_url_ignores_what_the_request_says_its_host_is(self, client, disputed):
        url = _claim_review(client, disputed, HOSTILE)["url"]
        assert url == f"https://factcheck.example.org/claims/{disputed}"

    def test_valid_schema_org_with_googles_fields(self, client, disputed):
        body = _claim_review(client, disputed)
        assert body["@context"] == "https://schema.org"
        assert schema_org().problems(body) == []
        # Google's ClaimReview fields (Search Central, "Fact check" structured data):
        # required, then recommended.
        assert {"claimReviewed", "reviewRating", "url"} <= body.keys()
        assert {"author", "datePublished", "itemReviewed"} <= body.keys()
        assert body["url"].startswith("https://")
        assert {"alternateName", "ratingValue", "bestRating", "worstRating"} <= body[
            "reviewRating"
        ].keys()
        assert body["author"]["name"]
        claim = body["itemReviewed"]
        assert {"author", "datePublished", "appearance", "firstAppearance"} <= claim.keys()

    def test_the_checker_sees_what_schema_org_does_not_define(self):
        wrong = {
            "@type": "ClaimReview",
            "url": "https://factcheck.example.org/claims/1",
            "rating": 3,
            "reviewRating": {"@type": "Rating", "headline": "x"},
            "itemReviewed": {"@type": "Claim", "appearance": {"@type": "Verdict"}},
            "author": "Desk",
        }
        assert schema_org().problems(wrong) == [
            "$.rating: not a schema.org property",
            "$.reviewRating[0].headline: not a property of Rating",
            "$.itemReviewed[0].appearance[0]: a Verdict where ['CreativeWork'] is expected",
            "$.author[0]: the literal 'Desk' where ['Organization', 'Person'] is expected",
        ]

    def test_undecided_claim_has_none(self, client, tokens):
        event = create_event(client, tokens.editor)
        response = client.get(f"{API}/events/{event['id']}/claim-review")
        assert response.status_code == 404
        assert response.get_json()["type"] == "urn:timeline:problem:claim-not-decided"


class TestClaimReviewUrlSetting:
    def test_without_it_there_is_no_claim_review(self, client, disputed):
        response = client.get(f"{API}/events/{disputed}/claim-review")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["type"] == "urn:timeline:problem:claim-review-not-configured"
        assert "CLAIMREVIEW_URL_TEMPLATE" in problem["detail"]

    def test_read_from_the_environment(self, monkeypatch, tmp_path):
        monkeypatch.setenv("CLAIMREVIEW_URL_TEMPLATE", " https://f.example.org/c/{id}?x=1 ")
        assert settings(str(tmp_path))["CLAIMREVIEW_URL_TEMPLATE"] == (
            "https://f.example.org/c/{id}?x=1"
        )

    def test_the_id_is_escaped_into_the_url(self):
        assert claim_review_url("https://f.example.org/c?id={id}", "a/b c") == (
            "https://f.example.org/c?id=a%2Fb%20c"
        )

    @pytest.mark.parametrize(
        "value",
        [
            "https://factcheck.example.org/claims",
            "https://factcheck.example.org/{slug}",
            "https://factcheck.example.org/{id}/{}",
            "https://factcheck.example.org/{id!r}",
            "https://factcheck.example.org/{id:>40}",
            "https://factcheck.example.org/{id",
            "factcheck.example.org/{id}",
            "ftp://factcheck.example.org/{id}",
        ],
    )
    def test_a_bad_template_stops_the_app_at_start(self, monkeypatch, value):
        monkeypatch.setenv("CLAIMREVIEW_URL_TEMPLATE", value)
        with pytest.raises(ValueError, match=r"CLAIMREVIEW_URL_TEMPLATE must be .* \{id\}"):
            create_app({"TESTING": True})

"""Unit tests for timeline.domain.checks: each rule, the date forms, and the seed article."""

from __future__ import annotations

import datetime as dt

import pytest

from timeline.demo import ARTICLE, EVENTS, SOURCE
from timeline.domain.checks import (
    CODES,
    Check,
    CitationFacts,
    EventFacts,
    Severity,
    SourceFacts,
    date_mentions,
    quote_in_text,
    run_checks,
)
from timeline.domain.claims import Stance
from timeline.domain.dates import PartialDate

SUPPORTS, DISPUTES, CONTEXT = Stance.SUPPORTS, Stance.DISPUTES, Stance.CONTEXT
PUBLISHED = dt.date(2019, 10, 29)
ANI = SourceFacts("s1", "ANI", PUBLISHED, ARTICLE)
VISIT_QUOTE = "The visit scheduled to start from November 5 is coming at a time"


def _citation(
    quote: str = VISIT_QUOTE,
    stance: Stance = SUPPORTS,
    source: SourceFacts = ANI,
    citation_id: str = "c1",
) -> CitationFacts:
    return CitationFacts(citation_id, quote, stance, source)


def _codes(date: str, *citations: CitationFacts) -> list[str]:
    return [check.code for check in run_checks(EventFacts(PartialDate.parse(date), citations))]


def _text_source(text: str, source_id: str = "s1", published_on: dt.date | None = PUBLISHED):
    return SourceFacts(source_id, "ANI", published_on, text)


def _date_codes(date: str, text: str, published_on: dt.date | None = PUBLISHED) -> list[str]:
    """The date checks of an event cited by one source with this text, published later."""
    source = _text_source(text, published_on=published_on)
    codes = _codes(date, _citation(quote=text[:10], source=source))
    return [
        code for code in codes if code in {"date-not-in-sources", "precision-finer-than-sources"}
    ]


class TestSeedArticle:
    """The demo's events against the ANI report they cite."""

    def _demo(self, title_start: str) -> list[Check]:
        fields, citations, _reviews = next(
            e for e in EVENTS if e[0]["title"].startswith(title_start)
        )
        source = SourceFacts("s1", SOURCE["publisher"], SOURCE["published_on"], SOURCE["text"])
        cited = [
            _citation(quote, stance, source, f"c{i}") for i, (quote, stance) in enumerate(citations)
        ]
        return run_checks(EventFacts(PartialDate.parse(fields["date"]), cited))

    def test_the_visit_was_reported_before_it_happened(self):
        checks = self._demo("Defence Minister Rajnath Singh visits Russia")
        assert checks == [
            Check(
                "single-source",
                Severity.WARNING,
                "Every citation comes from one source. Find an independent report of the "
                "event and cite it too.",
            ),
            Check(
                "reported-before-event",
                Severity.WARNING,
                "Every supporting source was published before the event's date (5 Nov 2019; "
                "the latest on 2019-10-29): they report a plan or a schedule, not that it "
                "happened. Cite a report published on or after the date that confirms it "
                "took place.",
            ),
        ]

    def test_the_delegation_in_november_was_reported_in_october(self):
        codes = [c.code for c in self._demo("Industry delegation")]
        assert codes == ["single-source", "reported-before-event"]

    def test_the_rifle_deal_of_2019_is_in_the_article(self):
        codes = [c.code for c in self._demo("India and Russia sign a deal")]
        assert codes == ["single-source"]

    def test_the_partnership_has_only_context(self):
        checks = self._demo("India and Russia begin")
        assert [(c.code, c.severity) for c in checks] == [
            ("single-source", Severity.WARNING),
            ("no-supporting-citation", Severity.INFO),
        ]

    def test_every_demo_quote_is_in_the_article(self):
        for _fields, citations, _reviews in EVENTS:
            for quote, _stance in citations:
                assert quote_in_text(quote, ARTICLE)


class TestQuoteNotInSource:
    @pytest.mark.parametrize(
        "quote",
        [
            VISIT_QUOTE,
            VISIT_QUOTE.upper(),
            "the visit  scheduled\nto start from\tNovember 5",
            "In a bid to push \u2018Make in India\u2019",
            '"The Defence Minister is visiting Russia',
            "\u201cThe Defence Minister is visiting Russia",
            "India Russia Intergovernmental Commission",
        ],
    )
    def test_found_whatever_the_case_spacing_and_quote_marks(self, quote):
        assert "quote-not-in-source" not in _codes("2019-11-05", _citation(quote))

    def test_dashes_are_one(self):
        source = _text_source("A visit \u2014 long planned \u2013 began.")
        assert "quote-not-in-source" not in _codes(
            "2019", _citation("visit - long planned -", source=source)
        )

    def test_a_sentence_not_in_the_article_names_the_citation(self):
        checks = run_checks(
            EventFacts(
                PartialDate.parse("2019-11-05"),
                [
                    _citation(),
                    _citation("The minister signed a treaty in Moscow.", citation_id="c2"),
                ],
            )
        )
        assert checks[0] == Check(
            "quote-not-in-source",
            Severity.WARNING,
            "The quote of this citation does not occur in the text of its source (s1). Quote "
            "the source word for word (case, spacing and curly or straight quotes do not "
            "matter), or correct the source's text.",
            "c2",
        )
        assert [c.citation_id for c in checks if c.code == "quote-not-in-source"] == ["c2"]

    def test_a_source_without_text_is_not_checked(self):
        source = SourceFacts("s1", "ANI", PUBLISHED, None)
        assert _codes("2019-11-05", _citation("Anything at all.", source=source)) == [
            "single-source",
            "reported-before-event",
        ]

    def test_words_cut_mid_word_still_occur(self):
        assert quote_in_text("isit schedul", ARTICLE)
        assert not quote_in_text("visit was scheduled", ARTICLE)


class TestSourcesAndPublishers:
    def _source(self, source_id: str, publisher: str | None) -> SourceFacts:
        return SourceFacts(source_id, publisher, None, None)

    def test_one_source_cited_twice_is_single_source(self):
        codes = _codes(
            "2019",
            _citation(source=self._source("a", "ANI")),
            _citation(source=self._source("a", "ANI")),
        )
        assert codes == ["single-source"]

    def test_two_sources_of_one_publisher(self):
        checks = run_checks(
            EventFacts(
                PartialDate.parse("2019"),
                [
                    _citation(source=self._source("a", "ANI")),
                    _citation(source=self._source("b", " ani "), stance=DISPUTES),
                ],
            )
        )
        assert checks == [
            Check(
                "single-publisher",
                Severity.WARNING,
                "All 2 sources come from one publisher (ANI). Cite a report from another "
                "publisher.",
            )
        ]

    @pytest.mark.parametrize("second", ["Reuters", None])
    def test_other_or_unknown_publishers_are_not_one(self, second):
        codes = _codes(
            "2019",
            _citation(source=self._source("a", "ANI")),
            _citation(source=self._source("b", second)),
        )
        assert codes == []

    def test_no_citations_only_lacks_support(self):
        assert _codes("2019-11-05") == ["no-supporting-citation"]

    @pytest.mark.parametrize("stance", [DISPUTES, CONTEXT])
    def test_no_supporting_citation_is_info(self, stance):
        checks = run_checks(EventFacts(PartialDate.parse("2019"), [_citation(stance=stance)]))
        assert checks[-1] == Check(
            "no-supporting-citation",
            Severity.INFO,
            "No citation supports this claim yet. Add a 'supports' citation quoting a source "
            "that reports it; a claim cannot be verified without one.",
        )


class TestReportedBeforeEvent:
    def _source(self, source_id: str, published_on: dt.date | None) -> SourceFacts:
        return SourceFacts(source_id, source_id, published_on, None)

    @pytest.mark.parametrize(
        ("date", "published", "raised"),
        [
            ("2019-11-05", [dt.date(2019, 10, 29)], True),
            ("2019-11-05", [dt.date(2019, 11, 5)], False),  # the same day: reported as it happened
            ("2019-11-05", [dt.date(2019, 10, 29), dt.date(2019, 11, 6)], False),
            ("2019-11", [dt.date(2019, 10, 29)], True),
            ("2019-11", [dt.date(2019, 11, 1)], False),
            ("2019", [dt.date(2019, 10, 29)], False),
            ("2020", [dt.date(2019, 12, 31)], True),
            ("2019-11-05", [dt.date(2019, 10, 29), None], False),  # unknown: cannot tell
        ],
    )
    def test_raised_when_every_supporting_source_is_earlier(self, date, published, raised):
        citations = [
            _citation(source=self._source(f"s{i}", day), citation_id=f"c{i}")
            for i, day in enumerate(published)
        ]
        assert ("reported-before-event" in _codes(date, *citations)) is raised

    def test_only_supporting_sources_count(self):
        later = _citation(stance=CONTEXT, source=self._source("later", dt.date(2019, 12, 1)))
        early = _citation(source=self._source("early", PUBLISHED))
        assert "reported-before-event" in _codes("2019-11-05", early, later)


class TestDateInSources:
    @pytest.mark.parametrize(
        "text",
        [
            "The visit starts on November 5.",
            "The visit starts on Nov 5, 2019.",
            "The visit starts on Nov. 5.",
            "The visit starts on 5 November 2019.",
            "The visit starts on 5th of November.",
            "The visit starts on 5 Nov.",
            "The visit starts on NOV 5.",
            "The visit starts on 2019-11-05.",
            "The visit starts on 5/11/2019.",
            "The visit starts on 11/5/2019.",
            "The visit starts on 05.11.2019.",
            "The visit starts on Tuesday, November 5th, 2019.",
        ],
    )
    def test_a_day_in_any_usual_form(self, text):
        assert _date_codes("2019-11-05", text) == []

    @pytest.mark.parametrize(
        "text", ["Talks in November 2019.", "Talks in Nov. 2019.", "Talks in November.", "2019-11"]
    )
    def test_a_month(self, text):
        assert _date_codes("2019-11", text) == []

    @pytest.mark.parametrize(
        "text", ["In 2019 the two sides met.", "Dated 2019-10-29.", "On Oct 29."]
    )
    def test_a_year(self, text):
        assert _date_codes("2019", text) == []

    @pytest.mark.parametrize(
        "text",
        [
            "The visit starts on November 6.",
            "The visit starts on November 50.",
            "The visit starts on 6/12/2019.",
            "Talks were held in 2018.",
            "No date at all.",
            "Costs rose by 2019 dollars.",  # a year is a year, but not 5 Nov
        ],
    )
    def test_other_dates_are_not_the_date(self, text):
        assert _date_codes("2019-11-05", text) in (
            ["date-not-in-sources"],
            ["precision-finer-than-sources"],
        )
        if "November" in text and "6" in text:
            assert _date_codes("2019-11-05", text) == ["date-not-in-sources"]

    def test_another_day_in_the_month_is_not_a_coarser_date(self):
        assert _date_codes("2019-11-05", "The talks end on November 6.") == ["date-not-in-sources"]

    @pytest.mark.parametrize(
        ("date", "text", "given"),
        [
            ("2019-11-05", "The visit is in the first week of November.", "month"),
            ("2019-11-05", "The visit is planned for November 2019.", "month"),
            ("2019-11-05", "The visit is planned for 2019.", "year"),
            ("2019-11", "The visit is planned for 2019.", "year"),
        ],
    )
    def test_sources_that_give_the_date_only_coarser(self, date, text, given):
        source = _text_source(text)
        checks = run_checks(
            EventFacts(PartialDate.parse(date), [_citation(text[:10], source=source)])
        )
        (check,) = [c for c in checks if c.code == "precision-finer-than-sources"]
        precision = PartialDate.parse(date).precision.label
        assert check.message == (
            f"The date {PartialDate.parse(date).label()} is given to the {precision}, but the "
            f"supporting sources give it only to the {given}. Make the date as precise as the "
            f"sources (to the {given}), or cite a source that gives the {precision}."
        )
        assert "date-not-in-sources" not in [c.code for c in checks]

    def test_the_message_of_a_missing_date(self):
        source = _text_source("Talks were held in 2018.")
        checks = run_checks(
            EventFacts(PartialDate.parse("2019-11-05"), [_citation("Talks", source=source)])
        )
        assert checks[-1] == Check(
            "date-not-in-sources",
            Severity.WARNING,
            "The date 5 Nov 2019 does not appear in the text of any supporting source. Check "
            "the date against the sources and correct it, or cite a source that states it.",
        )

    def test_a_yearless_date_is_of_the_publication_year_or_next_to_it(self):
        assert _date_codes("2020-11-05", "On November 5.", dt.date(2019, 12, 1)) == []
        assert _date_codes("2023-11-05", "On November 5.", dt.date(2019, 12, 1)) == [
            "date-not-in-sources"
        ]
        assert _date_codes("2023-11-05", "On November 5.", None) == []

    def test_not_raised_without_text_or_support(self):
        no_text = SourceFacts("s1", "ANI", PUBLISHED, None)
        assert "date-not-in-sources" not in _codes("2000-01-01", _citation(source=no_text))
        assert "date-not-in-sources" not in _codes("2000-01-01", _citation(stance=CONTEXT))

    def test_any_supporting_source_with_the_date_is_enough(self):
        silent = _text_source("Nothing dated here.", "s2")
        dated = _text_source("It began on 5 November 2019.", "s3")
        codes = _codes(
            "2019-11-05", _citation("Nothing", source=silent), _citation("It began", source=dated)
        )
        assert "date-not-in-sources" not in codes
        assert "precision-finer-than-sources" not in codes

    def test_lower_case_may_is_a_verb(self):
        assert date_mentions("Talks may 5 times fail") == set()
        assert _mentioned("Talks on May 5") == {(None, 5, 5), (None, 5, None)}

    def test_impossible_days_are_not_dates(self):
        assert _mentioned("On 31 November and 13/13/2019") == {(None, 11, None), (2019, None, None)}

    def test_every_form_at_its_precision(self):
        assert _mentioned(ARTICLE[:200]) == {
            (2019, 10, 29),
            (2019, None, None),
            (None, 10, 29),
            (None, 11, None),
        }


def _mentioned(text: str) -> set[tuple[int | None, int | None, int | None]]:
    return {(m.year, m.month, m.day) for m in date_mentions(text)}


def test_codes_are_the_documented_ones():
    assert CODES == (
        "quote-not-in-source",
        "single-source",
        "single-publisher",
        "reported-before-event",
        "date-not-in-sources",
        "precision-finer-than-sources",
        "no-supporting-citation",
    )

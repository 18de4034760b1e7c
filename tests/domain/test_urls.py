"""Unit tests for timeline.domain.urls: which source URLs name the same document."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.domain.urls import normalise_url

BASE = "https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&page=2"
CANONICAL = "https://www.aninews.in/news/world/asia/india-russia-ties?id=7&page=2"


class TestCanonicalForm:
    def test_a_messy_url_gives_its_canonical_form(self) -> None:
        messy = "HTTP://Example.COM:80/a/b/?b=2&a=1&utm_source=x&fbclid=y#frag"
        assert normalise_url(messy) == "http://example.com/a/b?a=1&b=2"

    def test_the_canonical_form_is_a_fixed_point(self) -> None:
        assert normalise_url(CANONICAL) == CANONICAL
        assert normalise_url(normalise_url(BASE)) == normalise_url(BASE)

    def test_root_path(self) -> None:
        assert normalise_url("https://example.com") == "https://example.com/"
        assert normalise_url("https://example.com/") == "https://example.com/"
        assert normalise_url("https://example.com/?") == "https://example.com/"


class TestSameDocument:
    @pytest.mark.parametrize(
        "variant",
        [
            # case of scheme and host
            "HTTPS://WWW.ANINEWS.IN/news/world/asia/india-russia-ties/?id=7&page=2",
            "Https://Www.Aninews.In/news/world/asia/india-russia-ties/?id=7&page=2",
            # default port
            "https://www.aninews.in:443/news/world/asia/india-russia-ties/?id=7&page=2",
            # fragment
            "https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&page=2#comments",
            # trailing slash
            "https://www.aninews.in/news/world/asia/india-russia-ties?id=7&page=2",
            # query parameter order
            "https://www.aninews.in/news/world/asia/india-russia-ties/?page=2&id=7",
            # tracking parameters
            "https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&page=2&utm_source=tw",
            "https://www.aninews.in/news/world/asia/india-russia-ties/"
            "?utm_medium=social&id=7&utm_campaign=x&page=2&utm_content=",
            "https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&fbclid=IwAR0abc&page=2",
            "https://www.aninews.in/news/world/asia/india-russia-ties/?gclid=Cj0K&id=7&page=2",
            "https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&page=2&UTM_Source=x",
            "https://www.aninews.in/news/world/asia/india-russia-ties/"
            "?id=7&page=2&mc_cid=1&mc_eid=2&igshid=3&ref_src=twsrc",
            # dot segments
            "https://www.aninews.in/news/world/./europe/../asia/india-russia-ties/?id=7&page=2",
            # surrounding whitespace
            "  https://www.aninews.in/news/world/asia/india-russia-ties/?id=7&page=2\n",
            # everything at once
            "HTTPS://www.AniNews.in:443/news/world/asia/india-russia-ties/"
            "?utm_source=x&page=2&gclid=1&id=7#top",
        ],
    )
    def test_variants_normalise_to_one_key(self, variant: str) -> None:
        assert normalise_url(variant) == CANONICAL

    def test_http_default_port(self) -> None:
        assert normalise_url("http://example.com:80/a") == normalise_url("http://example.com/a")

    def test_query_encoding_of_spaces(self) -> None:
        assert normalise_url("http://example.com/a?q=a+b") == normalise_url(
            "http://example.com/a?q=a%20b"
        )

    def test_repeated_parameters_in_any_order(self) -> None:
        assert normalise_url("http://example.com/a?t=2&t=1") == normalise_url(
            "http://example.com/a?t=1&t=2"
        )


class TestDifferentDocuments:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            # other query parameters are kept
            ("http://example.com/story?id=1", "http://example.com/story?id=2"),
            ("http://example.com/story?id=1", "http://example.com/story"),
            ("http://example.com/story?id=1", "http://example.com/story?id=1&page=2"),
            ("http://example.com/a?t=1", "http://example.com/a?t=1&t=1"),
            # parameters that only look like tracking ones are kept
            ("http://example.com/a?utm=1", "http://example.com/a"),
            ("http://example.com/a?ref=home", "http://example.com/a"),
            # paths
            ("http://example.com/a", "http://example.com/b"),
            ("http://example.com/a/b", "http://example.com/a"),
            ("http://example.com/A", "http://example.com/a"),
            ("http://example.com/a", "http://example.com/"),
            # scheme, host and non-default ports
            ("http://example.com/a", "https://example.com/a"),
            ("http://example.com/a", "http://www.example.com/a"),
            ("http://example.com:8080/a", "http://example.com/a"),
            ("https://example.com:80/a", "https://example.com/a"),
        ],
    )
    def test_distinct(self, a: str, b: str) -> None:
        assert normalise_url(a) != normalise_url(b)

    def test_non_tracking_parameters_survive(self) -> None:
        result = normalise_url("http://example.com/a?utm_source=x&id=7&ref=home")
        assert result == "http://example.com/a?id=7&ref=home"


# --- property: cosmetic changes never change the key; real ones always do ---

names = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).filter(
    lambda n: not n.startswith("utm_") and n not in {"fbclid", "gclid", "mc_cid", "mc_eid"}
)
values = st.text("abcdefghijklmnopqrstuvwxyz0123456789", max_size=6)
segments = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8), max_size=4
)
hosts = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), min_size=2, max_size=3
)
tracking = st.tuples(
    st.sampled_from(["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid"]), values
)


def random_case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=False))


class TestNormaliseProperty:
    @given(
        scheme=st.sampled_from(["http", "https"]),
        host=hosts,
        path=segments,
        query=st.lists(st.tuples(names, values), max_size=4, unique_by=lambda p: p[0]),
        noise=st.lists(tracking, max_size=3),
        data=st.data(),
    )
    def test_cosmetic_changes_keep_the_key(
        self,
        scheme: str,
        host: list[str],
        path: list[str],
        query: list[tuple[str, str]],
        noise: list[tuple[str, str]],
        data: st.DataObject,
    ) -> None:
        hostname = ".".join(host)
        plain_path = "/" + "/".join(path)
        plain_query = "&".join(f"{n}={v}" for n, v in sorted(query))
        plain = f"{scheme}://{hostname}{plain_path}" + (f"?{plain_query}" if query else "")

        flips = data.draw(st.lists(st.booleans(), min_size=40, max_size=40))
        port = {"http": ":80", "https": ":443"}[scheme] if data.draw(st.booleans()) else ""
        slash = "/" if bool(path) and data.draw(st.booleans()) else ""
        params = data.draw(st.permutations(query + noise))
        fragment = data.draw(st.sampled_from(["", "#", "#section-2"]))
        messy = (
            f"{random_case(scheme, flips)}://{random_case(hostname, flips[5:])}{port}"
            f"{plain_path}{slash}"
            + ("?" + "&".join(f"{n}={v}" for n, v in params) if params else "")
            + fragment
        )
        assert normalise_url(messy) == normalise_url(plain)
        assert normalise_url(normalise_url(plain)) == normalise_url(plain)

    @given(host=hosts, path=segments, extra=st.tuples(names, values))
    def test_an_extra_real_parameter_changes_the_key(
        self, host: list[str], path: list[str], extra: tuple[str, str]
    ) -> None:
        url = f"https://{'.'.join(host)}/{'/'.join(path)}"
        assert normalise_url(f"{url}?{extra[0]}={extra[1]}") != normalise_url(url)

    @given(host=hosts, path=segments, other=segments)
    def test_different_paths_differ(
        self, host: list[str], path: list[str], other: list[str]
    ) -> None:
        if path != other:
            base = f"https://{'.'.join(host)}/"
            assert normalise_url(base + "/".join(path)) != normalise_url(base + "/".join(other))

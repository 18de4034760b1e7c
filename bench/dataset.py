"""A seeded synthetic data set for the benchmarks, and the reviews that give it statuses.

``generate`` writes events as JSON Lines in the shape ``flask events import`` reads
(a createEvent body with an ``external_id``). The same ``Shape`` and seed always
give the same file. What makes it realistic, each an explicit parameter of
``Shape``:

- many country pairs with skewed sizes: ``largest_share`` of the events are
  between the two countries of ``largest_pair``; the others pick their countries
  with Zipf weights (``zipf``) over ``COUNTRIES``, and ``three_country_share`` of
  all events are among three countries (so they are in three pairs);
- dates of year, month and day precision (some ranges, some approximate), more of
  them in recent years (an exponential decay of mean ``recent_years`` back from
  ``last_year``);
- 1 to 4 citations per event, whose sources come inline from a shared pool of
  ``sources`` (so most are found, not created);
- rare statuses: the create shape has no status, so ``generate`` returns the
  reviews to post after the import (``post_reviews``), ``status_shares`` of the
  events each (1% false by default), each event given the citation stance its
  status needs;
- a rare tag and a rare word: ``rare_tag`` on ``rare_tag_share`` of the events,
  ``rare_word`` in the title of ``rare_word_share`` of them (1% each, as rare as
  false claims, so that a page of 25 fills at every size the benchmark runs).
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

# ISO 3166-1 codes, most eventful first (the Zipf weights follow this order).
COUNTRIES = [
    *("US", "CN", "RU", "IN", "GB", "FR", "DE", "JP", "PK", "IR", "IL", "TR", "UA", "BR"),
    *("KR", "KP", "SA", "EG", "ZA", "NG", "AU", "CA", "MX", "ID", "VN", "TH", "PH", "AF"),
    *("IQ", "SY", "BD", "LK", "NP", "MM", "KZ", "PL", "IT", "ES", "NL", "SE", "NO", "AR"),
]
PUBLISHERS = ["ANI", "PTI", "Reuters", "TASS", "AFP", "Xinhua", "AP", "BBC", None]
WORDS = [
    *("defence", "minister", "visit", "talks", "trade", "deal", "rifles", "joint"),
    *("venture", "summit", "border", "agreement", "delegation", "missile", "aircraft"),
    *("navy", "exercise", "energy", "pipeline", "sanctions", "treaty", "election", "grain"),
    *("embassy", "loan", "satellite", "nuclear", "refinery", "railway", "port", "vaccine"),
]
COMMON_TAGS = ["defence", "trade", "energy", "diplomacy", "security", "economy", "space"]
ACTORS = ["Rajnath Singh", "Sergei Shoigu", "Ajay Kumar", "Li Wei", "Anna Schmidt", "Jean Roux"]
# The stances a review to a status needs among the event's citations (timeline.domain.claims).
NEEDED_STANCES = {
    "verified": ["supports"],
    "false": ["disputes"],
    "disputed": ["supports", "disputes"],
    "in_review": [],
}
STANCES = ["supports", "supports", "context", "disputes"]


@dataclass(frozen=True)
class Shape:
    events: int
    seed: int = 1
    sources: int = 5_000
    largest_pair: tuple[str, str] = ("IN", "RU")
    largest_share: float = 0.4
    zipf: float = 1.1
    three_country_share: float = 0.05
    last_year: int = 2025
    first_year: int = 1950
    recent_years: float = 15.0
    status_shares: Mapping[str, float] = field(
        default_factory=lambda: {"false": 0.01, "disputed": 0.01, "verified": 0.03}
    )
    rare_tag: str = "ceasefire"
    rare_tag_share: float = 0.01
    rare_word: str = "zeppelin"
    rare_word_share: float = 0.01

    @property
    def largest_pair_id(self) -> str:
        return "-".join(sorted(self.largest_pair))

    def external_id(self, i: int) -> str:
        return f"bench-{self.seed}-{i}"


class _Generator:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        weights = [1 / (rank + 1) ** shape.zipf for rank in range(len(COUNTRIES))]
        self.cumulative = list(itertools.accumulate(weights))
        self.pool = [self.source(n) for n in range(shape.sources)]
        statuses = list(shape.status_shares.items())
        self.status_bounds = list(itertools.accumulate(share for _, share in statuses))
        self.statuses = [status for status, _ in statuses]

    def day(self) -> str:
        year = self.year()
        return f"{year}-{self.rng.randint(1, 12):02}-{self.rng.randint(1, 28):02}"

    def year(self) -> int:
        back = int(self.rng.expovariate(1 / self.shape.recent_years))
        return max(self.shape.first_year, self.shape.last_year - back)

    def date(self) -> dict[str, Any]:
        rng, year = self.rng, self.year()
        precision = rng.choice(["year", "month", "day", "day", "day"])
        end = None
        if precision == "year":
            start = f"{year}"
            if rng.random() < 0.1:
                end = f"{min(self.shape.last_year, year + rng.randint(1, 3))}"
                end = end if end != start else None
        elif precision == "month":
            start = f"{year}-{rng.randint(1, 12):02}"
        else:
            month, day = rng.randint(1, 12), rng.randint(1, 27)
            start = f"{year}-{month:02}-{day:02}"
            if rng.random() < 0.15:
                end = f"{year}-{month:02}-{min(28, day + rng.randint(1, 5)):02}"
        return {"date": start, "end_date": end, "approximate": rng.random() < 0.1}

    def source(self, n: int) -> dict[str, Any]:
        return {
            "url": f"https://news.example.org/{n // 100}/report-{n}",
            "title": f"Report {n}: " + " ".join(self.rng.sample(WORDS, 4)),
            "publisher": self.rng.choice(PUBLISHERS),
            "published_on": self.day(),
        }

    def countries(self) -> list[str]:
        rng, shape = self.rng, self.shape
        size = 3 if rng.random() < shape.three_country_share else 2
        chosen = list(shape.largest_pair) if rng.random() < shape.largest_share else []
        while len(chosen) < size:
            code = COUNTRIES[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]
            if code not in chosen:
                chosen.append(code)
        return chosen

    def status(self) -> str | None:
        at = bisect.bisect(self.status_bounds, self.rng.random())
        return self.statuses[at] if at < len(self.statuses) else None

    def event(self, i: int, status: str | None) -> dict[str, Any]:
        rng, shape = self.rng, self.shape
        title = rng.sample(WORDS, 5)
        if rng.random() < shape.rare_word_share:
            title[rng.randrange(5)] = shape.rare_word
        tags = rng.sample(COMMON_TAGS, rng.randint(0, 3))
        if rng.random() < shape.rare_tag_share:
            tags.append(shape.rare_tag)
        count = rng.randint(1, 4)
        needed = NEEDED_STANCES[status] if status else []
        stances = [*needed, *(rng.choice(STANCES) for _ in range(count - len(needed)))]
        event: dict[str, Any] = {
            "external_id": shape.external_id(i),
            "title": " ".join(title).capitalize(),
            "summary": " ".join(rng.choices(WORDS, k=rng.randint(5, 30))),
            **self.date(),
            "countries": self.countries(),
            "actors": rng.sample(ACTORS, rng.randint(0, 2)),
            "tags": tags,
            "citations": [
                {
                    "source": rng.choice(self.pool),
                    "quote": " ".join(rng.choices(WORDS, k=8)),
                    "stance": stance,
                }
                for stance in stances
            ],
        }
        if rng.random() < 0.2:
            event["location"] = {"name": "Moscow", "country": "RU", "lat": 55.75, "lon": 37.62}
        return event


def generate(path: Path, shape: Shape) -> dict[str, str]:
    """Write the events of ``shape`` to ``path``; the statuses to give them by review,
    by external id."""
    generator = _Generator(shape)
    reviews: dict[str, str] = {}
    with path.open("wb") as out:
        for i in range(shape.events):
            status = generator.status()
            if status:
                reviews[shape.external_id(i)] = status
            out.write(orjson.dumps(generator.event(i, status)) + b"\n")
    return reviews


REVIEWER = "bench-reviewer"


def post_reviews(reviews: Mapping[str, str], *, batch_size: int = 500) -> int:
    """Give the imported events their statuses through the write path that
    ``POST /events/{id}/reviews`` uses (documents, timeline rows and anything the
    write path keeps in step); run inside an app context. The reviews posted."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from timeline import services
    from timeline.changes import acting_as
    from timeline.db import db
    from timeline.domain.claims import ClaimStatus
    from timeline.models import Event

    posted = 0
    ids = sorted(reviews)
    with acting_as(REVIEWER):
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            events = db.session.scalars(
                select(Event)
                .where(Event.external_id.in_(chunk))
                .options(selectinload(Event.citations))
            )
            for event in events:
                status = ClaimStatus(reviews[str(event.external_id)])
                services.post_review(event, status, "Reviewed for the benchmark.", REVIEWER)
                posted += 1
            db.session.commit()
    return posted

"""Precision and recall of draft events' dates and countries: prints figures, asserts nothing.

    python bench/drafts_eval.py [--verbose]

Runs timeline.domain.drafts on the labelled wire reports in tests/data/drafts/wire.jsonl
and on the seed article, and prints a table:

- dates: a proposed draft is right when its date and end date (ISO forms, so the
  precision counts) equal those of an expected event of the same text; each expected
  event matches at most one draft;
- countries: (event, country) pairs; a matched draft's countries are compared with its
  event's, an unmatched draft's all count as wrong, a missed event's all as missed.

With --verbose it lists, per text, the missed events and the wrong drafts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from timeline.domain.drafts import propose

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "drafts" / "wire.jsonl"
SEED = {
    "id": "seed",
    "published_on": "2019-10-29",
    "text": resources.files("timeline.demo")
    .joinpath("ani-2019-10-29-india-russia-defence.txt")
    .read_text(encoding="utf-8"),
    # The visit, and the AK-203 deal (no date in the text: "recently", the month of
    # publication at best). "Over five decades of partnership" is no event.
    "events": [
        {"date": "2019-11-05", "end_date": None, "countries": ["IN", "RU"]},
        {"date": "2019-10", "end_date": None, "countries": ["IN", "RU"]},
    ],
}


@dataclass
class Tally:
    proposed: int = 0
    expected: int = 0
    right: int = 0

    def add(self, other: Tally) -> None:
        self.proposed += other.proposed
        self.expected += other.expected
        self.right += other.right

    def precision(self) -> str:
        return f"{self.right / self.proposed:.2f}" if self.proposed else "-"

    def recall(self) -> str:
        return f"{self.right / self.expected:.2f}" if self.expected else "-"


def _key(event: dict[str, Any]) -> tuple[str, str | None]:
    return event["date"], event.get("end_date")


def score(case: dict[str, Any], verbose: bool) -> tuple[Tally, Tally]:
    drafts = [
        d["event"] for d in propose(case["text"], dt.date.fromisoformat(case["published_on"]))
    ]
    expected = list(case["events"])
    dates = Tally(proposed=len(drafts), expected=len(expected))
    countries = Tally()
    unmatched = list(expected)
    wrong = []
    for draft in drafts:
        event = next((e for e in unmatched if _key(e) == _key(draft)), None)
        proposed = set(draft["countries"])
        countries.proposed += len(proposed)
        if event is None:
            wrong.append(draft)
            continue
        unmatched.remove(event)
        dates.right += 1
        countries.expected += len(event["countries"])
        countries.right += len(proposed & set(event["countries"]))
        if verbose and proposed != set(event["countries"]):
            print(f"  {case['id']}: {_key(event)} countries {sorted(proposed)}, "
                  f"expected {event['countries']}")  # fmt: skip
    countries.expected += sum(len(e["countries"]) for e in unmatched)
    if verbose:
        for event in unmatched:
            print(f"  {case['id']}: missed {_key(event)} {event['countries']}")
        for draft in wrong:
            print(f"  {case['id']}: wrong {_key(draft)} {draft['countries']}: {draft['title']}")
    return dates, countries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list each text's misses")
    args = parser.parse_args()
    cases = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    rows = []
    for name, group in ((f"wire reports ({len(cases)} texts)", cases), ("seed article", [SEED])):
        dates, countries = Tally(), Tally()
        for case in group:
            case_dates, case_countries = score(case, args.verbose)
            dates.add(case_dates)
            countries.add(case_countries)
        rows.append((name, dates, countries))
    print()
    print("| set | events expected | drafts | date P | date R | country P | country R |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, dates, countries in rows:
        print(
            f"| {name} | {dates.expected} | {dates.proposed} | {dates.precision()} | "
            f"{dates.recall()} | {countries.precision()} | {countries.recall()} |"
        )


if __name__ == "__main__":
    main()

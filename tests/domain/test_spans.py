from __future__ import annotations

import random

import pytest

from timeline.domain.spans import LEVELS, block_holding, blocks, range_levels


def _days(found: list[tuple[int, int]]) -> list[int]:
    return sorted(
        day for level, number in found for day in range(number << level, (number + 1) << level)
    )


@pytest.mark.parametrize(
    ("first", "last"), [(5, 5), (4, 7), (0, 0), (3, 17), (1000, 1023), (737_000, 738_461)]
)
def test_a_range_is_its_days_in_blocks_that_do_not_overlap(first: int, last: int) -> None:
    assert _days(blocks(first, last)) == list(range(first, last + 1))


def test_the_ranges_holding_a_day_have_one_of_its_blocks_each_once() -> None:
    rng = random.Random(3)
    ranges = [(a, a + rng.choice([0, 1, 4, 30, 400, 5000])) for a in rng.sample(range(5000), 300)]
    for day in range(0, 10_000, 37):
        holding = {(level, block_holding(day, level)) for level in range(LEVELS)}
        found = [r for r in ranges for block in blocks(*r) if block in holding]
        assert sorted(found) == sorted(r for r in ranges if r[0] <= day <= r[1])


def test_the_longest_range_of_dates_fits_the_levels() -> None:
    # 1 January of year 1 to 31 December 9999, as date.toordinal counts them.
    found = blocks(1, 3_652_059)
    assert max(level for level, _number in found) < LEVELS
    assert len(found) <= 2 * LEVELS


def test_a_range_has_blocks_only_in_the_levels_its_span_gives() -> None:
    # Every range of up to 1,100 days at every alignment, and one at each power of two.
    spans = [*range(1100), *(2**k + d for k in range(11, 22) for d in (-1, 0, 1))]
    for span in spans:
        levels = range_levels(span)
        used = [
            max(level for level, _number in blocks(first, first + span))
            for first in (range(64) if span < 1100 else (0, 1, 2**21 - 1))
        ]
        # Not one level too many either: some alignment reaches the last level.
        assert max(used) == levels - 1, span
    assert range_levels(3_652_058) == LEVELS

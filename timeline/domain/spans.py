"""Ranges of days as aligned blocks, so that the ranges holding a day are found by
a few exact lookups rather than by scanning every range that starts before it.

A block of level L and number i holds the days i * 2**L to (i + 1) * 2**L - 1.
A range of days is the union of at most two blocks of each level, none of which
overlap (``blocks``). A day lies in one block of each level (``block_holding``),
so the ranges that hold a day are exactly those that have one of those blocks,
each found once, whatever their length.
"""

from __future__ import annotations

# 2**22 days are more than 11,000 years: any two dates fit in blocks of levels 0 to 21.
LEVELS = 22


def blocks(first_day: int, last_day: int) -> list[tuple[int, int]]:
    """The aligned blocks, as (level, number), that make up the days from
    ``first_day`` to ``last_day``, both included."""
    found = []
    start, end, level = first_day, last_day + 1, 0
    while start < end:
        if start & 1:
            found.append((level, start))
            start += 1
        if end & 1:
            end -= 1
            found.append((level, end))
        start, end, level = start >> 1, end >> 1, level + 1
    return found


def range_levels(span: int) -> int:
    """How many levels, from 0, the blocks of a range of ``span`` days after its first
    (last day - first day) can be in: a block of level L holds 2**L of its days."""
    return min(LEVELS, (span + 1).bit_length())


def block_holding(day: int, level: int) -> int:
    """The number of the block of ``level`` that holds ``day``."""
    return day >> level

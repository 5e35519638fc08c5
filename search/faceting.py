"""Haystack's facet answers, in the form every Chamber engine gives them (the Whoosh
engine's types and order): (value, count) most first, then by value; date buckets as
(start, end) from `start_date` in steps of `gap_amount` `gap_by`s (the last a whole step, as
Whoosh's `DateRangeFacet` makes them), the documents outside every bucket under None, placed
by their count."""

import datetime
from typing import Any

from whoosh.support.relativedelta import relativedelta


def ranked(values: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    return sorted(values, key=lambda item: (-item[1], item[0]))


def date_buckets(options: dict[str, Any]) -> list[tuple[datetime.datetime, datetime.datetime]]:
    start, end = (as_datetime(options[key]) for key in ("start_date", "end_date"))
    gap = relativedelta(**{f"{options['gap_by']}s": options.get("gap_amount", 1)})
    buckets = []
    low = start
    while low < end:
        buckets.append((low, low + gap))
        low = low + gap
    return buckets


def date_counts(
    counted: list[tuple[tuple[datetime.datetime, datetime.datetime], int]], total: int
) -> list[tuple[Any, int]]:
    """The buckets with documents, most first, and those outside every bucket (of `total`
    matches) under None."""
    inside = [(bucket, count) for bucket, count in counted if count]
    ordered = ranked(inside)
    outside = total - sum(count for _, count in inside)
    if outside:
        place = next((i for i, (_, n) in enumerate(ordered) if n < outside), len(ordered))
        ordered.insert(place, (None, outside))
    return ordered


def as_datetime(value: object) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    raise ValueError(f"Not a date: {value!r}")

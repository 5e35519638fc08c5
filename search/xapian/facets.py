"""Exact facet counts from Xapian's match spies, over every match (never the first thousand
that xapian-haystack's spies saw): one `ValueCountMatchSpy` per slot asked for, which
Xapian's remote protocol carries to each shard and merges back.

- A single-valued field counts its slot's values.
- A multi-valued field's slot holds its values joined (`schema.SEPARATOR`): the spy counts
  each combination, and each value is the sum of the combinations that hold it.
- A date facet counts the date slot's values (one per distinct date or instant), then puts
  them in the buckets.

Answers take Haystack's form and the Whoosh engine's types and order (`search.faceting`).
"""

import bisect
from collections import Counter
from collections.abc import Iterable
from typing import Any

import xapian
from haystack.exceptions import SearchBackendError

from ..faceting import date_buckets, date_counts, ranked
from .schema import SEPARATOR, Field, Layout, date_value, read_date


def spies(
    layout: Layout, facets: Iterable[str], date_facets: Iterable[str]
) -> dict[int, xapian.ValueCountMatchSpy]:
    """One spy for each slot that a facet reads."""
    made: dict[int, xapian.ValueCountMatchSpy] = {}
    for name in [*facets, *date_facets]:
        field = layout.fields.get(name)
        if field is None or field.slot is None:
            raise SearchBackendError(f"No field {name!r} to facet on.")
        if name in date_facets and field.kind != "date":
            raise SearchBackendError(f"No date field {name!r} to facet on.")
        if field.slot not in made:
            made[field.slot] = xapian.ValueCountMatchSpy(field.slot)
    return made


def _counted(spy: xapian.ValueCountMatchSpy) -> list[tuple[bytes, int]]:
    return [(bytes(item.term), int(item.termfreq)) for item in spy.values()]


def field_counts(
    layout: Layout, found: dict[int, xapian.ValueCountMatchSpy], facets: Iterable[str]
) -> dict[str, list[tuple[Any, int]]]:
    counts = {}
    for name in facets:
        field = layout.fields[name]
        assert field.slot is not None
        counted = _counted(found[field.slot])
        if field.kind == "keyword":
            each: Counter[str] = Counter()
            for joined, count in counted:
                for value in joined.decode().split(SEPARATOR):
                    each[value] += count
            counts[name] = ranked(list(each.items()))
        else:
            counts[name] = ranked([(_value(field, value), count) for value, count in counted])
    return counts


def _value(field: Field, value: bytes) -> Any:
    kind = field.kind
    if kind == "integer":
        return int(xapian.sortable_unserialise(value))
    if kind == "float":
        return float(xapian.sortable_unserialise(value))
    if kind == "boolean":
        return value == b"t"
    if kind == "date":
        return read_date(value)
    return value.decode()


def date_facet(
    spy: xapian.ValueCountMatchSpy, options: dict[str, Any], total: int
) -> list[tuple[Any, int]]:
    """A date facet's buckets (`search.faceting`), from the counts of each date."""
    buckets = date_buckets(options)
    edges = [date_value(low) for low, _ in buckets]
    end = date_value(buckets[-1][1]) if buckets else b""
    tally = [0] * len(buckets)
    for value, count in _counted(spy):
        if value >= end:
            continue
        place = bisect.bisect_right(edges, value) - 1
        if place >= 0:
            tally[place] += count
    return date_counts(list(zip(buckets, tally, strict=True)), total)

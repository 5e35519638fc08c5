"""Facet counts over every match, counted by Tantivy's aggregations in one pass over the
fast fields (never over a top-N sample): field facets as `terms` aggregations sized to
hold every value, date facets as one `range` aggregation with a bucket per gap.

Answers take Haystack's form and the Whoosh engine's types and order (`search.faceting`);
values as Python (ints, floats, datetimes for dates, strings).
"""

import datetime
from collections.abc import Iterable
from typing import Any

import tantivy
from haystack.exceptions import SearchBackendError

from ..faceting import date_buckets, date_counts, ranked
from .schema import Layout

# Buckets asked of a terms aggregation: more than any field has values, so counts are
# exact (Tantivy counts each segment's terms fully and keeps the `size` largest).
ALL_VALUES = 2**31 - 1
# Tantivy's limit on the buckets of one aggregation, and the values counted at a time by a
# facet that has more.
BUCKET_LIMIT = 65_000
SLICE = 30_000


def aggregation(layout: Layout, facets: Iterable[str]) -> dict[str, Any]:
    """The terms aggregations for field facets."""
    aggregations = {}
    for name in facets:
        field = layout.fields.get(name)
        if field is None or not field.fast:
            raise SearchBackendError(f"No field {name!r} to facet on.")
        aggregations[name] = {
            "terms": {"field": field.sort_name, "size": ALL_VALUES, "segment_size": ALL_VALUES}
        }
    return aggregations


def field_counts(
    layout: Layout, answer: dict[str, Any], facets: Iterable[str]
) -> dict[str, list[tuple[Any, int]]]:
    counts = {}
    for name in facets:
        kind = layout.fields[name].kind
        values = [
            (_value(kind, bucket), int(bucket["doc_count"])) for bucket in answer[name]["buckets"]
        ]
        counts[name] = ranked(values)
    return counts


def _value(kind: str, bucket: dict[str, Any]) -> Any:
    key = bucket["key"]
    if kind == "integer":
        return int(key)
    if kind == "float":
        return float(key)
    if kind == "boolean":
        return bucket.get("key_as_string") == "true" or key in (1, True)
    if kind == "date":
        return _datetime(key)
    return str(key)


def _datetime(key: Any) -> datetime.datetime:
    if isinstance(key, str):
        return datetime.datetime.fromisoformat(key.replace("Z", "+00:00")).replace(tzinfo=None)
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=int(key) // 1000)


# -- Date facets -------------------------------------------------------------------------


class DateFacet:
    """One of Haystack's date facets, counted by one `range` aggregation."""

    def __init__(self, layout: Layout, name: str, options: dict[str, Any]):
        field = layout.fields.get(name)
        if field is None or field.kind != "date":
            raise SearchBackendError(f"No date field {name!r} to facet on.")
        self.name = name
        self.buckets = date_buckets(options)

    def aggregation(self) -> dict[str, Any]:
        ranges = [
            {"key": str(number), "from": _nanoseconds(low), "to": _nanoseconds(high)}
            for number, (low, high) in enumerate(self.buckets)
        ]
        return {"range": {"field": self.name, "ranges": ranges, "keyed": True}}

    def counts(self, answer: dict[str, Any], total: int) -> list[tuple[Any, int]]:
        found = answer["buckets"]
        counted = [
            (bucket, int(found[str(number)]["doc_count"]))
            for number, bucket in enumerate(self.buckets)
            if str(number) in found
        ]
        return date_counts(counted, total)


def _nanoseconds(moment: datetime.datetime) -> float:
    since = moment.replace(tzinfo=datetime.UTC) - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return float((since // datetime.timedelta(microseconds=1)) * 1000)


def run(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    layout: Layout,
    aggregations: dict[str, Any],
) -> dict[str, Any]:
    """The aggregations' answers, in one pass unless a facet has more values than Tantivy
    counts in one aggregation (BUCKET_LIMIT): then that facet is counted a slice of its
    values at a time."""
    try:
        return searcher.aggregate(query, aggregations)
    except ValueError as error:
        if "bucket limit" not in str(error):
            raise
    answer: dict[str, Any] = {}
    for name, one in aggregations.items():
        try:
            answer.update(searcher.aggregate(query, {name: one}))
        except ValueError as error:
            if "bucket limit" not in str(error):
                raise
            answer[name] = {"buckets": _in_slices(searcher, query, layout, name, one)}
    return answer


def _in_slices(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    layout: Layout,
    name: str,
    aggregation: dict[str, Any],
) -> list[dict[str, Any]]:
    field = layout.fields.get(name)
    if field is None or field.kind not in ("exact", "keyword"):
        raise SearchBackendError(
            f"The facet {name!r} has more than {BUCKET_LIMIT:,} values: too many to count."
        )
    terms = [term for term, _ in searcher.terms_with_prefix(field.name, "")]
    buckets = []
    for start in range(0, len(terms), SLICE):
        values = terms[start : start + SLICE]
        within = tantivy.Query.term_set_query(layout.schema, field.name, values)
        sliced = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)]
        )
        wanted = set(values)  # a multi-valued document brings its other values too
        found = searcher.aggregate(sliced, {name: aggregation})[name]["buckets"]
        buckets += [bucket for bucket in found if bucket["key"] in wanted]
    return buckets

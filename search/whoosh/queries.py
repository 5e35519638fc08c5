"""Chamber's faster equivalents of Whoosh queries, swapped in by `tune()` after parsing.
Each answers exactly what the query it replaces answers (tests/search/test_rewrites.py
compares every one with Whoosh's own on the same index); only the way of getting there
differs.

- `ColumnRange`: a numeric or date range answered from the field's column in memory,
  instead of a union of the postings of many terms.
- `AdjacentPhrase`: an exact phrase checked from raw positions a block at a time, instead
  of span objects a document at a time.
- `DocSetQuery`: a set of documents (facet selections, kept per searcher) as a query
  clause, so that the intersection skips to them.
- `split_exclusions`: top-level NOT clauses taken out, to be dropped by set membership.
"""

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, Self, cast

from whoosh import query as whoosh_query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import DATETIME, FieldType, Schema
from whoosh.formats import Format
from whoosh.matching import (
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    Matcher,
    NullMatcher,
    WrappingMatcher,
)
from whoosh.query import NumericRange, Query
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.reading import IndexReader
from whoosh.searching import SearchContext, Searcher
from whoosh.util import make_binary_tree
from whoosh.util.times import datetime_to_long

from .columns import column_values, missing


def tune(query: Query | None, schema: Schema) -> Query | None:
    """`query` with Chamber's faster equivalents: numeric and date ranges on sortable fields
    answered by columns, exact phrases checked from raw positions."""
    if query is None:
        return None

    def swap(node: Query) -> Query:
        if (
            isinstance(node, NumericRange)
            and not isinstance(node, ColumnRange)
            and node.fieldname in schema
            and schema[node.fieldname].column_type
        ):
            return ColumnRange(
                node.fieldname, node.start, node.end, node.startexcl, node.endexcl, node.boost
            )
        if type(node) is whoosh_query.Phrase and node.slop == 1 and len(node.words) > 1:
            return AdjacentPhrase(
                node.fieldname, node.words, boost=node.boost, char_ranges=node.char_ranges
            )
        return node

    return query.accept(swap)


class ColumnRange(NumericRange):  # type: ignore[misc]  # Whoosh is untyped
    """A numeric or date range answered from the field's in-memory column. Whoosh's own
    range query unions the postings of many terms, which took most of a date-filtered
    search's time. The column holds each value as the field encodes it for sorting
    (integers offset to be unsigned, floats as ordered bits), so the bounds are encoded
    the same way before comparing."""

    def estimate_size(self, ixreader: IndexReader) -> int:
        return cast(int, ixreader.doc_count())

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        reader = searcher.reader()
        if not reader.has_column(self.fieldname):
            return super().matcher(searcher, context)
        field = reader.schema[self.fieldname]
        low, high = _encoded(field, self.start), _encoded(field, self.end)
        start_excl, end_excl = self.startexcl, self.endexcl
        none = missing(field)  # a document without a value is in no range
        deleted = reader.is_deleted if reader.has_deletions() else None
        ids = array(
            "I",
            (
                docnum
                for docnum, value in enumerate(column_values(reader, self.fieldname))
                if (low is None or (low < value if start_excl else low <= value))
                and (high is None or (value < high if end_excl else value <= high))
                and value != none
                and not (deleted and deleted(docnum))
            ),
        )
        return ListMatcher(ids, all_weights=self.boost)


def _encoded(field: FieldType, bound: Any) -> Any:
    """A range's bound as the field's column holds values. A date range's bounds are
    already the column's numbers (Whoosh turns the dates into them)."""
    if bound is None:
        return None
    if isinstance(field, DATETIME):
        return bound if isinstance(bound, int) else datetime_to_long(bound)
    return field.to_column_value(bound)


class AdjacentPhrase(whoosh_query.Phrase):  # type: ignore[misc]  # Whoosh is untyped
    """An exact phrase (its words next to each other, in order). In each segment the words'
    posting lists are read a block at a time, their documents intersected as sets, and the
    positions checked only in the documents that hold every word; scores are the same BM25
    sums Whoosh gives. Whoosh's own phrase walked the lists a document at a time and built
    span objects for every position: most of the time of a search for a common phrase
    ("the hon. Member")."""

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        if self.fieldname not in searcher.schema:
            return NullMatcher()
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)  # Whoosh's own error
        reader = searcher.reader()
        words: list[bytes] = []
        for word in self.words:
            word = field.to_bytes(word)
            if (self.fieldname, word) not in reader:
                return NullMatcher()
            words.append(word)
        weighting = context.weighting if context else searcher.weighting
        postings = [searcher.postings(self.fieldname, word, weighting=weighting) for word in words]
        leaves = [_on_disk(matcher) for matcher in postings]
        if all(leaves):  # every term is on disk (mypy does not narrow by all())
            matcher = _phrase_matches(cast("list[_Leaf]", leaves), field.format)
        else:  # another codec, or a searcher over several segments: document by document
            matcher = _AdjacentMatcher(postings)
        return WrappingMatcher(matcher, boost=self.boost) if self.boost != 1.0 else matcher


# A term's posting reader in one segment, and the deleted documents it skips.
_Leaf = tuple[W3LeafMatcher, frozenset[int]]


def _on_disk(matcher: Matcher) -> _Leaf | None:
    """(Whoosh's on-disk posting reader, the deleted documents it skips) for a term in one
    segment with a scorer that scores from weight and length (BM25), or None."""
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        matcher, deleted = matcher.child, matcher._ids
    scorer = getattr(matcher, "scorer", None)
    if isinstance(matcher, W3LeafMatcher) and hasattr(scorer, "_score") and hasattr(scorer, "dfl"):
        return matcher, deleted
    return None


def _whole_postings(leaf: W3LeafMatcher) -> dict[int, tuple[float, bytes]]:
    """{document: (weight, encoded positions)} of one term in one segment, by blocks."""
    postings: dict[int, tuple[float, bytes]] = {}
    leaf.reset()
    while leaf.is_active():
        leaf._read_ids()
        leaf._read_weights()
        leaf._read_values()
        postings.update(zip(leaf._ids, zip(leaf._weights, leaf._values, strict=True), strict=True))
        leaf._next_block()
    return postings


def _phrase_matches(leaves: list[_Leaf], fmt: Format) -> Matcher:
    """A matcher over the documents where the terms of `leaves` follow on, in order."""
    terms = [_whole_postings(leaf) for leaf, _ in leaves]
    scorers = [leaf.scorer for leaf, _ in leaves]
    candidates = set(terms[0]).intersection(*terms[1:]).difference(leaves[0][1])
    length_of, decode = scorers[0].dfl, fmt.decode_positions
    ids, scores = array("I"), array("d")
    for doc in sorted(candidates):
        rows = [term[doc] for term in terms]
        if _phrase_ends(decode(value) for _, value in rows):
            length = length_of(doc)
            ids.append(doc)
            scores.append(
                sum(
                    scorer._score(weight, length)
                    for scorer, (weight, _) in zip(scorers, rows, strict=True)
                )
            )
    return ListMatcher(ids, weights=scores)


class _AdjacentMatcher(SpanWrappingMatcher):  # type: ignore[misc]  # Whoosh is untyped
    """Matches the documents of an intersection where the words' positions follow on."""

    def __init__(self, matchers: list[Matcher]):
        self.matchers = matchers
        super().__init__(make_binary_tree(IntersectionMatcher, matchers))

    def copy(self) -> Self:
        return self.__class__([matcher.copy() for matcher in self.matchers])

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Span]:
        ends = _phrase_ends(matcher.value_as("positions") for matcher in self.matchers)
        return [Span(end - len(self.matchers) + 1, end) for end in sorted(ends)]


def _phrase_ends(positions: Iterable[Iterable[int]]) -> set[int]:
    """Where a phrase ends in a document, given each of its words' positions there in
    order: the positions of the last word that follow on from all the others."""
    positions = iter(positions)
    ends = set(next(positions))
    for following in positions:
        ends = {position + 1 for position in ends}.intersection(following)
        if not ends:
            break
    return ends


class DocSetQuery(whoosh_query.Query):  # type: ignore[misc]  # Whoosh is untyped
    """Matches a given set of documents (by global number), as a query clause so that an
    intersection with it skips through the other clause's postings."""

    def __init__(self, docs: Iterable[int], searcher: Searcher):
        ordered = sorted(docs)
        self._by_reader: dict[int, array[int]] = {}  # by id() of the segment reader
        for reader, offset in searcher.reader().leaf_readers():
            low = bisect_left(ordered, offset)
            high = bisect_left(ordered, offset + reader.doc_count_all())
            self._by_reader[id(reader)] = array("I", (d - offset for d in ordered[low:high]))
        self._size = len(ordered)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._size} documents)"

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader: IndexReader) -> int:
        return self._size

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        ids = self._by_reader.get(id(searcher.reader()), array("I"))
        return ListMatcher(ids, all_weights=0.0)


def split_exclusions(query: Query) -> tuple[Query, list[Query]]:
    """(the query without its top-level NOT clauses, those clauses' subqueries)."""
    if isinstance(query, whoosh_query.Not):
        return whoosh_query.Every(), [query.query]
    if not isinstance(query, whoosh_query.And):
        return query, []
    kept = [q for q in query.subqueries if not isinstance(q, whoosh_query.Not)]
    excluded = [q.query for q in query.subqueries if isinstance(q, whoosh_query.Not)]
    if not excluded:
        return query, []
    if not kept:
        return whoosh_query.Every(), excluded
    return (kept[0] if len(kept) == 1 else whoosh_query.And(kept, boost=query.boost)), excluded

"""Per-segment columns in memory, for sorting and counting facets.

Whoosh reads a sortable field's value through the column file for each matching document;
at 100k speeches that was most of a search's time. Here a segment's column is read once
and kept as long as the segment reader lives (the searcher is kept until the index
changes), and facets are counted over a search's recorded matches from those lists.

Fields without a column (multi-valued ones, booleans, text) are counted from their
postings, read once per searcher into one tuple of values per document.
"""

import weakref
from collections import Counter
from collections.abc import Sequence
from typing import Any

from whoosh.fields import ID as WHOOSH_ID
from whoosh.fields import NUMERIC, FieldType
from whoosh.matching import Matcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.sorting import Categorizer, ColumnCategorizer, FieldFacet

# Per segment reader (alive as long as the cached searcher): {field name: column values}.
_columns: weakref.WeakKeyDictionary[IndexReader, dict[str, list[Any]]] = weakref.WeakKeyDictionary()


def column_values(reader: IndexReader, fieldname: str) -> list[Any]:
    """The values of a segment's column, read once: exact (ID) values decoded to strings,
    numbers and dates as the raw numbers that sort them (`decode` turns them back)."""
    cached = _columns.setdefault(reader, {})
    if fieldname not in cached:
        values = reader.column_reader(fieldname, translate=False).load()
        field = reader.schema[fieldname]
        if isinstance(field, WHOOSH_ID):
            values = [field.from_column_value(value) for value in values]
        cached[fieldname] = values
    return cached[fieldname]


def global_column(searcher: Searcher, fieldname: str) -> list[Any]:
    """A field's column values for every document of the index, by global number."""
    values: list[Any] = []
    for reader, _ in searcher.reader().leaf_readers():
        values.extend(column_values(reader, fieldname))
    return values


def global_value_lists(searcher: Searcher, fieldname: str) -> list[tuple[Any, ...]]:
    """Each document's values of a field without a column (a multi-valued field, say),
    by global number, read from the field's postings."""
    reader = searcher.reader()
    field = reader.schema[fieldname]
    lists: list[list[Any]] = [[] for _ in range(reader.doc_count_all())]
    if fieldname in reader.indexed_field_names():
        for term in field.sortable_terms(reader, fieldname):
            value = field.from_bytes(term)
            for docnum in reader.postings(fieldname, term).all_ids():
                lists[docnum].append(value)
    return [tuple(values) for values in lists]


def missing(field: FieldType) -> Any:
    """The raw column value of a document that has no value in the field (numeric columns
    fill the gap with their largest number), or None. (So an integer field's largest
    value, 2,147,483,647, reads as none: Whoosh's own range query would find it.)"""
    if isinstance(field, NUMERIC) and field.column_type is not None:
        return field.column_type._default
    return None


def decode(searcher: Searcher, fieldname: str, key: Any) -> Any:
    """A column's raw value as the field's Python value (ints, floats, datetimes)."""
    field = searcher.schema[fieldname]
    if isinstance(field, WHOOSH_ID) or not field.column_type:
        return key
    return field.from_column_value(key)


def count(
    searcher: Searcher, fieldname: str, docs: Sequence[int], values: Sequence[Any]
) -> list[tuple[Any, int]]:
    """(value, matches) of a field over the matching `docs`, most first, then by value;
    `values` is `global_column` or `global_value_lists` of the field."""
    if searcher.reader().has_column(fieldname):
        tally = Counter(map(values.__getitem__, docs))
        tally.pop(missing(searcher.schema[fieldname]), None)
        for nothing in (None, "", b""):  # a document without a value (b"": a text column)
            tally.pop(nothing, None)
        counted = Counter({decode(searcher, fieldname, key): n for key, n in tally.items()})
    else:
        counted = Counter(value for doc in docs for value in values[doc])
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))


class CachedColumnFacet(FieldFacet):  # type: ignore[misc]  # Whoosh is untyped
    """A field facet (for counting or sorting) on a single-valued sortable field, whose
    column is read once per segment reader and then kept in memory: reading it through
    the file for each matching document was most of the time of a search."""

    def categorizer(self, global_searcher: Searcher) -> Categorizer:
        if self.allow_overlap or not global_searcher.reader().has_column(self.fieldname):
            return super().categorizer(global_searcher)
        return _CachedColumnCategorizer(global_searcher, self.fieldname)


class _CachedColumnCategorizer(ColumnCategorizer):  # type: ignore[misc]  # Whoosh is untyped
    def set_searcher(self, segment_searcher: Searcher, docoffset: int) -> None:
        self._values = column_values(segment_searcher.reader(), self._fieldname)

    def key_for(self, matcher: Matcher, segment_docnum: int) -> Any:
        return self._values[segment_docnum]

    def key_to_name(self, key: Any) -> Any:
        if isinstance(self._fieldobj, WHOOSH_ID):
            return key  # already decoded
        return super().key_to_name(key)

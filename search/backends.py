"""Haystack's Whoosh backend, fixed where it measured slow or unsafe (docs/search-engine.md).

Configured in `HAYSTACK_CONNECTIONS` as `search.backends.ChamberWhooshEngine`. Everything
the views do still goes through Haystack's `SearchQuerySet`, so a site that outgrows Whoosh
moves to Haystack's Elasticsearch or Solr engine by changing that one setting.

What changes against the stock backend (each measured with bench/search.py):

- Opening: the index is opened without memory-mapping, and each thread keeps one searcher
  open until the index changes: the stock backend opened two or three readers per query,
  and with mmap every open copied the term files (~240 ms per query at 100k speeches).
- Schema: only Haystack's identifiers are stored (results load from the database), the
  text has no sortable copy, and facet fields are single exact values in sortable
  columns (`ID`), so "Liberal Democrat" stays one value.
- Columns in memory: facet values, dates and BM25's document lengths are read once per
  segment and kept (`column_values`, `_lengths_in_memory`) instead of a file seek for
  every match.
- One pass per search: the collector visits and records every match (`RecordingCollector`,
  `_exhaustive`) while it ranks or sorts, so the total and the facets are exact; facets are
  counted from those matches and the in-memory columns.
  Whoosh's own grouping cost several Python calls per match and facet, and Haystack's
  `allow_overlap` facets walked every posting of the field.
- Narrowing (facet selections, date ranges): each narrowing query's documents are kept
  until the index changes, and intersected inside the query (`DocSetQuery`), so the
  matcher skips to them; date ranges are answered from the date column (`ColumnRange`).
- Phrases: an exact phrase reads its words' postings a block at a time, intersects them as
  sets and checks positions only where every word occurs (`AdjacentPhrase`), instead of
  walking them a document at a time with Whoosh's span objects.
- Writing: the single-writer lock is waited for (up to LOCK_TIMEOUT, naming its holder)
  instead of logging the `LockError` (the stock `remove` silently lost deletes); what to
  write is read from the database under the lock; deletes and adds go in one commit; bulk
  writes use two processes and segments, which die with their parent (`writers.py`).
- Spelling: suggestions are computed only when a caller asks (`spelling_suggestion()`),
  from unstemmed words, ranked by edit distance and then by how common the word is. The
  words come from a vocabulary kept as one extra document per write (masked out of every
  search) instead of Whoosh's per-document spelling field, which halved indexing speed.
"""

import os
import re
import threading
import uuid
import warnings
import weakref
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Self, cast

from django.db.models import Model, QuerySet
from django.utils.encoding import force_str
from haystack.backends import EmptyResults, log_query
from haystack.backends.whoosh_backend import WhooshEngine, WhooshSearchBackend
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.fields import FacetField, SearchField
from haystack.indexes import SearchIndex
from haystack.utils import get_model_ct
from whoosh import index as whoosh_index
from whoosh import query as whoosh_query
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.collectors import Collector, FilterCollector, ScoredCollector, WrappingCollector
from whoosh.fields import DATETIME, NUMERIC, TEXT, FieldType, Schema
from whoosh.fields import ID as WHOOSH_ID
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Format
from whoosh.matching import (
    FilterMatcher,
    IntersectionMatcher,
    ListMatcher,
    Matcher,
    NullMatcher,
    WrappingMatcher,
)
from whoosh.qparser import QueryParser
from whoosh.query import NumericRange, Query
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Results, ResultsPage, SearchContext, Searcher
from whoosh.sorting import Categorizer, ColumnCategorizer, Count, DateRangeFacet, FieldFacet
from whoosh.support.relativedelta import relativedelta
from whoosh.util import make_binary_tree

from .analysis import analyzer
from .writers import open_writer, release_holder

# Batches at least this big are written by several processes into several segments.
BULK_THRESHOLD = 2000
EMPTY = {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
# Narrowing queries whose matching documents are kept per searcher.
NARROW_CACHE_SIZE = 256
# The spelling vocabulary: words of three letters or more, as written (lower-cased).
VOCABULARY = "vocabulary"
VOCABULARY_CT = "search.vocabulary"  # no such model: Haystack would skip these documents
WORD = re.compile(r"[^\W\d_]{3,}")


class _ThreadCache(threading.local):
    """Each thread's searcher, and what is kept while the index is unchanged."""

    searcher: tuple[tuple[int, ...], Searcher] | None  # (index version, searcher)
    narrowed: dict[str, frozenset[int]]  # narrowing query -> its documents
    global_columns: dict[str, list[Any]]  # field -> column values by global number
    vocabulary_docs: set[int] | None


class ChamberWhooshBackend(WhooshSearchBackend):  # type: ignore[misc]  # Haystack is untyped
    def __init__(self, connection_alias: str, **options: Any):
        super().__init__(connection_alias, **options)
        # Seconds a write waits for another process's lock before giving up loudly.
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 120))
        self.writer_procs = int(options.get("WRITER_PROCS", min(2, os.cpu_count() or 1)))
        self.writer_limitmb = int(options.get("WRITER_LIMITMB", 256))
        self._local = _ThreadCache()
        self._epoch = 0  # bumped when the index is deleted, to drop every cached searcher

    # -- Opening ---------------------------------------------------------------------

    def setup(self) -> None:
        from haystack import connections

        if not self.use_file_storage:
            super().setup()
            return
        os.makedirs(self.path, exist_ok=True)
        if not os.access(self.path, os.W_OK):
            raise OSError(f"The Whoosh index folder {self.path} is not writable.")
        self.storage = FileStorage(self.path, supports_mmap=False)
        fields = connections[self.connection_alias].get_unified_index().all_searchfields()
        self.content_field_name, self.schema = self.build_schema(fields)
        self.parser = self._make_parser()
        try:
            self.index = self.storage.open_index(schema=self.schema)
        except whoosh_index.EmptyIndexError:
            self.index = self.storage.create_index(self.schema)
        self.setup_complete = True

    def _make_parser(self) -> QueryParser:
        return QueryParser(self.content_field_name, schema=self.schema)

    def build_schema(self, fields: dict[str, SearchField]) -> tuple[str, Schema]:
        schema_fields: dict[str, FieldType] = {
            ID: WHOOSH_ID(stored=True, unique=True),
            DJANGO_CT: WHOOSH_ID(stored=True),
            DJANGO_ID: WHOOSH_ID(stored=True),
            VOCABULARY: TEXT(
                analyzer=RegexTokenizer(WORD.pattern) | LowercaseFilter(), phrase=False
            ),
        }
        content_field_name = ""
        for field in fields.values():
            name = field.index_fieldname
            if isinstance(field, FacetField) and field.field_type in ("string", "integer"):
                schema_fields[name] = WHOOSH_ID(sortable=True)
            elif field.field_type in ("date", "datetime"):
                schema_fields[name] = DATETIME(sortable=True)
            elif field.field_type == "integer":
                schema_fields[name] = NUMERIC(numtype=int, sortable=True)
            elif field.field_type == "string":
                schema_fields[name] = TEXT(
                    analyzer=field.analyzer or analyzer(), field_boost=field.boost
                )
            else:
                raise SearchBackendError(f"Chamber's Whoosh schema has no rule for {name!r}.")
            if field.document:
                content_field_name = name
        return content_field_name, Schema(**schema_fields)

    # -- Reading ---------------------------------------------------------------------

    def _version(self) -> tuple[int, ...]:
        """What identifies the index's current state, across processes: the generation of
        its table of contents and that file's identity (a rebuilt index restarts at 0)."""
        generation = self.index.latest_generation()
        toc = os.path.join(self.path, f"_{self.index.indexname}_{generation}.toc")
        try:
            stat = os.stat(toc)
        except FileNotFoundError:
            return (self._epoch, generation)
        return (self._epoch, generation, stat.st_ino, stat.st_mtime_ns)

    def searcher(self) -> Searcher:
        """This thread's searcher, reopened only when the index has changed."""
        if not self.setup_complete:
            self.setup()
        version = self._version()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] == version:
            return cached[1]
        if cached is not None:
            cached[1].close()
        self.index = self.storage.open_index(schema=self.schema)
        searcher = self.index.searcher()
        _lengths_in_memory(searcher, self.schema)
        self._local.searcher = (version, searcher)
        self._local.narrowed = {}
        self._local.global_columns = {}
        self._local.vocabulary_docs = None
        return searcher

    def _parse(self, query_string: str) -> Query | None:
        if query_string.strip() in ("*", "*:*"):
            return whoosh_query.Every()  # the vocabulary documents are masked out
        return _tuned(self.parser.parse(query_string), self.schema)

    @log_query  # type: ignore[untyped-decorator]  # Haystack is untyped
    def search(
        self,
        query_string: str,
        sort_by: list[str] | None = None,
        start_offset: int = 0,
        end_offset: int | None = None,
        fields: str = "",
        highlight: bool = False,
        facets: dict[str, dict[str, Any]] | None = None,
        date_facets: dict[str, dict[str, Any]] | None = None,
        query_facets: list[tuple[str, str]] | None = None,
        narrow_queries: set[str] | None = None,
        spelling_query: str | None = None,
        models: set[type[Model]] | None = None,
        limit_to_registered_models: bool | None = None,
        result_class: type | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if not self.setup_complete:
            self.setup()
        query_string = force_str(query_string)
        suggestion = self.create_spelling_suggestion(spelling_query) if spelling_query else None
        if not query_string or (len(query_string) <= 1 and query_string != "*"):
            return {**EMPTY, "spelling_suggestion": suggestion}
        if query_facets:
            warnings.warn("Whoosh does not handle query faceting.", Warning, stacklevel=2)

        parsed = self._parse(query_string)
        if parsed is None or parsed is whoosh_query.NullQuery:
            return {**EMPTY, "spelling_suggestion": suggestion}
        searcher = self.searcher()
        if not searcher.doc_count():
            return {**EMPTY, "spelling_suggestion": suggestion}

        parsed, excluded = _split_exclusions(parsed)
        narrowed = self._filter(narrow_queries, models, limit_to_registered_models)
        if narrowed is not None and not narrowed:  # the selections match nothing at all
            return {**EMPTY, "spelling_suggestion": suggestion}
        if narrowed is not None:
            # Intersected inside the query: the matcher skips straight to the narrowed
            # documents instead of visiting every match of the words to test each one.
            parsed = whoosh_query.And([parsed, DocSetQuery(narrowed, searcher)])
        sortedby, reverse = self._sorting(sort_by)
        date_groups, facet_types = self._date_facets(date_facets)
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        wants_none = end_offset is not None and end_offset <= (start_offset or 0)
        page_length = max(page_length, 1)
        # One pass collects the page, the exact total and (for the facets) every match.
        collector = _exhaustive(
            searcher.collector(
                limit=page_num * page_length,
                sortedby=sortedby,
                reverse=reverse,
                groupedby=date_groups or None,
                optimize=False,
            )
        )
        recorder = collector = RecordingCollector(collector)
        # Excluded words and the vocabulary documents are dropped by set membership, which
        # costs less than Whoosh's and-not matcher skipping through the excluded postings.
        restrict = self._vocabulary_docs(searcher)
        if excluded:
            restrict = restrict.union(*(searcher.docs_for_query(q) for q in excluded))
        if restrict:
            collector = FilterCollector(collector, restrict=restrict)
        searcher.search_with_collector(parsed, collector)
        raw_page = ResultsPage(collector.results(), page_num, page_length)
        if wants_none or raw_page.pagenum < page_num:  # past the end Whoosh gives the last
            results: dict[str, Any] = {**EMPTY, "hits": raw_page.total}
        else:
            results = self._process_results(
                raw_page, highlight=highlight, query_string=query_string, result_class=result_class
            )
        results["facets"] = self._facet_counts(recorder.docs, raw_page.results, facets, facet_types)
        results["spelling_suggestion"] = suggestion
        return results

    def _sorting(self, sort_by: list[str] | None) -> tuple[list[FieldFacet] | None, bool]:
        if not sort_by:
            return None, False
        descending = {field.startswith("-") for field in sort_by}
        if len(descending) > 1:
            raise SearchBackendError("Whoosh sorts every field in the same direction.")
        return [CachedColumnFacet(field.lstrip("-")) for field in sort_by], descending.pop()

    def _date_facets(
        self, date_facets: dict[str, dict[str, Any]] | None
    ) -> tuple[list[DateRangeFacet], dict[str, str]]:
        """Haystack's date facets, counted by Whoosh (Chamber uses the `year` field)."""
        groups: list[DateRangeFacet] = []
        facet_types: dict[str, str] = {}  # facet -> "dates"
        for name, options in (date_facets or {}).items():
            start, end = (_as_datetime(options[key]) for key in ("start_date", "end_date"))
            gap = relativedelta(**{f"{options['gap_by']}s": options.get("gap_amount", 1)})
            groups.append(DateRangeFacet(name, start, end, gap, maptype=Count))
            facet_types[name] = "dates"
        return groups, facet_types

    def _facet_counts(
        self,
        docs: list[int],
        results: Results,
        facets: dict[str, dict[str, Any]] | None,
        facet_types: dict[str, str],
    ) -> dict[str, dict[str, list[tuple[Any, int]]]]:
        """Field facets counted over the matching documents from each field's column (one
        value per speech), in one pass per facet: Whoosh's grouping did several Python
        calls per match and facet."""
        if not facets and not facet_types:
            return {}
        counts: dict[str, dict[str, list[tuple[Any, int]]]] = {
            "fields": {},
            "dates": {},
            "queries": {},
        }
        for name in facets or ():
            values = self._global_column(name)
            tally = Counter(map(values.__getitem__, docs))
            tally.pop(None, None)
            tally.pop("", None)  # a document without a value
            counts["fields"][name] = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
        for name in results.facet_names():
            groups = results.groups(name)
            groups.pop(None, None)
            counts[facet_types[name]][name] = sorted(
                groups.items(), key=lambda item: (-item[1], item[0])
            )
        return counts

    def _vocabulary_docs(self, searcher: Searcher) -> set[int]:
        """The spelling vocabulary's documents, masked out of every search. A plain set:
        Whoosh tests a set mask cheaply, but re-scans its own bit sets at each match."""
        if self._local.vocabulary_docs is None:
            term = whoosh_query.Term(DJANGO_CT, VOCABULARY_CT)
            self._local.vocabulary_docs = set(searcher.docs_for_query(term))
        return self._local.vocabulary_docs

    def _global_column(self, fieldname: str) -> list[Any]:
        """A field's column values for every document of the index, by global number."""
        cache = self._local.global_columns
        if fieldname not in cache:
            values: list[Any] = []
            for reader, _ in self.searcher().reader().leaf_readers():
                values.extend(column_values(reader, fieldname))
            cache[fieldname] = values
        return cache[fieldname]

    def _filter(
        self,
        narrow_queries: set[str] | None,
        models: set[type[Model]] | None,
        limit_to_registered_models: bool | None,
    ) -> set[int] | None:
        """Narrowing queries (facet selections) as one filter of the search."""
        narrow_queries = set(narrow_queries or ())
        if limit_to_registered_models is None:
            from django.conf import settings

            limit_to_registered_models = getattr(
                settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True
            )
        if models:
            model_choices = sorted(get_model_ct(model) for model in models)
        elif limit_to_registered_models:
            model_choices = self.build_models_list()
        else:
            model_choices = []
        if model_choices:
            narrow_queries.add(" OR ".join(f"{DJANGO_CT}:{ct}" for ct in model_choices))
        if not narrow_queries:
            return None
        docs: frozenset[int] | None = None
        for query in sorted(narrow_queries, key=str):
            matching = self._narrowed_docs(force_str(query))
            docs = matching if docs is None else docs & matching
        assert docs is not None  # `narrow_queries` is not empty
        return set(docs)  # Whoosh takes a set (of global document numbers) as a filter

    def _narrowed_docs(self, query_string: str) -> frozenset[int]:
        """The documents a narrowing query (a facet selection) matches, kept while the
        index is unchanged: the same selections recur as people refine a search."""
        searcher = self.searcher()
        cache = self._local.narrowed
        if query_string not in cache:
            if len(cache) >= NARROW_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            parsed = self._parse(query_string)
            cache[query_string] = (
                frozenset(searcher.docs_for_query(parsed)) if parsed else frozenset()
            )
        return cache[query_string]

    def more_like_this(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The stock implementation needs the text stored; Chamber stores only identifiers.
        return {"results": EmptyResults(), "hits": 0}

    def create_spelling_suggestion(self, query_string: str | None) -> str | None:
        """The query's words, each replaced by the closest common indexed word when it is
        not itself in the index; words already in the index are kept. Only the caller
        decides when this is worth paying for."""
        query_string = force_str(query_string or "")
        if not query_string.strip():
            return None
        reader = self.searcher().reader()
        field = self.schema[self.content_field_name]
        words: list[str] = []
        for word in query_string.split():
            lowered = word.lower()
            if not WORD.fullmatch(lowered) or (VOCABULARY, lowered) in reader:
                words.append(word)
                continue
            words.append(self._closest_word(reader, field, lowered) or word)
        return " ".join(words)

    def _closest_word(self, reader: IndexReader, field: FieldType, word: str) -> str | None:
        """Nearest by Damerau-Levenshtein distance (1, then 2), then most documents."""
        for distance in (1, 2):
            candidates: set[str] = set(reader.terms_within(VOCABULARY, word, distance, prefix=1))
            candidates.discard(word)
            if candidates:
                return max(candidates, key=lambda c: (self._frequency(reader, field, c), c))
        return None

    def _frequency(self, reader: IndexReader, field: FieldType, word: str) -> int:
        stems = [token.text for token in field.analyzer(word)]
        return reader.doc_frequency(self.content_field_name, stems[0]) if stems else 0

    # -- Writing ---------------------------------------------------------------------

    def update(self, index: SearchIndex, iterable: Iterable[Model], commit: bool = True) -> None:
        # `update_index` hands over a queryset slice: it is read under the lock, like a drain.
        if isinstance(iterable, QuerySet):
            self.write(index, lambda: (list(iterable), ()), expected=iterable.count())
            return
        objects = list(iterable)
        self.write(index, lambda: (objects, ()), expected=len(objects))

    def remove(self, obj_or_string: Model | str, commit: bool = True) -> None:
        from haystack.utils import get_identifier

        identifier = get_identifier(obj_or_string)
        self.write(None, lambda: ((), (identifier,)))

    def write(
        self,
        index: SearchIndex | None,
        read: Callable[[], tuple[Iterable[Model], Iterable[str]]],
        *,
        expected: int = 0,
        wait: float | None = None,
    ) -> int:
        """Take the write lock, then call `read()` for the objects whose documents to add
        or replace and the identifiers of documents to delete, and write them in one
        commit. Returns how many documents were written or deleted.

        Reading under the lock means two writers commit what they read of the database in
        the order they read it: an older reading never lands over a newer one. The lock
        is waited for up to `wait` seconds (LOCK_TIMEOUT by default), never skipped; a
        write of `expected` documents or more goes to several processes."""
        if not self.setup_complete:
            self.setup()
        self.index = self.storage.open_index(schema=self.schema)
        bulk = expected >= BULK_THRESHOLD and self.writer_procs > 1
        writer = open_writer(
            self.index,
            self.path,
            wait=self.lock_timeout if wait is None else wait,
            limitmb=self.writer_limitmb,
            **({"procs": self.writer_procs, "multisegment": True} if bulk else {}),
        )
        try:
            objects, removed = read()
            documents = [doc for doc in (self._document(index, obj) for obj in objects) if doc]
            removed = list(removed)
            fresh = self.index.is_empty()
            words = self._new_words(documents, fresh)
            for identifier in removed:
                writer.delete_by_term(ID, identifier)
            for document in documents:
                if fresh:
                    writer.add_document(**document)
                else:
                    writer.update_document(**document)
            if words:
                writer.add_document(
                    **{
                        ID: f"{VOCABULARY_CT}.{uuid.uuid4().hex}",
                        DJANGO_CT: VOCABULARY_CT,
                        DJANGO_ID: "0",
                        VOCABULARY: " ".join(sorted(words)),
                    }
                )
        except BaseException:
            writer.cancel()
            release_holder(self.path)
            raise
        try:
            if not documents and not removed:
                writer.cancel()
                return 0
            writer.commit()
        finally:
            release_holder(self.path)
        return len(documents) + len(removed)

    def _new_words(self, documents: list[dict[str, Any]], fresh: bool) -> set[str]:
        words: set[str] = set()
        for document in documents:
            words.update(WORD.findall(document.get(self.content_field_name, "").lower()))
        if fresh or not words:
            return words
        with self.index.reader() as reader:
            return {word for word in words if (VOCABULARY, word) not in reader}

    def _document(self, index: SearchIndex, obj: Model) -> dict[str, Any] | None:
        try:
            prepared = index.full_prepare(obj)
        except SkipDocument:
            return None
        prepared.pop("boost", None)
        return {
            key: value
            for key, value in ((k, self._from_python(v)) for k, v in prepared.items())
            if value is not None and key in self.schema
        }

    def delete_index(self) -> None:
        self._epoch += 1
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached[1].close()
            self._local.searcher = None
        super().delete_index()

    def optimize(self) -> None:
        if not self.setup_complete:
            self.setup()
        self.index = self.storage.open_index(schema=self.schema)
        writer = open_writer(self.index, self.path, wait=self.lock_timeout)
        try:
            writer.commit(optimize=True)
        finally:
            release_holder(self.path)


class CachedColumnFacet(FieldFacet):  # type: ignore[misc]  # Whoosh is untyped
    """A field facet (for counting or sorting) on a single-valued sortable field, whose
    column is read once per segment reader and then kept in memory: reading it through
    the file for each matching document was most of the time of a search."""

    def categorizer(self, global_searcher: Searcher) -> Categorizer:
        if self.allow_overlap or not global_searcher.reader().has_column(self.fieldname):
            return super().categorizer(global_searcher)
        return _CachedColumnCategorizer(global_searcher, self.fieldname)


# Per segment reader (alive as long as the cached searcher): {field name: column values}.
_columns: weakref.WeakKeyDictionary[IndexReader, dict[str, list[Any]]] = weakref.WeakKeyDictionary()


def column_values(reader: IndexReader, fieldname: str) -> list[Any]:
    """The values of a segment's column, read once: exact (ID) values decoded to strings,
    numbers and dates as the raw numbers that sort them."""
    cached = _columns.setdefault(reader, {})
    if fieldname not in cached:
        values = reader.column_reader(fieldname, translate=False).load()
        field = reader.schema[fieldname]
        if isinstance(field, WHOOSH_ID):
            values = [field.from_column_value(value) for value in values]
        cached[fieldname] = values
    return cached[fieldname]


class _CachedColumnCategorizer(ColumnCategorizer):  # type: ignore[misc]  # Whoosh is untyped
    def set_searcher(self, segment_searcher: Searcher, docoffset: int) -> None:
        self._values = column_values(segment_searcher.reader(), self._fieldname)

    def key_for(self, matcher: Matcher, segment_docnum: int) -> Any:
        return self._values[segment_docnum]

    def key_to_name(self, key: Any) -> Any:
        if isinstance(self._fieldobj, WHOOSH_ID):
            return key  # already decoded
        return super().key_to_name(key)


class ColumnRange(NumericRange):  # type: ignore[misc]  # Whoosh is untyped
    """A numeric or date range answered from the field's in-memory column. Whoosh's own
    range query unions the postings of many terms, which took most of a date-filtered
    search's time."""

    def estimate_size(self, ixreader: IndexReader) -> int:
        return cast(int, ixreader.doc_count())

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        reader = searcher.reader()
        if not reader.has_column(self.fieldname):
            return super().matcher(searcher, context)
        low = self.start if self.start is not None else float("-inf")
        high = self.end if self.end is not None else float("inf")
        start_excl, end_excl = self.startexcl, self.endexcl
        deleted = reader.is_deleted if reader.has_deletions() else None
        ids = array(
            "I",
            (
                docnum
                for docnum, value in enumerate(column_values(reader, self.fieldname))
                if (low < value if start_excl else low <= value)
                and (value < high if end_excl else value <= high)
                and not (deleted and deleted(docnum))
            ),
        )
        return ListMatcher(ids, all_weights=self.boost)


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


class RecordingCollector(WrappingCollector):  # type: ignore[misc]  # Whoosh is untyped
    """Passes every match on to the collector it wraps, and records its global number."""

    def prepare(self, top_searcher: Searcher, q: Query, context: SearchContext) -> None:
        self.docs: list[int] = []
        super().prepare(top_searcher, q, context)

    def collect(self, sub_docnum: int) -> Any:
        self.docs.append(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


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


def _exhaustive(collector: Collector) -> Collector:
    """`collector` made to visit every match. Whoosh's scored collector otherwise replaces
    a matcher by nothing once no document left in it can reach the top N: right for the
    page, but the total and the facet counts then missed those documents ("housing OR
    schools" counted 1,862 of 28,430 matches at 100k speeches)."""
    inner = collector
    while isinstance(inner, WrappingCollector):
        inner = inner.child
    if isinstance(inner, ScoredCollector):
        inner.replace = 0
    return collector


def _split_exclusions(query: Query) -> tuple[Query, list[Query]]:
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


def _lengths_in_memory(searcher: Searcher, schema: Schema) -> None:
    """Load each segment's document lengths (one byte per document and text field, read by
    the BM25 scorer for every match) into memory once, instead of a file read per match.
    This reaches into Whoosh's W3 codec reader; without it, nothing breaks, only slows."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    for reader, _ in searcher.reader().leaf_readers():
        perdoc = getattr(reader, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_readers"):
            continue
        for name, field in schema.items():
            if field.scorable:
                column = perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
                if column is not None:
                    perdoc._readers[_lenfield(name)] = column.load()


def _tuned(query: Query | None, schema: Schema) -> Query | None:
    """`query` with Chamber's faster equivalents: numeric and date ranges on sortable fields
    answered by columns, exact phrases checked from raw positions."""
    if query is None:
        return None

    def swap(node: Query) -> Query:
        if (
            isinstance(node, NumericRange)
            and not isinstance(node, ColumnRange)
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


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise ValueError(f"Not a date: {value!r}")


class ChamberWhooshEngine(WhooshEngine):  # type: ignore[misc]  # Haystack is untyped
    backend = ChamberWhooshBackend

"""The backend Haystack calls: Haystack's `WhooshSearchBackend` with the same answers, put
together from the modules of this package (see its docstring for which does what).

What a caller can see differ from the stock engine is only what Chamber chose (README,
"How search works"): results carry no stored fields (they load from the database, and
`highlight()` reads the text from there), facets of text are exact values, totals and
facet counts are exact, a spelling suggestion keeps the words it cannot improve, and
`more_like_this` honours its filters before taking the top matches.
"""

import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.encoding import force_str
from haystack.backends import log_query
from haystack.backends.whoosh_backend import WhooshEngine, WhooshSearchBackend
from haystack.constants import DJANGO_CT, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.fields import SearchField
from haystack.indexes import SearchIndex
from haystack.utils import get_identifier, get_model_ct
from whoosh import index as whoosh_index
from whoosh import query as whoosh_query
from whoosh.collectors import FilterCollector
from whoosh.fields import Schema
from whoosh.qparser import FuzzyTermPlugin, QueryParser
from whoosh.query import Query
from whoosh.searching import ResultsPage, Searcher
from whoosh.sorting import Count, DateRangeFacet, FieldFacet
from whoosh.support.relativedelta import relativedelta

from .. import highlighting
from ..engines import rebuilder
from . import columns, internals, merging, schema
from .collectors import RecordingCollector, exhaustive
from .lookups import SearchQuery
from .opening import Searchers
from .queries import DocSetQuery, split_exclusions, tune
from .spelling import Vocabulary, count_words
from .writers import open_writer, release_holder

# Batches at least this big are written by several processes into several segments.
BULK_THRESHOLD = 2000
EMPTY = {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
# "More like this": the key terms searched for (Whoosh's default), from how many candidates.
MLT_TERMS = 5
MLT_CANDIDATE_TERMS = 20


class ChamberWhooshBackend(WhooshSearchBackend):  # type: ignore[misc]  # Haystack is untyped
    def __init__(self, connection_alias: str, **options: Any):
        super().__init__(connection_alias, **options)
        # Seconds a write waits for another process's lock before giving up loudly.
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 120))
        self.writer_procs = int(options.get("WRITER_PROCS", min(2, os.cpu_count() or 1)))
        self.writer_limitmb = int(options.get("WRITER_LIMITMB", 256))
        # The most documents a write rewrites by merging segments (search.whoosh.merging).
        self.write_merge_docs = int(options.get("WRITE_MERGE_DOCS", merging.WRITE_MERGE_DOCS))
        self.searchers = Searchers(self.path)
        self.vocabulary = Vocabulary(self.path)

    # -- Opening ---------------------------------------------------------------------

    def setup(self) -> None:
        from haystack import connections

        if not self.use_file_storage:
            raise SearchBackendError("Chamber's Whoosh engine needs an index folder (PATH).")
        internals.check()
        os.makedirs(self.path, exist_ok=True)
        if not os.access(self.path, os.W_OK):
            raise OSError(f"The Whoosh index folder {self.path} is not writable.")
        self.storage = Searchers.storage(self.path)
        fields = connections[self.connection_alias].get_unified_index().all_searchfields()
        self.content_field_name, self.schema = self.build_schema(fields)
        self.parser = QueryParser(self.content_field_name, schema=self.schema)
        self.parser.add_plugins([FuzzyTermPlugin])  # "word~2", as Haystack's fuzzy lookup writes
        try:
            self.index = self.storage.open_index(schema=self.schema)
        except whoosh_index.EmptyIndexError:
            self.index = self.storage.create_index(self.schema)
        self.setup_complete = True

    def build_schema(self, fields: dict[str, SearchField]) -> tuple[str, Schema]:
        return schema.build_schema(fields)

    def searcher(self) -> Searcher:
        """This thread's searcher, reopened only when the index has changed."""
        if not self.setup_complete:
            self.setup()
        return self.searchers.searcher(self.index, self.schema)

    def _parse(self, query_string: str) -> Query | None:
        if query_string.strip() in ("*", "*:*"):
            return whoosh_query.Every()
        return tune(self.parser.parse(query_string), self.schema)

    # -- Searching -------------------------------------------------------------------

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
        # Asked for (`spelling_suggestion(preferred)`), or with every search when the
        # connection says INCLUDE_SPELLING, as in the stock engine.
        suggestion = None
        if spelling_query or self.include_spelling:
            suggestion = self.create_spelling_suggestion(spelling_query or query_string)
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

        parsed, excluded = split_exclusions(parsed)
        narrowed = self._filter(searcher, narrow_queries, models, limit_to_registered_models)
        if narrowed is not None and not narrowed:  # the selections match nothing at all
            return {**EMPTY, "spelling_suggestion": suggestion}
        # Excluded words are dropped by set membership, which costs less than Whoosh's
        # and-not matcher skipping through the excluded postings.
        restrict: set[int] = set().union(*(searcher.docs_for_query(q) for q in excluded))
        sortedby, reverse = self._sorting(sort_by)
        date_groups, facet_types = self._date_facets(date_facets)
        results = self._run(
            searcher,
            parsed,
            narrowed=narrowed,
            restrict=restrict,
            sortedby=sortedby,
            reverse=reverse,
            groupedby=date_groups,
            start_offset=start_offset,
            end_offset=end_offset,
            highlight=highlight,
            query_string=query_string,
            result_class=result_class,
        )
        raw_page, docs = results.pop("raw_page"), results.pop("docs")
        results["facets"] = self._facet_counts(searcher, docs, raw_page, facets, facet_types)
        results["spelling_suggestion"] = suggestion
        return results

    def _run(
        self,
        searcher: Searcher,
        parsed: Query,
        *,
        narrowed: set[int] | None = None,
        restrict: set[int] | None = None,
        sortedby: list[FieldFacet] | None = None,
        reverse: bool = False,
        groupedby: list[DateRangeFacet] | None = None,
        start_offset: int = 0,
        end_offset: int | None = None,
        highlight: bool = False,
        query_string: str = "",
        result_class: type | None = None,
    ) -> dict[str, Any]:
        """One pass over the matches: the page, the exact total and every match recorded."""
        if narrowed is not None:
            # Intersected inside the query: the matcher skips straight to the narrowed
            # documents instead of visiting every match of the words to test each one.
            parsed = whoosh_query.And([parsed, DocSetQuery(narrowed, searcher)])
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        wants_none = end_offset is not None and end_offset <= (start_offset or 0)
        page_length = max(page_length, 1)
        collector = exhaustive(
            searcher.collector(
                limit=page_num * page_length,
                sortedby=sortedby,
                reverse=reverse,
                groupedby=groupedby or None,
                optimize=False,
            )
        )
        recorder = collector = RecordingCollector(collector)
        if restrict:
            collector = FilterCollector(collector, restrict=restrict)
        searcher.search_with_collector(parsed, collector)
        raw_page = ResultsPage(collector.results(), page_num, page_length)
        if wants_none or raw_page.pagenum < page_num:  # past the end Whoosh gives the last
            results: dict[str, Any] = {**EMPTY, "hits": raw_page.total}
        else:
            results = self._process_results(raw_page, result_class=result_class)
            if highlight:
                highlighting.highlight(
                    results["results"],
                    query_string,
                    alias=self.connection_alias,
                    field=self.content_field_name,
                )
        return {**results, "raw_page": raw_page, "docs": recorder.docs}

    def _sorting(self, sort_by: list[str] | None) -> tuple[list[FieldFacet] | None, bool]:
        if not sort_by:
            return None, False
        descending = {field.startswith("-") for field in sort_by}
        if len(descending) > 1:
            raise SearchBackendError(
                "Whoosh requires all order_by fields to use the same sort direction"
            )
        return [columns.CachedColumnFacet(field.lstrip("-")) for field in sort_by], descending.pop()

    def _date_facets(
        self, date_facets: dict[str, dict[str, Any]] | None
    ) -> tuple[list[DateRangeFacet], dict[str, str]]:
        """Haystack's date facets, counted by Whoosh as the stock engine counts them."""
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
        searcher: Searcher,
        docs: list[int],
        raw_page: ResultsPage,
        facets: dict[str, dict[str, Any]] | None,
        facet_types: dict[str, str],
    ) -> dict[str, dict[str, list[tuple[Any, int]]]]:
        """Field facets counted over every match in one pass per facet, from the field's
        column (one value per document) or its values read from the postings (several)."""
        if not facets and not facet_types:
            return {}
        counts: dict[str, dict[str, list[tuple[Any, int]]]] = {
            "fields": {},
            "dates": {},
            "queries": {},
        }
        for name in facets or ():
            if name not in self.schema:
                raise SearchBackendError(f"No field {name!r} to facet on.")
            values = self._values(searcher, name)
            counts["fields"][name] = columns.count(searcher, name, docs, values)
        if facet_types:
            results = raw_page.results
            for name in results.facet_names():
                groups = dict(results.groups(name))
                outside = groups.pop(None, None)  # matches outside every range
                ordered = sorted(groups.items(), key=lambda item: (-item[1], item[0]))
                if outside is not None:  # placed by its count, as the stock engine does
                    place = next((i for i, (_, n) in enumerate(ordered) if n < outside), None)
                    ordered.insert(len(ordered) if place is None else place, (None, outside))
                counts[facet_types[name]][name] = ordered
        return counts

    def _values(self, searcher: Searcher, fieldname: str) -> list[Any]:
        if searcher.reader().has_column(fieldname):
            return self.searchers.column(
                fieldname, lambda: columns.global_column(searcher, fieldname)
            )
        return self.searchers.column(
            fieldname, lambda: columns.global_value_lists(searcher, fieldname)
        )

    def _filter(
        self,
        searcher: Searcher,
        narrow_queries: set[str] | None,
        models: set[type[Model]] | None,
        limit_to_registered_models: bool | None,
    ) -> set[int] | None:
        """Narrowing queries (facet selections, models) as one set of documents."""
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
            query_string = force_str(query)

            def find(query_string: str = query_string) -> frozenset[int]:
                parsed = self._parse(query_string)
                return frozenset(searcher.docs_for_query(parsed)) if parsed else frozenset()

            matching = self.searchers.narrowed(query_string, find)
            docs = matching if docs is None else docs & matching
        assert docs is not None  # `narrow_queries` is not empty
        return set(docs)  # Whoosh takes a set (of global document numbers) as a filter

    def more_like_this(
        self,
        model_instance: Model,
        additional_query_string: str | None = None,
        start_offset: int = 0,
        end_offset: int | None = None,
        models: set[type[Model]] | None = None,
        limit_to_registered_models: bool | None = None,
        result_class: type | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Documents like `model_instance`, as the stock engine finds them (the key terms of
        its text, by Whoosh's Bo1 model, searched for), but from the text as the index was
        given it, and with any filters applied before the top matches are taken."""
        from haystack import connections

        searcher = self.searcher()
        docnum = searcher.document_number(**{ID: get_identifier(model_instance)})
        if docnum is None:
            return {**EMPTY, "results": []}
        index = (
            connections[self.connection_alias].get_unified_index().get_index(type(model_instance))
        )
        text = highlighting.text_of(index, model_instance, self.content_field_name)
        # Whoosh's key terms (Bo1), but only words some other document has: a word found
        # nowhere else (a name, a slip of the keyboard) would take a key term's place and
        # find nothing, and a speech full of them would have no related speeches at all.
        keywords = [
            (word, weight)
            for word, weight in searcher.key_terms_from_text(
                self.content_field_name, text, numterms=MLT_CANDIDATE_TERMS
            )
            if searcher.doc_frequency(self.content_field_name, word) > 1
        ][:MLT_TERMS]
        if not keywords:
            return {**EMPTY, "results": []}
        query: Query = whoosh_query.Or(
            [
                whoosh_query.Term(self.content_field_name, word, boost=weight)
                for word, weight in keywords
            ]
        )
        # The filters (`filter()`, `exclude()`) join the query, and what they exclude is
        # dropped as a search drops it: neither is kept as a narrowing set, which for an
        # exclusion would be nearly the whole index, once per debate excluded.
        restrict = {docnum}
        if additional_query_string and additional_query_string.strip() not in ("*", "*:*"):
            parsed = self._parse(additional_query_string)
            if parsed is None or parsed is whoosh_query.NullQuery:
                return {**EMPTY, "results": []}  # a filter that matches nothing
            wanted, excluded = split_exclusions(parsed)
            restrict.update(*(searcher.docs_for_query(q) for q in excluded))
            if not isinstance(wanted, whoosh_query.Every):
                query = whoosh_query.And([query, wanted])
        narrowed = self._filter(searcher, set(), models, limit_to_registered_models)
        if narrowed is not None and not narrowed:
            return {**EMPTY, "results": []}
        results = self._run(
            searcher,
            query,
            narrowed=narrowed,
            restrict=restrict,
            start_offset=start_offset,
            end_offset=end_offset,
            result_class=result_class,
        )
        results.pop("raw_page"), results.pop("docs")
        return results

    def create_spelling_suggestion(self, query_string: str | None) -> str | None:
        """The query's words, each unknown one replaced by the closest indexed word, from
        the vocabulary kept beside the index (`spelling`)."""
        searcher = self.searcher()
        field = self.content_field_name
        analyzer = self.schema[field].analyzer

        def documents(word: str) -> int:
            """How many documents hold the word now (by its stem, as the index has it)."""
            stems = [token.text for token in analyzer(word)]
            return searcher.doc_frequency(field, stems[0]) if stems else 0

        version = self.searchers.version(self.index)
        return self.vocabulary.suggest(force_str(query_string or ""), documents, version)

    # -- Writing ---------------------------------------------------------------------

    def update(self, index: SearchIndex, iterable: Iterable[Model], commit: bool = True) -> None:
        # `update_index` hands over a queryset slice: it is read under the lock, like a drain.
        if isinstance(iterable, QuerySet):
            self.write(index, lambda: (list(iterable), ()), expected=iterable.count())
            return
        objects = list(iterable)
        self.write(index, lambda: (objects, ()), expected=len(objects))

    def remove(self, obj_or_string: Model | str, commit: bool = True) -> None:
        identifier = get_identifier(obj_or_string)
        self.write(None, lambda: ((), (identifier,)))

    def rebuilding(self) -> str:
        """Who is rebuilding this index now ("" if nobody): writes queue for its end."""
        return rebuilder(self.path)

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
            for identifier in removed:
                writer.delete_by_term(ID, identifier)
            for document in documents:
                if fresh:
                    writer.add_document(**document)
                else:
                    writer.update_document(**document)
            if not documents and not removed:
                writer.cancel()
                return 0
            # Before the commit: the vocabulary is never behind the index.
            self.vocabulary.record(doc.get(self.content_field_name, "") for doc in documents)
        except BaseException:
            writer.cancel()
            release_holder(self.path)
            raise
        try:
            # Merging on a write is bounded: bigger merges are `merge()`'s, out of the way.
            writer.commit(mergetype=merging.tiered(self.write_merge_docs))
        finally:
            release_holder(self.path)
        return len(documents) + len(removed)

    def rebuild(self, documents: Iterable[dict[str, Any]], *, wait: float | None = None) -> int:
        """Replace the whole index with `documents` (as `SearchIndex.full_prepare` gives
        them, read as they are written) in one commit, under the write lock; returns how
        many.

        Every document goes to one writer (processes of their own, WRITER_PROCS), which
        leaves one segment per process and nothing to merge: a rebuild costs the same per
        speech at any size. Until the commit the old index answers searches, and a
        rebuild killed midway leaves it as it was. Writes that come meanwhile wait for
        the lock, then stay in the index queue (search.indexing), which is drained once
        the new index is in place. The spelling vocabulary is replaced with it."""
        if not self.setup_complete:
            self.setup()
        self.index = self.storage.open_index(schema=self.schema)
        procs = self.writer_procs
        writer = open_writer(
            self.index,
            self.path,
            wait=self.lock_timeout if wait is None else wait,
            limitmb=self.writer_limitmb,
            **({"procs": procs, "multisegment": True} if procs > 1 else {}),
        )
        written = 0
        words: Counter[str] = Counter()
        try:
            texts: list[str] = []
            for prepared in documents:
                document = self._converted(prepared)
                writer.add_document(**document)
                texts.append(document.get(self.content_field_name, ""))
                written += 1
                if len(texts) >= 5000:  # counted as it goes: memory stays flat
                    words.update(count_words(texts))
                    texts = []
            words.update(count_words(texts))
            # Before the commit: the vocabulary is never behind the index.
            self.vocabulary.add(words, afresh=True)
        except BaseException:
            writer.cancel()
            release_holder(self.path)
            raise
        try:
            writer.commit(mergetype=_replace_every_segment)
        finally:
            release_holder(self.path)
        return written

    def _document(self, index: SearchIndex | None, obj: Model) -> dict[str, Any] | None:
        assert index is not None  # only deletes come without an index
        try:
            prepared = index.full_prepare(obj)
        except SkipDocument:
            return None
        return self._converted(prepared)

    def _converted(self, prepared: dict[str, Any]) -> dict[str, Any]:
        """A prepared document as Whoosh takes it: values converted, None and unknown
        fields left out."""
        prepared.pop("boost", None)
        return {
            key: value
            for key, value in ((k, self._from_python(v)) for k, v in prepared.items())
            if value is not None and key in self.schema
        }

    def delete_index(self) -> None:
        self.searchers.forget()
        super().delete_index()

    def merge(self, wait: float | None = None) -> tuple[list[int], list[int]]:
        """Merge every full tier of segments, smallest first, one commit each, until none is
        left (search.whoosh.merging): what a write leaves for later, done where nobody
        waits. Returns the segments' sizes before and after."""
        if not self.setup_complete:
            self.setup()
        before: list[int] | None = None
        while True:
            self.index = self.storage.open_index(schema=self.schema)
            writer = open_writer(
                self.index, self.path, wait=self.lock_timeout if wait is None else wait
            )
            try:
                if before is None:
                    before = merging.sizes(writer.segments)
                if not merging.full_tier(writer.segments):
                    writer.cancel()
                    return before, merging.sizes(writer.segments)
                writer.commit(mergetype=merging.tiered())
            except BaseException:
                if not writer.is_closed:
                    writer.cancel()
                raise
            finally:
                release_holder(self.path)

    def optimize(self) -> None:
        """Merge every segment into one (Haystack's `optimize`)."""
        if not self.setup_complete:
            self.setup()
        self.index = self.storage.open_index(schema=self.schema)
        writer = open_writer(self.index, self.path, wait=self.lock_timeout)
        try:
            writer.commit(optimize=True)
        finally:
            release_holder(self.path)


def _replace_every_segment(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy that keeps none of the index's segments: the commit leaves only
    what the writer wrote (`rebuild`)."""
    return []


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise ValueError(f"Not a date: {value!r}")


class Engine(WhooshEngine):  # type: ignore[misc]  # Haystack is untyped
    backend = ChamberWhooshBackend
    query = SearchQuery

"""The backend Haystack calls, on Tantivy: the same answers as Chamber's Whoosh engine
(tests/search/test_parity.py runs the same assertions against both), put together from the
modules of this package. docs/search-engine.md ("Tantivy") says what differs and why.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tantivy
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.utils.encoding import force_str
from haystack.backends import BaseEngine, BaseSearchBackend, log_query
from haystack.backends.whoosh_backend import WhooshSearchBackend
from haystack.constants import DJANGO_CT, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.indexes import SearchIndex
from haystack.models import SearchResult
from haystack.utils import get_identifier, get_model_ct
from haystack.utils.app_loading import haystack_get_model
from tantivy import Occur
from tantivy import Query as TQ

from .. import highlighting, parsing
from ..engines import WriterFailed, rebuilder
from ..whoosh.lookups import SearchQuery
from ..whoosh.spelling import FILENAME as VOCABULARY_FILE
from ..whoosh.spelling import Vocabulary, count_words
from . import analysis, queries, schema, writing
from . import facets as facets_module
from .opening import Opened

EMPTY = {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
# Writes this big are indexed by several threads with a big memory budget.
BULK_THRESHOLD = 2000
# Threads that count facets while a search finds its page (see `search`), made in each
# process that asks (a pool inherited through fork, from gunicorn's preloading master, say,
# would have no threads).
_COUNTING: dict[int, ThreadPoolExecutor] = {}


def _counting() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _COUNTING:
        _COUNTING.clear()
        _COUNTING[pid] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chamber-facets")
    return _COUNTING[pid]


SMALL_WRITE_HEAP = 50_000_000  # bytes: a sitting day's 500 speeches need far less


class TantivySearchBackend(BaseSearchBackend):  # type: ignore[misc]  # Haystack is untyped
    # The query class is the Whoosh engine's (it writes Whoosh syntax), which asks these.
    RESERVED_WORDS = WhooshSearchBackend.RESERVED_WORDS
    RESERVED_CHARACTERS = WhooshSearchBackend.RESERVED_CHARACTERS
    _from_python = WhooshSearchBackend._from_python

    def __init__(self, connection_alias: str, **options: Any):
        super().__init__(connection_alias, **options)
        if not options.get("PATH"):
            raise ImproperlyConfigured(
                f"The {connection_alias!r} connection needs a PATH for the Tantivy index."
            )
        self.path = str(options["PATH"])
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 120))
        self.writer_heap = int(options.get("WRITER_HEAP_MB", 512)) * 1_000_000
        self.writer_threads = int(options.get("WRITER_THREADS", min(2, os.cpu_count() or 1)))
        self.vocabulary = Vocabulary(self.path)
        self.writers = writing.Session(self.path)
        self.setup_complete = False

    # -- Opening ---------------------------------------------------------------------

    def setup(self) -> None:
        from haystack import connections

        fields = connections[self.connection_alias].get_unified_index().all_searchfields()
        self.layout = schema.build(fields)
        self.content_field_name = self.layout.content_field
        self.parser = parsing.parser(fields)
        self.opened = Opened(self.path, self.layout)
        self.opened.index()
        self.setup_complete = True

    def _translator(self) -> tuple[tantivy.Searcher, queries.Translator]:
        if not self.setup_complete:
            self.setup()
        searcher = self.opened.searcher()
        return searcher, queries.Translator(self.layout, self.parser, searcher)

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
        suggestion = None
        if spelling_query or self.include_spelling:
            suggestion = self.create_spelling_suggestion(spelling_query or query_string)
        if not query_string or (len(query_string) <= 1 and query_string != "*"):
            return {**EMPTY, "spelling_suggestion": suggestion}
        parsing.warn_of_query_facets(query_facets)
        searcher, translator = self._translator()
        query = translator.parse(query_string)
        if query is None or not searcher.num_docs:
            return {**EMPTY, "spelling_suggestion": suggestion}
        query = self._narrowed(
            translator, query, narrow_queries, models, limit_to_registered_models
        )
        date_groups = [
            facets_module.DateFacet(self.layout, name, options)
            for name, options in (date_facets or {}).items()
        ]
        field_facets = list(facets or ())
        aggregations = self._aggregations(field_facets, date_groups)
        # The facets are counted in another thread while this one finds the page: Tantivy
        # lets go of the GIL while it searches, and each pass reads every match (a common
        # phrase at 1M speeches: 128 ms one after the other, 80 ms side by side).
        counting = (
            _counting().submit(facets_module.run, searcher, query, self.layout, aggregations)
            if aggregations
            else None
        )
        try:
            results = self._run(
                searcher,
                query,
                sort_by=sort_by,
                start_offset=start_offset,
                end_offset=end_offset,
                result_class=result_class,
            )
        finally:
            answer = counting.result() if counting is not None else {}
        if highlight:
            highlighting.highlight(
                results["results"],
                query_string,
                alias=self.connection_alias,
                field=self.content_field_name,
            )
        results["facets"] = self._facet_counts(answer, field_facets, date_groups, results["hits"])
        results["spelling_suggestion"] = suggestion
        return results

    def _narrowed(
        self,
        translator: queries.Translator,
        query: TQ,
        narrow_queries: set[str] | None,
        models: set[type[Model]] | None,
        limit_to_registered_models: bool | None,
    ) -> TQ:
        """The query with the narrowing queries (facet selections, models) as filters:
        they must match, and add nothing to the score."""
        narrow = parsing.narrowing(self, narrow_queries, models, limit_to_registered_models)
        filters = [
            TQ.const_score_query(narrowing, 0.0)
            for one in narrow
            if (narrowing := translator.parse(one)) is not None
        ]
        if not filters:
            return query
        return TQ.boolean_query([(Occur.Must, q) for q in (query, *filters)])

    def _run(
        self,
        searcher: tantivy.Searcher,
        query: TQ,
        *,
        sort_by: list[str] | None = None,
        start_offset: int = 0,
        end_offset: int | None = None,
        result_class: type | None = None,
    ) -> dict[str, Any]:
        """The page asked for and the exact number of matches."""
        start = start_offset or 0
        wants_none = end_offset is not None and end_offset <= start
        limit = (end_offset - start) if end_offset is not None else searcher.num_docs - start
        order_by, order = self._sorting(sort_by)
        limit = 1 if wants_none else max(limit, 1)
        if order_by:
            found = searcher.search(
                query, limit=limit, count=True, offset=start, order_by_field=order_by, order=order
            )
        else:
            found = searcher.search(query, limit=limit, count=True, offset=start)
        hits = _count(found)
        if wants_none:
            return {**EMPTY, "hits": hits}
        return {
            **EMPTY,
            "results": self._results(
                searcher, found.hits, scored=not order_by, result_class=result_class
            ),
            "hits": hits,
        }

    def _sorting(self, sort_by: list[str] | None) -> tuple[str | None, tantivy.Order]:
        if not sort_by:
            return None, tantivy.Order.Desc
        descending = {field.startswith("-") for field in sort_by}
        if len(descending) > 1:
            raise SearchBackendError(
                "Whoosh requires all order_by fields to use the same sort direction"
            )
        name = sort_by[0].lstrip("-")
        field = self.layout.fields.get(name)
        if field is None or not field.fast:
            raise SearchBackendError(f"No field {name!r} to sort by.")
        return field.sort_name, tantivy.Order.Desc if descending.pop() else tantivy.Order.Asc

    def _results(
        self,
        searcher: tantivy.Searcher,
        hits: list[tuple[Any, tantivy.DocAddress]],
        *,
        scored: bool,
        result_class: type | None,
    ) -> list[Any]:
        from haystack import connections

        result_class = result_class or SearchResult
        indexed = connections[self.connection_alias].get_unified_index().get_indexed_models()
        results = []
        for score, address in hits:
            identifier = searcher.doc(address).get_first(ID)
            app_label, model_name, pk = str(identifier).split(".", 2)
            model = haystack_get_model(app_label, model_name)
            if model and model in indexed:
                results.append(
                    result_class(
                        app_label, model_name, pk, float(score) if scored else 0.0, id=identifier
                    )
                )
        return results

    def _aggregations(
        self, field_facets: list[str], date_groups: list[facets_module.DateFacet]
    ) -> dict[str, Any]:
        """One Tantivy aggregation for every facet asked for (none if none is)."""
        if not field_facets and not date_groups:
            return {}
        aggregations = facets_module.aggregation(self.layout, field_facets)
        for group in date_groups:
            aggregations[f"dates:{group.name}"] = group.aggregation()
        return aggregations

    def _facet_counts(
        self,
        answer: dict[str, Any],
        field_facets: list[str],
        date_groups: list[facets_module.DateFacet],
        total: int,
    ) -> dict[str, Any]:
        """Haystack's facet counts from the aggregations' answer."""
        if not field_facets and not date_groups:
            return {}
        counts: dict[str, Any] = {"fields": {}, "dates": {}, "queries": {}}
        if total:
            counts["fields"] = facets_module.field_counts(self.layout, answer, field_facets)
        else:
            counts["fields"] = {name: [] for name in field_facets}
        for group in date_groups:
            found = answer.get(f"dates:{group.name}", {"buckets": {}}) if total else {"buckets": {}}
            counts["dates"][group.name] = group.counts(found, total)
        return counts

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
        """Documents like `model_instance`: the key terms of its text (Whoosh's Bo1 model,
        with document frequencies for collection frequencies, which Tantivy does not
        keep), only words some other document has, searched for with any filters."""
        from haystack import connections

        searcher, translator = self._translator()
        identifier = get_identifier(model_instance)
        myself = TQ.term_query(self.layout.schema, ID, identifier)
        if not _count(searcher.search(myself, limit=1, count=True)):
            return {**EMPTY, "results": []}
        index = (
            connections[self.connection_alias].get_unified_index().get_index(type(model_instance))
        )
        keywords = self._key_terms(
            searcher, highlighting.text_of(index, model_instance, self.content_field_name)
        )
        if not keywords:
            return {**EMPTY, "results": []}
        field = self.content_field_name
        like = TQ.boolean_query(
            [
                (
                    Occur.Should,
                    TQ.boost_query(TQ.term_query(self.layout.schema, field, word), weight),
                )
                for word, weight in keywords
            ]
        )
        clauses = [(Occur.Must, like), (Occur.MustNot, myself)]
        if additional_query_string and additional_query_string.strip() not in parsing.MATCH_ALL:
            wanted = translator.parse(additional_query_string)
            if wanted is None:
                return {**EMPTY, "results": []}
            clauses.append((Occur.Must, wanted))
        query = self._narrowed(
            translator, TQ.boolean_query(clauses), set(), models, limit_to_registered_models
        )
        return self._run(
            searcher,
            query,
            start_offset=start_offset,
            end_offset=end_offset,
            result_class=result_class,
        )

    def _key_terms(self, searcher: tantivy.Searcher, text: str) -> list[tuple[str, float]]:
        field = self.content_field_name
        return parsing.key_terms(
            analysis.text_stems(text),
            lambda word: int(searcher.doc_freq(field, word)),
            searcher.num_docs,
        )

    def create_spelling_suggestion(self, query_string: str | None) -> str | None:
        """The query's words, each unknown one replaced by the closest indexed word, from
        the vocabulary kept beside the index (`search.whoosh.spelling`)."""
        if not self.setup_complete:
            self.setup()
        searcher = self.opened.searcher()
        field = self.content_field_name

        def documents(word: str) -> int:
            terms = analysis.query_terms(word.lower())
            return searcher.doc_freq(field, terms[0]) if len(terms) == 1 else 0

        return self.vocabulary.suggest(
            force_str(query_string or ""), documents, self.opened.version()
        )

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
        commit (search.engines.Writes). Returns how many documents were written or
        deleted."""
        if not self.setup_complete:
            self.setup()
        bulk = expected >= BULK_THRESHOLD
        with self.writers.writer(
            self.opened.index(),
            wait=self.lock_timeout if wait is None else wait,
            heap_size=self.writer_heap if bulk else SMALL_WRITE_HEAP,
            threads=self.writer_threads if bulk else 1,
            keep=bulk,  # for the run's next batch: merges go on meanwhile
        ) as writer:
            objects, removed = read()
            removed = list(removed)
            fresh = not self.opened.searcher().num_docs
            for identifier in removed:
                writer.delete_documents_by_term(ID, identifier)
            added = 0

            def add_each() -> Iterator[str]:
                """Each document handed to Tantivy, then its text to the vocabulary: the
                words are counted while Tantivy's threads index what came before."""
                nonlocal added
                for obj in objects:
                    values = self._prepared(index, obj)
                    if values is None:
                        continue
                    if not fresh:
                        writer.delete_documents_by_term(ID, values[ID])
                    writer.add_document(schema.document(self.layout, values))
                    added += 1
                    yield force_str(values.get(self.content_field_name) or "")

            # Before the commit: the vocabulary is never behind the index.
            self.vocabulary.record(add_each())
            if not added and not removed:
                return 0
            _commit(writer)
        return added + len(removed)

    def rebuild(self, documents: Iterable[dict[str, Any]], *, wait: float | None = None) -> int:
        """Replace the whole index with `documents` (as `SearchIndex.full_prepare` gives
        them, read as they are written) in one commit; returns how many (see Chamber's
        `rebuild_index`). Every document is deleted and the new ones added by one writer:
        other processes read the index as it was until the commit replaces it (Tantivy
        publishes a commit by replacing `meta.json`), and a rebuild killed midway leaves it
        as it was. The spelling vocabulary is replaced with it."""
        if not self.setup_complete:
            try:
                self.setup()
            except SearchBackendError:  # an index of other fields: replaced whole anyway
                self.writers.release()
                self.opened.start_afresh()
                self.setup_complete = True
        added = 0
        with self.writers.writer(
            self.opened.index(),
            wait=self.lock_timeout if wait is None else wait,
            heap_size=self.writer_heap,
            threads=self.writer_threads,
        ) as writer:
            writer.delete_all_documents()

            def add_each() -> Iterator[str]:
                nonlocal added
                for values in documents:
                    writer.add_document(schema.document(self.layout, values))
                    added += 1
                    yield force_str(values.get(self.content_field_name) or "")

            # Before the commit: the vocabulary is never behind the index.
            self.vocabulary.add(count_words(add_each()), afresh=True)
            _commit(writer)
        return added

    def _prepared(self, index: SearchIndex | None, obj: Model) -> dict[str, Any] | None:
        assert index is not None  # only deletes come without an index
        try:
            return dict(index.full_prepare(obj))
        except SkipDocument:
            return None

    def clear(self, models: list[type[Model]] | None = None, commit: bool = True) -> None:
        """Delete the documents of `models`, or every document (and the spelling
        vocabulary, which a rebuild starts afresh)."""
        if not self.setup_complete:
            try:
                self.setup()
            except SearchBackendError:  # an index of other fields: start afresh
                self.writers.release()
                self.opened.start_afresh()
                self.setup_complete = True
        with self.writers.writer(
            self.opened.index(), wait=self.lock_timeout, heap_size=SMALL_WRITE_HEAP, threads=1
        ) as writer:
            if models:
                for model in models:
                    writer.delete_documents_by_term(DJANGO_CT, get_model_ct(model))
            else:
                writer.delete_all_documents()
                vocabulary = os.path.join(self.path, VOCABULARY_FILE)
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(vocabulary + suffix):
                        os.remove(vocabulary + suffix)
            writer.commit()

    def optimize(self) -> None:
        """Tantivy merges in the background; a commit with nothing in it lets merges finish."""
        if not self.setup_complete:
            self.setup()
        with self.writers.writer(
            self.opened.index(), wait=self.lock_timeout, heap_size=SMALL_WRITE_HEAP, threads=1
        ) as writer:
            writer.commit()


def _commit(writer: tantivy.IndexWriter) -> None:
    """Commit, or raise WriterFailed: the writes are not in the index, and whoever asked for
    them keeps them to write again (the index queue keeps its rows)."""
    try:
        writer.commit()
    except (ValueError, OSError) as error:
        raise WriterFailed(f"The search index could not commit: {error}") from error


def _count(found: tantivy.SearchResult) -> int:
    """All the matches of a search made with `count=True` (missing from tantivy's stubs)."""
    return int(getattr(found, "count", 0) or 0)


class Engine(BaseEngine):  # type: ignore[misc]  # Haystack is untyped
    backend = TantivySearchBackend
    query = SearchQuery

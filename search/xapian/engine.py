"""The backend Haystack calls, on Xapian: xapian-haystack's backend with what it got wrong
here replaced, so that it answers as Chamber's other engines do (tests/search/test_parity.py
runs the same assertions against all of them), on one database or on shards across servers.

Kept from xapian-haystack: its backend class (Haystack's glue, its settings), its term
prefixes. Replaced, and why:

- Facets: its match spies saw only the first ~1,000 matches (a party facet summed to 1,035
  for 30,069 hits) and it counted multi-valued and date facets from the page of results.
  Here every facet is counted over every match (`facets`).
- Counting: it ranked every match a second time to count them. Here the pass that counts
  (the one with the facets' spies, or the page's) checks every match once.
- Sorting: its `MultiValueKeyMaker` cannot run on a remote shard ("KeyMaker not supported
  for the remote backend"). Here a sort is by one value slot (`set_sort_by_value`), which
  shards run, and with facets the page is sorted in its own pass: facets counted while
  sorting by value over-counted slightly across shards.
- Queries: Haystack's query strings are read as the Whoosh engine reads them (`queries`),
  so the same lookups mean the same thing on every engine.
- Documents hold only the identifier (results load from the database); each goes to one
  shard (`shards`); writes go through the index queue's `write()` (search.engines.Writes).
"""

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import xapian
from django.db.models import Model, QuerySet
from django.utils.encoding import force_str
from haystack.backends import BaseEngine, log_query
from haystack.backends.whoosh_backend import WhooshSearchBackend
from haystack.constants import DJANGO_CT, ID
from haystack.exceptions import SearchBackendError, SkipDocument
from haystack.indexes import SearchIndex
from haystack.models import SearchResult
from haystack.utils import get_identifier, get_model_ct
from haystack.utils.app_loading import haystack_get_model
from xapian_backend import XapianSearchBackend as StockXapianBackend

from .. import highlighting, parsing
from ..engines import SearchUnavailable, rebuilder
from ..whoosh.lookups import SearchQuery
from ..whoosh.spelling import FILENAME as VOCABULARY_FILE
from ..whoosh.spelling import Vocabulary, count_words
from . import analysis, queries, schema
from . import facets as facets_module
from .shards import Feed, Shards, parse

EMPTY = {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
Q = xapian.Query
# BM25 with Whoosh's (and Tantivy's) parameters, k1 1.2 and b 0.75: relevance ranks as in the
# other engines (Xapian's own defaults are 1 and 0.5).
WEIGHTING = (1.2, 0.0, 1.0, 0.75, 0.5)  # k1, k2, k3, b, min_normlen


class XapianSearchBackend(StockXapianBackend):  # type: ignore[misc]  # untyped
    # The query class is the Whoosh engine's (it writes Whoosh syntax), which asks these.
    RESERVED_WORDS = WhooshSearchBackend.RESERVED_WORDS
    RESERVED_CHARACTERS = WhooshSearchBackend.RESERVED_CHARACTERS
    _from_python = WhooshSearchBackend._from_python

    def __init__(self, connection_alias: str, **options: Any):
        super().__init__(connection_alias, **options)
        self.path = str(options["PATH"])
        self.lock_timeout = float(options.get("LOCK_TIMEOUT", 120))
        self.shards = Shards(
            parse(options.get("SHARDS"), self.path),
            self.path,
            field=str(options.get("SHARD_BY", "date")),
        )
        self.vocabulary = Vocabulary(self.path)
        self.setup_complete = False

    def setup(self) -> None:
        from haystack import connections

        fields = connections[self.connection_alias].get_unified_index().all_searchfields()
        self.layout = schema.build(fields)
        self.content_field = self.layout.content_field
        self.parser = parsing.parser(fields, words=analysis.QUERY_WORDS)
        self.setup_complete = True

    def _read(self) -> tuple[xapian.Database, queries.Translator]:
        if not self.setup_complete:
            self.setup()
        database = self.shards.reader()
        return database, queries.Translator(self.layout, self.parser, database)

    def document_count(self) -> int:
        try:
            return int(self.shards.reader().get_doccount())
        except xapian.Error as error:
            raise self.shards.unavailable(error) from error

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
        for attempt in (1, 2):
            try:
                results = self._search(
                    query_string,
                    sort_by=sort_by,
                    start_offset=start_offset,
                    end_offset=end_offset,
                    facets=list(facets or ()),
                    date_facets=date_facets or {},
                    narrow_queries=narrow_queries,
                    models=models,
                    limit_to_registered_models=limit_to_registered_models,
                    result_class=result_class,
                )
                break
            except xapian.DatabaseModifiedError as error:
                # A local database changed more than once under the search: read it again.
                self.shards.forget()
                if attempt == 2:
                    raise self.shards.unavailable(error) from error
            except (xapian.NetworkError, xapian.DatabaseError) as error:
                raise self.shards.unavailable(error) from error
        if highlight:
            highlighting.highlight(
                results["results"],
                query_string,
                alias=self.connection_alias,
                field=self.content_field,
            )
        results["spelling_suggestion"] = suggestion
        return results

    def _search(
        self,
        query_string: str,
        *,
        sort_by: list[str] | None,
        start_offset: int,
        end_offset: int | None,
        facets: list[str],
        date_facets: dict[str, dict[str, Any]],
        narrow_queries: set[str] | None,
        models: set[type[Model]] | None,
        limit_to_registered_models: bool | None,
        result_class: type | None,
    ) -> dict[str, Any]:
        database, translator = self._read()
        query = translator.parse(query_string)
        if query is None or not database.get_doccount():
            return dict(EMPTY)
        query = self._narrowed(
            translator, query, narrow_queries, models, limit_to_registered_models
        )
        spies = facets_module.spies(self.layout, facets, date_facets)
        found = self._run(
            database,
            query,
            sort_by=sort_by,
            start_offset=start_offset,
            end_offset=end_offset,
            spies=spies,
            result_class=result_class,
        )
        if spies:
            counts: dict[str, Any] = {"fields": {}, "dates": {}, "queries": {}}
            counts["fields"] = facets_module.field_counts(self.layout, spies, facets)
            for name, options in date_facets.items():
                spy = spies[self.layout.fields[name].slot or 0]  # a date field has a slot
                counts["dates"][name] = facets_module.date_facet(spy, options, found["hits"])
            found["facets"] = counts
        return found

    def _narrowed(
        self,
        translator: queries.Translator,
        query: xapian.Query,
        narrow_queries: set[str] | None,
        models: set[type[Model]] | None,
        limit_to_registered_models: bool | None,
    ) -> xapian.Query:
        """The query with the narrowing queries (facet selections, models) as filters: they
        must match, and add nothing to the score (OP_FILTER)."""
        narrow = parsing.narrowing(self, narrow_queries, models, limit_to_registered_models)
        filters = [narrowing for one in narrow if (narrowing := translator.parse(one)) is not None]
        if not filters:
            return query
        return Q(Q.OP_FILTER, query, filters[0] if len(filters) == 1 else Q(Q.OP_AND, filters))

    def _run(
        self,
        database: xapian.Database,
        query: xapian.Query,
        *,
        sort_by: list[str] | None = None,
        start_offset: int = 0,
        end_offset: int | None = None,
        spies: dict[int, xapian.ValueCountMatchSpy] | None = None,
        result_class: type | None = None,
    ) -> dict[str, Any]:
        """The page asked for and the exact number of matches, every match seen once: by
        the facets' spies and the count, in the page's own pass unless the page is sorted
        (then the page's pass stops once it has the page)."""
        everything = database.get_doccount()
        start = start_offset or 0
        wanted = (end_offset - start) if end_offset is not None else everything - start
        wanted = max(wanted, 0)
        order = self._sorting(sort_by)
        enquire = _enquire(database, query)
        if order is not None and spies:
            counting = _enquire(database, query)
            for spy in spies.values():
                counting.add_matchspy(spy)
            hits = counting.get_mset(0, 0, everything).get_matches_estimated()
            enquire.set_sort_by_value_then_relevance(*order)
            page = enquire.get_mset(start, wanted) if wanted and start < hits else None
        else:
            if order is not None:
                enquire.set_sort_by_value_then_relevance(*order)
            for spy in (spies or {}).values():
                enquire.add_matchspy(spy)
            page = enquire.get_mset(start, wanted, everything)
            hits = page.get_matches_estimated()
        return {
            **EMPTY,
            "results": self._results(page, scored=order is None, result_class=result_class),
            "hits": int(hits),
        }

    def _sorting(self, sort_by: list[str] | None) -> tuple[int, bool] | None:
        """The slot to sort by and whether to reverse it (one field: Xapian's remote
        backend sorts by one value)."""
        if not sort_by:
            return None
        descending = {field.startswith("-") for field in sort_by}
        if len(descending) > 1:
            raise SearchBackendError(
                "Whoosh requires all order_by fields to use the same sort direction"
            )
        name = sort_by[0].lstrip("-")
        field = self.layout.fields.get(name)
        if field is None or field.slot is None:
            raise SearchBackendError(f"No field {name!r} to sort by.")
        return field.slot, descending.pop()

    def _results(
        self, page: xapian.MSet | None, *, scored: bool, result_class: type | None
    ) -> list[Any]:
        from haystack import connections

        if page is None or not page.size():
            return []
        result_class = result_class or SearchResult
        indexed = connections[self.connection_alias].get_unified_index().get_indexed_models()
        if not page.get_firstitem():
            # Every document of the page asked of each shard at once, not one by one. Only
            # from the first item: in Xapian 1.4.26's bindings, MSet.fetch() on a page that
            # starts further down crashes the process (tests/search/test_xapian.py).
            page.fetch()
        results = []
        for match in page:
            identifier = match.document.get_data().decode()
            app_label, model_name, pk = identifier.split(".", 2)
            model = haystack_get_model(app_label, model_name)
            if model and model in indexed:
                score = float(match.weight) if scored else 0.0
                results.append(result_class(app_label, model_name, pk, score, id=identifier))
        return results

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
        """Documents like `model_instance`: the key terms of its text
        (`search.parsing.key_terms`), searched for with any filters."""
        from haystack import connections

        try:
            database, translator = self._read()
            identifier = self.layout.fields[ID].term(get_identifier(model_instance))
            if not database.term_exists(identifier):
                return {**EMPTY, "results": []}
            myself = Q(identifier)
            index = (
                connections[self.connection_alias]
                .get_unified_index()
                .get_index(type(model_instance))
            )
            text = highlighting.text_of(index, model_instance, self.content_field)
            keywords = parsing.key_terms(
                analysis.text_stems(text), database.get_termfreq, database.get_doccount()
            )
            if not keywords:
                return {**EMPTY, "results": []}
            like = Q(Q.OP_OR, [Q(Q.OP_SCALE_WEIGHT, Q(word), weight) for word, weight in keywords])
            query = Q(Q.OP_AND_NOT, like, myself)
            if additional_query_string and additional_query_string.strip() not in parsing.MATCH_ALL:
                wanted = translator.parse(additional_query_string)
                if wanted is None:
                    return {**EMPTY, "results": []}
                query = Q(Q.OP_AND, query, wanted)
            query = self._narrowed(translator, query, set(), models, limit_to_registered_models)
            return self._run(
                database,
                query,
                start_offset=start_offset,
                end_offset=end_offset,
                result_class=result_class,
            )
        except (xapian.NetworkError, xapian.DatabaseError) as error:
            raise self.shards.unavailable(error) from error

    def create_spelling_suggestion(self, query_string: str | None) -> str | None:
        """The query's words, each unknown one replaced by the closest indexed word, from
        the vocabulary kept beside the index (`search.whoosh.spelling`)."""
        if not self.setup_complete:
            self.setup()
        try:
            database = self.shards.reader()
        except SearchUnavailable:
            return None
        prefix = self.layout.fields[self.content_field].prefix

        def documents(word: str) -> int:
            terms = analysis.query_terms(word.lower())
            return int(database.get_termfreq(prefix + terms[0])) if len(terms) == 1 else 0

        try:
            version = (
                database.get_doccount(),
                database.get_lastdocid(),
                database.get_total_length(),
            )
            return self.vocabulary.suggest(force_str(query_string or ""), documents, version)
        except xapian.Error:  # a shard gone meanwhile: no suggestion, and connect again
            self.shards.forget()
            return None

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
        """Take the write locks, then call `read()` for the objects whose documents to add
        or replace and the identifiers of documents to delete, and write them: one
        transaction per shard, committed together (search.engines.Writes). Returns how many
        documents were written or deleted."""
        if not self.setup_complete:
            self.setup()
        id_field = self.layout.fields[ID]
        with self.shards.writers(self.lock_timeout if wait is None else wait) as writers:
            objects, removed = read()
            removed = list(removed)
            # A shard with no documents has none to delete (a first load: half the round
            # trips to remote shards).
            holding = [n for n, writer in enumerate(writers) if writer.get_doccount()]
            feed = Feed(writers)
            added = 0

            def add_each() -> Iterator[str]:
                """Each document to its shard, then its text to the vocabulary."""
                nonlocal added
                for identifier in removed:
                    for number in holding:
                        feed.put(number, "delete_document", id_field.term(identifier))
                for obj in objects:
                    values = self._prepared(index, obj)
                    if values is None:
                        continue
                    document, term = schema.document(self.layout, values)
                    home = self.shards.route.shard_of(values, term)
                    feed.put(home, "replace_document", term, document)
                    for number in holding:
                        if number != home:  # a document whose date moved it
                            feed.put(number, "delete_document", term)
                    added += 1
                    yield force_str(values.get(self.content_field) or "")

            try:
                # Before the commit: the vocabulary is never behind the index.
                self.vocabulary.record(add_each())
            finally:
                feed.close()  # every shard's part done (or its error raised)
        return added + len(removed)

    @property
    def rebuilds_in_one_commit(self) -> bool:
        """Whether `rebuild()` replaces the index in one commit (local shards), or shard by
        shard in place (remote shards: Xapian's remote protocol has no transactions)."""
        return self.shards.transactional

    def rebuild(self, documents: Iterable[dict[str, Any]], *, wait: float | None = None) -> int:
        """Replace the whole index with `documents` (as `SearchIndex.full_prepare` gives
        them, read as they are written). The spelling vocabulary is replaced with it.

        On local shards: every shard emptied and refilled in one transaction, which
        readers see only when it commits (a rebuild killed midway leaves the index as it
        was). On remote shards, which have no transactions: each document replaces its
        old version in place, on its shard, then whatever the shards hold that was not
        written (speeches gone, or on another shard before) is deleted. Searches meanwhile
        find every speech, old or new; a rebuild killed midway leaves a mix of both, which
        the next `rebuild_index` (or `check_index --repair`) puts right."""
        if not self.setup_complete:
            self.setup()
        added = 0
        atomic = self.shards.transactional
        with self.shards.writers(self.lock_timeout if wait is None else wait) as writers:
            if atomic:
                for writer in writers:
                    _empty(writer)
            written: list[set[str]] = [set() for _ in writers]
            feed = Feed(writers)

            def add_each() -> Iterator[str]:
                nonlocal added
                for values in documents:
                    document, term = schema.document(self.layout, values)
                    home = self.shards.route.shard_of(values, term)
                    if atomic:
                        feed.put(home, "add_document", document)
                    else:
                        feed.put(home, "replace_document", term, document)
                        written[home].add(term)
                    added += 1
                    yield force_str(values.get(self.content_field) or "")

            try:
                # Before the commit: the vocabulary is never behind the index.
                self.vocabulary.add(count_words(add_each()), afresh=True)
            finally:
                feed.close()
            if not atomic:
                prefix = self.layout.fields[ID].prefix
                for writer, kept in zip(writers, written, strict=True):
                    _sweep(writer, prefix, kept)
        return added

    def _prepared(self, index: SearchIndex | None, obj: Model) -> dict[str, Any] | None:
        assert index is not None  # only deletes come without an index
        try:
            return dict(index.full_prepare(obj))
        except SkipDocument:
            return None

    def clear(self, models: list[type[Model]] | None = None, commit: bool = True) -> None:
        """Delete the documents of `models` from every shard, or every document (and the
        spelling vocabulary, which a rebuild starts afresh)."""
        if not self.setup_complete:
            self.setup()
        ct_field = self.layout.fields[DJANGO_CT]
        with self.shards.writers(self.lock_timeout) as writers:
            for writer in writers:
                if models:
                    for model in models:
                        writer.delete_document(ct_field.term(get_model_ct(model)))
                else:
                    _empty(writer)
        if not models:
            vocabulary = os.path.join(self.path, VOCABULARY_FILE)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(vocabulary + suffix):
                    os.remove(vocabulary + suffix)

    def optimize(self) -> None:
        """Xapian's databases need no merging: nothing to do."""


def _enquire(database: xapian.Database, query: xapian.Query) -> xapian.Enquire:
    enquire = xapian.Enquire(database)
    enquire.set_weighting_scheme(xapian.BM25Weight(*WEIGHTING))
    enquire.set_query(query)
    return enquire


def _sweep(writer: xapian.WritableDatabase, prefix: str, kept: set[str]) -> None:
    """Delete a shard's documents whose identifier terms are not `kept`."""
    gone = [
        term
        for item in writer.allterms(prefix)
        if (term := item.term.decode("utf-8", "replace")) not in kept
    ]
    for term in gone:
        writer.delete_document(term)


def _empty(writer: xapian.WritableDatabase) -> None:
    """Delete every document of a shard: by the content types they carry (all of them have
    one), which the shard does by itself."""
    if not writer.get_doccount():
        return
    prefix = f"X{DJANGO_CT.upper()}:"
    for item in list(writer.allterms(prefix)):
        writer.delete_document(item.term)
    if writer.get_doccount():  # documents without a content type: one at a time
        for item in list(writer.postlist("")):
            writer.delete_document(item.docid)


class Engine(BaseEngine):  # type: ignore[misc]  # Haystack is untyped
    backend = XapianSearchBackend
    query = SearchQuery

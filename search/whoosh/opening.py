"""Opening the index for searching: one searcher per thread, kept until the index changes.

The stock backend opened two or three readers per query, and with Whoosh's memory-mapped
storage every open copied the term files (~240 ms per query at 100k speeches). Here the
index is opened without mmap, and each thread keeps its searcher, and what was worked out
with it (narrowing queries' documents, whole-index columns), until the index's table of
contents changes.
"""

import os
import threading
from collections.abc import Callable
from typing import Any

from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.searching import Searcher

# Narrowing queries whose matching documents are kept per searcher.
NARROW_CACHE_SIZE = 256


class _Kept(threading.local):
    """This thread's searcher, and what is kept while the index is unchanged."""

    searcher: tuple[tuple[int, ...], Searcher] | None = None  # (index version, searcher)
    narrowed: dict[str, frozenset[int]]  # narrowing query -> its documents
    columns: dict[str, list[Any]]  # field -> values by global document number


class Searchers:
    """Searchers of one index folder, one per thread."""

    def __init__(self, path: str):
        self.path = path
        # Bumped when this process deletes the index: with the table of contents' identity
        # (which a rebuild in any process changes), it says a kept searcher is stale.
        self.epoch = 0
        self._local = _Kept()

    @staticmethod
    def storage(path: str) -> FileStorage:
        return FileStorage(path, supports_mmap=False)

    def version(self, index: FileIndex) -> tuple[int, ...]:
        """What identifies the index's current state, across processes: the generation of
        its table of contents and that file's identity (a rebuilt index restarts at 0)."""
        generation = index.latest_generation()
        toc = os.path.join(self.path, f"_{index.indexname}_{generation}.toc")
        try:
            stat = os.stat(toc)
        except FileNotFoundError:
            return (self.epoch, generation)
        return (self.epoch, generation, stat.st_ino, stat.st_mtime_ns)

    def searcher(self, index: FileIndex, schema: Schema) -> Searcher:
        """This thread's searcher, reopened only when the index has changed."""
        version = self.version(index)
        kept = self._local.searcher
        if kept is not None and kept[0] == version:
            return kept[1]
        if kept is not None:
            kept[1].close()
        searcher = self.storage(self.path).open_index(schema=schema).searcher()
        lengths_in_memory(searcher, schema)
        self._local.searcher = (version, searcher)
        self._local.narrowed = {}
        self._local.columns = {}
        return searcher

    def forget(self) -> None:
        """Drop this thread's searcher, and mark what other threads keep as stale."""
        self.epoch += 1
        kept = self._local.searcher
        if kept is not None:
            kept[1].close()
            self._local.searcher = None

    def narrowed(self, query_string: str, find: Callable[[], frozenset[int]]) -> frozenset[int]:
        """The documents a narrowing query (a facet selection) matches, kept while the
        index is unchanged: the same selections recur as people refine a search. Call
        after `searcher()`."""
        cache = self._local.narrowed
        if query_string not in cache:
            if len(cache) >= NARROW_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[query_string] = find()
        return cache[query_string]

    def column(self, fieldname: str, read: Callable[[], list[Any]]) -> list[Any]:
        """A field's values by global document number, read once per searcher."""
        cache = self._local.columns
        if fieldname not in cache:
            cache[fieldname] = read()
        return cache[fieldname]


def lengths_in_memory(searcher: Searcher, schema: Schema) -> None:
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

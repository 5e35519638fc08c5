"""What the search tests ask of whichever engine is configured (SEARCH_ENGINE): another
writer holding the index's lock, and the index's documents and segments counted by the
engine itself. Tests of one engine's internals skip on the other (`whoosh_only`)."""

import unittest
from typing import Any, Protocol

from django.conf import settings
from haystack import connections

# The tag of test classes that make their own index of a named engine, whatever
# SEARCH_ENGINE says: `make test` runs them; the runs of the search tests on another engine
# (`make test-search`) leave them out, as they would only repeat themselves.
OWN_ENGINE = "own-engine"


class Writer(Protocol):
    def cancel(self) -> None: ...


def backend() -> Any:
    backend = connections["default"].get_backend()
    if not backend.setup_complete:
        backend.setup()
    return backend


def tantivy() -> bool:
    return bool(settings.SEARCH_ENGINE == "tantivy")


def xapian_engine() -> bool:
    return bool(settings.SEARCH_ENGINE == "xapian")


def whoosh_only(reason: str) -> Any:
    """Skip a test of Whoosh's internals when the engine is another."""
    return unittest.skipIf(
        settings.SEARCH_ENGINE != "whoosh",
        f"{reason}: SEARCH_ENGINE is {settings.SEARCH_ENGINE}, not whoosh",
    )


class _TantivyWriter:
    def __init__(self, index: Any):
        self.writer = index.writer(heap_size=15_000_000, num_threads=1)

    def cancel(self) -> None:
        self.writer.rollback()
        self.writer.wait_merging_threads()  # lets the lock go


class _XapianWriter:
    """The first shard's own lock, held as another machine's writer would hold it."""

    def __init__(self, shard: Any):
        self.database = shard.open_writable()

    def cancel(self) -> None:
        self.database.close()


def another_writer() -> Writer:
    """A writer holding the index's write lock, as another process's would; `cancel()`
    lets it go."""
    if tantivy():
        return _TantivyWriter(backend().opened.index())
    if xapian_engine():
        return _XapianWriter(backend().shards.shards[0])
    return backend().index.writer()


def document_count() -> int:
    if xapian_engine():
        return int(backend().document_count())
    if tantivy():
        return int(backend().opened.searcher().num_docs)
    return int(backend().searcher().doc_count())


def segment_count() -> int:
    if tantivy():
        return int(backend().opened.searcher().num_segments)
    return len(backend().searcher().reader().leaf_readers())

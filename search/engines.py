"""What Chamber asks of a search engine beyond Haystack's API: the part of the contract that
`search.indexing` drains the index queue through. Each engine's package (`search.whoosh`,
`search.tantivy`) implements it; settings choose the engine (SEARCH_ENGINE).
"""

from collections.abc import Callable, Iterable
from typing import Protocol

from django.db.models import Model
from haystack.indexes import SearchIndex


class IndexBusy(Exception):
    """Another process held the index's write lock for the whole wait: nothing was written,
    and the message says who holds it, if the engine knows."""


class WriterFailed(RuntimeError):
    """A writer ended without doing its part: what it held may be missing from the index, so
    whoever asked for the write must keep it to write again (the index queue keeps its rows)."""


class SearchUnavailable(Exception):
    """The engine cannot answer now (a shard server is down or unreachable): the page says
    so with a 503, and the next request tries again. The message names what failed."""


class Writes(Protocol):
    def write(
        self,
        index: SearchIndex | None,
        read: Callable[[], tuple[Iterable[Model], Iterable[str]]],
        *,
        expected: int = 0,
        wait: float | None = None,
    ) -> int:
        """Take the index's one write lock (waiting up to `wait` seconds, else raise
        IndexBusy), then call `read()` for the objects whose documents to add or replace
        and the identifiers of documents to delete, and write them in one durable commit.
        Returns how many documents were written or deleted. Raises WriterFailed when the
        commit may be missing some of them."""
        ...


def rebuilder(folder: str) -> str:
    """The process rebuilding the index in `folder` (`manage.py rebuild_index`), as its lock's
    holder record describes it, or "" if the lock's holder is alive and doing anything else,
    or there is none. Both engines keep that record (search.whoosh.writers)."""
    from .whoosh.writers import read_holder

    holder = read_holder(folder)
    if holder is None or "rebuild_index" not in holder.command or not holder.alive():
        return ""
    return holder.describe()

"""python manage.py rebuild_index: the whole index written again from the database.

Haystack's command clears the index, then writes it batch by batch: until it ends, searches
find nothing or part, and a rebuild killed midway leaves an index with part of the speeches.
On an engine that can replace its index in one commit (`rebuild()`: Chamber's Whoosh,
Tantivy and local Xapian engines), every document is written by one writer while the old
index goes on answering, the commit swaps the new in whole, and the index queue is drained
after it for the changes made meanwhile. Xapian's remote shards have no transactions: their
`rebuild()` replaces each document in place, then deletes what was not written. Other
engines get Haystack's command. This app comes before `haystack` in
INSTALLED_APPS, so this command is the one Django runs.
"""

import time
from collections.abc import Iterator
from typing import Any

from haystack import connections
from haystack.exceptions import SkipDocument
from haystack.management.commands import rebuild_index

from debates.words import plural
from search.indexing import drain

# Objects read from the database per query.
READ_BATCH = 5000


class Command(rebuild_index.Command):  # type: ignore[misc]  # Haystack is untyped
    help = (
        "Write the search index again from the database. Chamber's Whoosh engine replaces the"
        " index in one commit, searches going on meanwhile; other engines clear it first."
    )

    def handle(self, **options: Any) -> None:
        aliases = options.get("using") or list(connections.connections_info)
        whole = [a for a in aliases if hasattr(connections[a].get_backend(), "rebuild")]
        cleared = [a for a in aliases if a not in whole]
        if cleared:
            super().handle(**{**options, "using": cleared})
        verbosity = int(options.get("verbosity", 1))
        for alias in whole:
            batch = options.get("batchsize") or READ_BATCH
            started = time.monotonic()
            backend = connections[alias].get_backend()
            written = backend.rebuild(documents(alias, batch))
            seconds = time.monotonic() - started
            how = (
                "in one commit"
                if getattr(backend, "rebuilds_in_one_commit", True)
                else "in place, shard by shard (Xapian's remote shards have no transactions)"
            )
            if verbosity:
                self.stdout.write(
                    f"{alias}: indexed {plural(written, 'document')} in {seconds:.1f} s"
                    f" ({written / max(seconds, 1e-9):,.0f} a second), {how}."
                )
            if alias == "default":  # the index queue is the default connection's
                drained = drain(using=alias)
                if verbosity and (drained.written or drained.waiting):
                    self.stdout.write(drained.describe())


def documents(alias: str, batch: int) -> Iterator[dict[str, Any]]:
    """Every document of every index of the connection, as `full_prepare` gives it, read in
    batches by primary key (no OFFSET, so the last batch costs what the first did; memory
    stays flat). An index that can prepare plain rows (`prepared_rows`: SpeechIndex) does,
    without model instances."""
    for index in connections[alias].get_unified_index().get_indexes().values():
        if hasattr(index, "prepared_rows"):
            yield from index.prepared_rows(using=alias, batch=batch)
            continue
        queryset = index.index_queryset(using=alias).order_by("pk")
        last = None
        while True:
            page = queryset if last is None else queryset.filter(pk__gt=last)
            objects = list(page[:batch])
            for obj in objects:
                try:
                    prepared = index.full_prepare(obj)
                except SkipDocument:
                    continue
                yield prepared
            if len(objects) < batch:
                break
            last = objects[-1].pk

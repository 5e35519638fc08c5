"""The one writer of an index folder, across processes.

Tantivy's writer takes the folder's lock (`.tantivy-writer.lock`, an `flock` the kernel
releases when its holder dies) for as long as it lives: a second writer, in this process
or another, fails at once. Here a writer waits for the lock up to a bound, then raises
IndexBusy naming the holder, which records its process id, command and start beside the
lock (`search.whoosh.writers`' record, shared by both engines).

A write is one commit, made durable by Tantivy (files synced, then `meta.json` replaced
atomically): a process killed before it leaves the index as it was, and the index
queue's rows for another try. Tantivy merges segments in background threads after a
commit; the writer waits for them before it lets the lock go (merging small segments
takes milliseconds; dropping a writer abandons its merges, and segments would pile up).
"""

import contextlib
import time
from collections.abc import Iterator

import tantivy

from ..engines import IndexBusy
from ..whoosh.writers import read_holder, record_holder, release_holder

LOCK_FILE = ".tantivy-writer.lock"
POLL = 0.05  # seconds between tries for a held lock


@contextlib.contextmanager
def writer(
    index: tantivy.Index, folder: str, *, wait: float, heap_size: int, threads: int
) -> Iterator[tantivy.IndexWriter]:
    """A writer holding the lock: what is not committed inside is rolled back. The lock
    is released, merges done, on the way out."""
    opened = _open(index, folder, wait=wait, heap_size=heap_size, threads=threads)
    try:
        yield opened
    except BaseException:
        with contextlib.suppress(Exception):  # the error that brought us here matters
            opened.rollback()
        raise
    finally:
        try:
            opened.wait_merging_threads()  # the merges a commit started; then the lock goes
        finally:
            release_holder(folder)


def _open(
    index: tantivy.Index, folder: str, *, wait: float, heap_size: int, threads: int
) -> tantivy.IndexWriter:
    deadline = time.monotonic() + wait
    while True:
        try:
            opened = index.writer(heap_size=heap_size, num_threads=threads)
        except ValueError as error:
            if "LockBusy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                holder = read_holder(folder)
                who = holder.describe() if holder and holder.alive() else "another writer has it"
                raise IndexBusy(
                    f"The search index at {folder} is locked: {who}. Waited {wait:.0f} s;"
                    " nothing was written to it."
                ) from None
            time.sleep(POLL)
            continue
        record_holder(folder)
        return opened

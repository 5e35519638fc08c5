"""The one writer of an index folder, across processes.

Tantivy's writer takes the folder's lock (`.tantivy-writer.lock`, an `flock` the kernel
releases when its holder dies) for as long as it lives: a second writer, in this process
or another, fails at once. Here a writer waits for the lock up to a bound, then raises
IndexBusy naming the holder, which records its process id, command and start beside the
lock (`search.whoosh.writers`' record, shared by both engines).

A write is one commit, made durable by Tantivy (files synced, then `meta.json` replaced
atomically): a process killed before it leaves the index as it was, and the index
queue's rows for another try. Tantivy merges segments in background threads after a
commit, and a writer must be waited for before it lets the lock go (dropping it abandons
its merges, and segments would pile up). A small write waits at once (merging small
segments takes milliseconds). The writer of a bulk write is kept (`Session`) for the next
bulk write of the run (the batches of `rebuild_index`, of a long load), so that merges go
on while the next batch is read, and waited for once: KEEP seconds after the run's last
write, at the next small write, or when the process exits.
"""

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import tantivy

from ..engines import IndexBusy
from ..whoosh.writers import read_holder, record_holder, release_holder

log = logging.getLogger(__name__)

LOCK_FILE = ".tantivy-writer.lock"
POLL = 0.05  # seconds between tries for a held lock
# Seconds a bulk write's writer (and the lock) is kept for the run's next batch.
KEEP = 2.0


class Session:
    """The writers of one index folder in this process: at most one kept between bulk
    writes."""

    def __init__(self, folder: str):
        self.folder = folder
        self._kept: tantivy.IndexWriter | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.RLock()
        atexit.register(self.release)

    @contextlib.contextmanager
    def writer(
        self,
        index: tantivy.Index,
        *,
        wait: float,
        heap_size: int,
        threads: int,
        keep: bool = False,
    ) -> Iterator[tantivy.IndexWriter]:
        """A writer holding the lock: what is not committed inside is rolled back. Unless
        told to `keep` it, merges are waited for and the lock released on the way out."""
        with self._lock:
            self._stop_timer()
            writer, self._kept = self._kept, None
            if writer is not None and not keep:
                self._finish(writer)
                writer = None
            if writer is None:
                writer = _open(index, self.folder, wait=wait, heap_size=heap_size, threads=threads)
            try:
                yield writer
            except BaseException:
                with contextlib.suppress(Exception):  # the error that brought us here matters
                    writer.rollback()
                self._finish(writer)
                raise
            if not keep:
                self._finish(writer)
                return
            self._kept = writer
            self._timer = threading.Timer(KEEP, self.release)
            self._timer.daemon = True
            self._timer.start()

    def release(self) -> None:
        """Wait for the kept writer's merges and let the lock go."""
        with self._lock:
            self._stop_timer()
            writer, self._kept = self._kept, None
            if writer is not None:
                self._finish(writer)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _finish(self, writer: tantivy.IndexWriter) -> None:
        """Wait for the merges the writer's commits started, then let the lock go. What it
        committed is in the index already: a merge that fails only leaves more segments."""
        try:
            writer.wait_merging_threads()
        except Exception as error:
            log.warning("Merging the search index at %s failed: %s", self.folder, error)
        finally:
            release_holder(self.folder)


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

"""The index folder opened: the Tantivy index (created when missing), its analysers
registered, and a reader that sees every commit as soon as it is made.

Tantivy's reader reloads on its own after a commit, but a moment later and from a file
watcher. Here it reloads by hand (`reload_policy="manual"`) whenever `meta.json`, which
every commit replaces, has changed since the last look: a search made after a commit,
in this process or another, sees it.
"""

import os
import shutil
import threading

import tantivy
from haystack.exceptions import SearchBackendError

from . import analysis
from .schema import Layout

META = "meta.json"


# What starting afresh leaves: Tantivy's lock files and the record of the writer's holder.
KEPT = (".tantivy-", "WRITELOCK.holder")


class Opened:
    """One index folder, opened once per backend."""

    def __init__(self, path: str, layout: Layout):
        self.path, self.layout = path, layout
        self._index: tantivy.Index | None = None
        self._seen: tuple[int, ...] = ()
        self._lock = threading.Lock()

    def index(self) -> tantivy.Index:
        if self._index is None:
            self._index = self._open()
        return self._index

    def _open(self) -> tantivy.Index:
        os.makedirs(self.path, exist_ok=True)
        if not os.access(self.path, os.W_OK):
            raise OSError(f"The Tantivy index folder {self.path} is not writable.")
        try:
            index = tantivy.Index(self.layout.schema, path=self.path, reuse=True)
        except ValueError as error:
            raise SearchBackendError(
                f"The Tantivy index at {self.path} cannot be opened with this site's fields"
                f" ({error}); run `manage.py rebuild_index`."
            ) from error
        analysis.register(index)
        index.config_reader(reload_policy="manual")
        return index

    def start_afresh(self) -> None:
        """Remove the index folder's contents (an index of other fields cannot be opened to
        be cleared) and create an empty index."""
        self._index = None
        if os.path.isdir(self.path):
            for name in os.listdir(self.path):
                if name.startswith(KEPT):  # locks another process may hold, and their record
                    continue
                target = os.path.join(self.path, name)
                if os.path.isdir(target):
                    shutil.rmtree(target)
                else:
                    os.remove(target)
        self._seen = ()
        self.index()

    def version(self) -> tuple[int, ...]:
        """What identifies the last commit, across processes."""
        try:
            stat = os.stat(os.path.join(self.path, META))
        except FileNotFoundError:
            return ()
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the latest commit."""
        index = self.index()
        version = self.version()
        if version != self._seen:
            with self._lock:
                index.reload()
                self._seen = version
        return index.searcher()

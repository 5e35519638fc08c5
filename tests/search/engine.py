"""What the search tests ask of whichever engine is configured (SEARCH_ENGINE): another
writer holding the index's lock, and the index's documents and segments counted by the
engine itself. Tests of one engine's internals skip on the other (`whoosh_only`)."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Protocol

from django.conf import settings
from django.test import SimpleTestCase
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


class SwitchedSite:
    """A site of its own (a SQLite file and an index folder in a temporary folder) run by
    `manage.py` subprocesses with SEARCH_ENGINE=`engine` (no XAPIAN_SHARDS: a local index):
    what switching engines by configuration does."""

    def __init__(self, test: SimpleTestCase, engine: str):
        self.test = test
        self.folder = tempfile.mkdtemp(prefix="chamber-switch-")
        test.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        self.index = f"{self.folder}/index"
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "XAPIAN_SHARDS"},
            "DATABASE_URL": f"sqlite:///{self.folder}/chamber.sqlite3",
            "SEARCH_ENGINE": engine,
            "SEARCH_PATH": self.index,
        }

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.test.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def assert_finds_what_the_database_holds(self, backend_name: str) -> None:
        """The configured backend is `backend_name`, a word finds the speeches that hold it,
        and the index holds every speech."""
        found = self.manage(
            "shell",
            "--no-imports",
            "-c",
            "from haystack import connections; from haystack.query import SearchQuerySet;"
            "from debates.models import Speech;"
            "print(type(connections['default'].get_backend()).__name__);"
            "print(SearchQuerySet().auto_query('Palestinians').count(),"
            " Speech.objects.filter(text__icontains='Palestinian').count());"
            "print(SearchQuerySet().all().count(), Speech.objects.count())",
        ).split("\n")
        self.test.assertEqual(found[0], backend_name)
        searched, in_database = found[1].split()
        self.test.assertGreater(int(searched), 0)
        self.test.assertEqual(searched, in_database)
        indexed, speeches = found[2].split()
        self.test.assertEqual(indexed, speeches)

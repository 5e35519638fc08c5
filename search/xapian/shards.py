"""The shards of a Xapian index: where they are, one database that searches them all, and
writers that change them together.

A shard is a `host:port` served by `xapian-tcpsrv --writable` (XAPIAN_SHARDS; a writable
server answers searches too), or a local database folder. With no shards configured the
index is one local database in the index folder. Searches open every shard and combine them
(`xapian.Database.add_database`): Xapian merges the rankings, and facets and counts come
from every shard. Each process keeps its connections and reopens them before each search
(so a commit is seen at once); a shard that cannot be reached raises SearchUnavailable, and
the next search connects again.

Writes: each document goes to one shard, by a stable rule (`Route`: a debate's speeches
share a date, so a debate lives on one shard). A replaced document is deleted from every
other shard, so a document that moved is never found twice; a deleted one is deleted from
every shard. A write takes this machine's lock first (an `flock` on the index folder, with
the holder's record, `search.whoosh.writers`), then each shard's own lock in order, waiting
for both up to a bound (else IndexBusy); its changes are one transaction per shard,
committed together at the end; an error cancels them all. Shards commit one after the
other: a process killed between two commits leaves some shards written, and the index
queue, which keeps its rows until the write returns, writes them all again (a write
replaces, so twice is the same as once).
"""

import contextlib
import datetime
import fcntl
import os
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import xapian

from ..engines import IndexBusy, SearchUnavailable, WriterFailed
from ..whoosh.writers import read_holder, record_holder, release_holder
from .schema import wall_time

LOCK_FILE = ".xapian-writer.lock"
LOCAL_DATABASE = "database"  # the one database in the index folder when no shards are set
POLL = 0.05  # seconds between tries for a held lock
CONNECT_TIMEOUT_MS = 2_000
TIMEOUT_MS = 30_000  # a search or write that takes longer than this has failed


@dataclass(frozen=True)
class Shard:
    """One shard: a remote server (host, port) or a local folder."""

    address: str  # "host:port", or a folder

    @property
    def remote(self) -> tuple[str, int] | None:
        host, colon, port = self.address.rpartition(":")
        if colon and host and port.isdigit() and os.sep not in self.address:
            return host, int(port)
        return None

    def describe(self) -> str:
        return f"shard {self.address}" if self.remote else f"the database at {self.address}"

    def open(self) -> xapian.Database:
        remote = self.remote
        if remote:
            return xapian.remote_open(remote[0], remote[1], TIMEOUT_MS, CONNECT_TIMEOUT_MS)
        self._create()
        return xapian.Database(self.address)

    def open_writable(self) -> xapian.WritableDatabase:
        remote = self.remote
        if remote:
            return xapian.remote_open_writable(remote[0], remote[1], TIMEOUT_MS, CONNECT_TIMEOUT_MS)
        self._create()
        return xapian.WritableDatabase(self.address, xapian.DB_OPEN)

    def _create(self) -> None:
        """An empty local database, made whole or not at all: made in a folder of its own,
        then renamed into place (a process killed while Xapian wrote a new database's
        files left a folder that could not be opened again)."""
        if os.path.exists(self.address):
            return
        parent = os.path.dirname(os.path.abspath(self.address))
        os.makedirs(parent, exist_ok=True)
        making = tempfile.mkdtemp(prefix=".new-database-", dir=parent)
        try:
            xapian.WritableDatabase(making, xapian.DB_CREATE_OR_OPEN).close()
            os.rename(making, self.address)
        except OSError:
            if not os.path.exists(self.address):  # not another process's, made meanwhile
                raise
        finally:
            shutil.rmtree(making, ignore_errors=True)


def parse(addresses: list[str] | None, folder: str) -> list[Shard]:
    if not addresses:
        return [Shard(os.path.join(folder, LOCAL_DATABASE))]
    return [Shard(address) for address in addresses]


@dataclass(frozen=True)
class Route:
    """Which shard a document goes to: by its `field` (a date: the day's number, so that a
    sitting day's debates share a shard and days alternate between shards), or by its
    identifier when it has none. Stable: the same document, the same shard, as long as the
    number of shards stays the same (adding one means `rebuild_index`)."""

    count: int
    field: str = "date"

    def shard_of(self, prepared: dict[str, Any], identifier: str) -> int:
        if self.count == 1:
            return 0
        value = prepared.get(self.field)
        if isinstance(value, datetime.date):
            return wall_time(value).toordinal() % self.count
        return zlib.crc32(identifier.encode()) % self.count


class Shards:
    """A process's connections to the shards of one index."""

    def __init__(self, shards: list[Shard], folder: str, *, field: str = "date"):
        self.shards = shards
        self.folder = folder
        self.route = Route(len(shards), field)
        self._local = threading.local()

    def describe(self) -> str:
        return ", ".join(shard.address for shard in self.shards)

    # -- Reading ---------------------------------------------------------------------

    def reader(self) -> xapian.Database:
        """One database over every shard, as of their last commits."""
        kept = getattr(self._local, "reader", None)
        if kept is not None and kept[0] == os.getpid():  # not one inherited through fork
            try:
                kept[1].reopen()
                return kept[1]
            except (xapian.NetworkError, xapian.DatabaseError):
                self.forget()  # a server restarted: connect again
        combined = xapian.Database()
        for shard in self.shards:
            try:
                combined.add_database(shard.open())
            except xapian.Error as error:
                raise SearchUnavailable(
                    f"The search index cannot be read: {shard.describe()} does not answer"
                    f" ({error.get_msg()})."
                ) from error
        self._local.reader = (os.getpid(), combined)
        return combined

    def forget(self) -> None:
        kept = getattr(self._local, "reader", None)
        self._local.reader = None
        if kept is not None and kept[0] == os.getpid():
            with contextlib.suppress(xapian.Error):
                kept[1].close()

    def unavailable(self, error: xapian.Error) -> SearchUnavailable:
        """What a search that failed mid-way says (and the connections are dropped, so that
        the next search connects again)."""
        self.forget()
        return SearchUnavailable(
            f"The search index ({self.describe()}) did not answer: {error.get_msg()}"
        )

    # -- Writing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def writers(self, wait: float) -> Iterator[list[xapian.WritableDatabase]]:
        """Every shard open for writing, each in a transaction: committed together when the
        block ends, cancelled if it raises."""
        deadline = time.monotonic() + wait
        os.makedirs(self.folder, exist_ok=True)
        with self._machine_lock(deadline, wait):
            opened: list[xapian.WritableDatabase] = []
            try:
                for shard in self.shards:
                    database = self._open_writable(shard, deadline, wait)
                    opened.append(database)
                    database.begin_transaction()
                yield opened
                for shard, database in zip(self.shards, opened, strict=True):
                    try:
                        database.commit_transaction()
                    except xapian.Error as error:
                        raise WriterFailed(
                            f"The search index could not commit to {shard.describe()}:"
                            f" {error.get_msg()}"
                        ) from error
            except BaseException:
                for database in opened:
                    with contextlib.suppress(xapian.Error):
                        database.cancel_transaction()
                raise
            finally:
                for database in opened:
                    with contextlib.suppress(xapian.Error):
                        database.close()

    @contextlib.contextmanager
    def _machine_lock(self, deadline: float, wait: float) -> Iterator[None]:
        """This machine's writers, one at a time (the holder recorded for `rebuilder`)."""
        handle = open(os.path.join(self.folder, LOCK_FILE), "a+")  # noqa: SIM115
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = read_holder(self.folder)
                        who = (
                            holder.describe()
                            if holder and holder.alive()
                            else "another writer has it"
                        )
                        raise IndexBusy(
                            f"The search index at {self.folder} is locked: {who}. Waited"
                            f" {wait:.0f} s; nothing was written to it."
                        ) from None
                    time.sleep(POLL)
            record_holder(self.folder)
            try:
                yield
            finally:
                release_holder(self.folder)
        finally:
            handle.close()  # lets the flock go

    def _open_writable(self, shard: Shard, deadline: float, wait: float) -> xapian.WritableDatabase:
        while True:
            try:
                return shard.open_writable()
            except xapian.DatabaseLockError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"The search index's {shard.describe()} is locked by another writer"
                        f" (another machine's?). Waited {wait:.0f} s; nothing was written."
                    ) from None
                time.sleep(POLL)
            except xapian.Error as error:
                raise WriterFailed(
                    f"The search index's {shard.describe()} cannot be written: {error.get_msg()}"
                ) from error

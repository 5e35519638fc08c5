"""Whoosh writers that a killed process cannot leave behind.

Whoosh's index has one write lock, an `flock` on the file WRITELOCK, which the kernel
releases when the process holding it dies. Two things kept it held after a `kill -9`:

- A bulk write forks writer processes (`MpWriter`). They inherited the lock's file
  descriptor, so the lock lived as long as they did, and they outlived their parent,
  waiting for work that never came. Here each child closes its copy of the descriptor and
  asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`); cancelling the
  writer ends them too (Whoosh's own `cancel` left them waiting, and the parent then hung
  at exit joining them).
- Nothing said who held the lock. The holder now writes its process id, command line and
  start time beside it (WRITELOCK.holder): a writer that waits names the holder and how
  long it has held the lock, and gives up after a bounded wait. If the recorded holder is
  gone but the lock is still held, the children it recorded are what holds it (writers
  from before this fix, or a kernel without `prctl`): they are killed, and only they.
"""

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing import Process
from typing import Any

from whoosh.index import Index, LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexWriter, SegmentWriter

from ..engines import IndexBusy, WriterFailed

HOLDER_FILE = "WRITELOCK.holder"
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Holder:
    """The process that holds (or held) the write lock, as it recorded itself."""

    pid: int
    started: float  # the process's start, from /proc: a reused pid does not match
    command: str
    since: float  # when it took the lock
    children: tuple[tuple[int, float], ...] = ()

    def alive(self) -> bool:
        return _start_time(self.pid) == self.started

    def describe(self) -> str:
        held = time.time() - self.since
        return f"process {self.pid} ({self.command}) has held it for {held:.0f} s"


def open_writer(
    index: Index, folder: str, *, wait: float, procs: int = 1, **options: Any
) -> IndexWriter:
    """A writer with the index's lock, waiting up to `wait` seconds for another holder.
    Raises IndexBusy naming the holder when the wait runs out."""
    deadline = time.monotonic() + wait
    checked_stale = False
    while True:
        try:
            if procs > 1:
                writer: IndexWriter = _MortalMpWriter(index, folder, procs=procs, **options)
            else:
                writer = SegmentWriter(index, **options)
        except LockError:
            holder = read_holder(folder)
            if holder is not None and not holder.alive() and not checked_stale:
                checked_stale = True  # once per wait: the children it names are all it can be
                end_orphans(holder)
                continue
            if time.monotonic() >= deadline:
                who = holder.describe() if holder and holder.alive() else "another writer has it"
                raise IndexBusy(
                    f"The search index at {folder} is locked: {who}. Waited {wait:.0f} s;"
                    " nothing was written to it."
                ) from None
            time.sleep(0.05)
            continue
        record_holder(folder)
        return writer


def record_holder(folder: str, children: tuple[tuple[int, float], ...] = ()) -> None:
    """Say who holds the lock (best effort: a full disk must not fail the write)."""
    with contextlib.suppress(OSError):
        _write_holder(folder, children)


def release_holder(folder: str) -> None:
    """Forget the record, once its writer has committed or cancelled: a record left behind
    would name a process that no longer holds the lock."""
    holder = read_holder(folder)
    if holder is not None and holder.pid == os.getpid():
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, HOLDER_FILE))


def _write_holder(folder: str, children: tuple[tuple[int, float], ...]) -> None:
    pid = os.getpid()
    holder = {
        "pid": pid,
        "started": _start_time(pid),
        "command": " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:200],
        "since": time.time(),
        "children": children,
    }
    path = os.path.join(folder, HOLDER_FILE)
    with open(f"{path}.{pid}", "w", encoding="utf-8") as out:
        json.dump(holder, out)
    os.replace(f"{path}.{pid}", path)


def read_holder(folder: str) -> Holder | None:
    try:
        with open(os.path.join(folder, HOLDER_FILE), encoding="utf-8") as found:
            data = json.load(found)
        return Holder(
            pid=int(data["pid"]),
            started=float(data["started"]),
            command=str(data["command"]),
            since=float(data["since"]),
            children=tuple((int(pid), float(started)) for pid, started in data["children"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def end_orphans(holder: Holder) -> list[int]:
    """Kill the writer processes a dead holder left running (matched by pid and start
    time, so a reused pid is never hit). Returns the pids killed."""
    killed = []
    for pid, started in holder.children:
        if pid != os.getpid() and _start_time(pid) == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # gone already, or not ours to kill: the wait names the lock
                continue
            killed.append(pid)
    deadline = time.monotonic() + 5
    while any(_start_time(pid) is not None for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.02)
    return killed


def _start_time(pid: int) -> float | None:
    """The process's start time in clock ticks since boot, or None if there is no such
    (living) process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in {"Z", "X"}:  # a zombie holds nothing
        return None
    return float(fields[19])


class _MortalTask(SubWriterTask):  # type: ignore[misc]  # Whoosh is untyped
    # Forked whatever the default start method (Python 3.14 makes it forkserver on Linux,
    # where the parent would be the server and the lock's descriptor not inherited).
    _start_method = "fork"

    @staticmethod
    def _Popen(process: Process) -> Any:
        from multiprocessing.popen_fork import Popen

        return Popen(process)

    def __init__(self, *args: Any, lock_fd: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock_fd = lock_fd
        self.parent = os.getpid()

    def run(self) -> None:
        _die_with_parent(self.parent)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # the parent's lock, not ours: it goes when the parent does
        super().run()


class _MortalMpWriter(MpWriter):  # type: ignore[misc]  # Whoosh is untyped
    def __init__(self, index: Index, folder: str, **options: Any) -> None:
        super().__init__(index, **options)
        self.folder = folder

    def _new_task(self) -> Process:
        lock_fd = getattr(self.writelock, "fd", None)
        task = _MortalTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
            lock_fd=lock_fd,
        )
        self.tasks.append(task)
        task.start()
        children = tuple(
            (t.pid, started) for t in self.tasks if (started := _start_time(t.pid)) is not None
        )
        record_holder(self.folder, children)
        return task

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        # Whoosh commits even when a task sent no result (a child killed, or failed).
        super()._commit(mergetype, optimize, merge)
        failed = [task.pid for task in self.tasks if task.exitcode != 0]
        if failed:
            raise WriterFailed(
                f"Writer processes {failed} of the search index ended without finishing:"
                " what they held may be missing from the index; it is written again."
            )

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                task.kill()
                task.join()
        finally:
            SegmentWriter.cancel(self)


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the holder file still names us
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

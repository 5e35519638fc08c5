"""Keeping the search index in step with the database, through a durable queue.

1. Recording. A change that alters what search must show records which speeches the index
   owes (`IndexTask` rows) in the same transaction as the change, so a rolled-back change
   leaves no row and a committed one cannot lose its row:
   - the writers in `debates` send `debates.signals.speeches_changed` with the ids of the
     speeches they wrote in bulk (loads, replacements, member merges, attributions);
   - Django's model signals catch single saves and deletes (a speech, or a debate or member
     whose speeches' documents show it, edited in the admin, say).
2. Delivering. Once the transaction commits, `drain()` writes the queue to the index, up
   to CHAMBER_INDEX_BATCH rows per index commit. Under the index's write lock it reads the
   rows and the speeches they name as the database has them now, indexes those that exist
   and removes those that don't, commits, and only then deletes the rows it covered. Run
   twice, or again after a crash anywhere in it, it writes the same documents again: harmless.
3. Batching. Within `debates.signals.many_writes()` (a command loading a folder of files,
   one transaction per file), commits drain only once a batch has piled up, and the end
   drains the rest.

A crash leaves rows behind, never a gap: the next drain of any kind (after any later
write), the end of the next load, or `manage.py index_queue` delivers them.
`manage.py check_index` compares the index with the database (search.audit).
"""

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import cast

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db import router, transaction
from django.db.models import Max, Min, QuerySet
from haystack import connections
from haystack.utils import get_identifier

from debates import signals
from debates.models import Debate, Member, Speech
from debates.words import plural

from .engines import IndexBusy, WriterFailed
from .merges import merge_backend
from .models import IndexTask

log = logging.getLogger(__name__)

# Seconds a drain after a commit waits for another writer's lock before leaving its rows
# for that writer (which drains the whole queue before it lets go) or the next drain: a
# web request never waits long. The end of a bulk load and `index_queue` wait as long as
# the backend's LOCK_TIMEOUT.
WAIT_AFTER_COMMIT = 5.0


@dataclass
class Drained:
    written: int = 0  # documents indexed or removed
    commits: int = 0
    waiting: int = 0  # rows left behind
    busy: str = ""  # why, when the index stayed locked
    merged: str = ""  # what merging segments at the end of a run did

    def add(self, other: "Drained") -> None:
        self.written += other.written
        self.commits += other.commits
        self.waiting, self.busy = other.waiting, other.busy

    def describe(self) -> str:
        done = f"{plural(self.written, 'document')} written in {plural(self.commits, 'commit')}"
        if not self.waiting:
            merged = f" Then {self.merged}" if self.merged else ""
            return f"Search index: {done}; the queue is empty.{merged}"
        return (
            f"Search index: {done}; {plural(self.waiting, 'speech')} still queued. {self.busy}"
            " They will be indexed by the next write, or run `manage.py index_queue`."
        )


class _Local(threading.local):
    many_writes: int = 0  # depth of debates.signals.many_writes() blocks in this thread
    recorded: int = 0  # enqueue() calls so far in this thread
    covered: int = 0  # of those, how many a drain started after
    highest: int = 0  # the highest queue row id recorded since this thread's last drain
    run: "Drained | None" = None  # what the drains of the current many_writes() run did


_local = _Local()


def enqueue(speech_ids: Iterable[int], *, using: str | None = None, deliver: bool = True) -> None:
    """Record that the index owes these speeches, in the current transaction; unless told
    not to `deliver`, drain once it commits (at once outside a transaction)."""
    rows = [IndexTask(speech_id=speech_id) for speech_id in set(speech_ids)]
    if not rows:
        return
    using = using or router.db_for_write(IndexTask)
    created = IndexTask.objects.using(using).bulk_create(rows, batch_size=500)
    if not deliver:
        return
    ids = [row.pk for row in created if row.pk is not None]  # None where no RETURNING
    highest = max(ids) if ids else IndexTask.objects.using(using).aggregate(Max("id"))["id__max"]
    _local.highest = max(_local.highest, highest or 0)
    _local.recorded += 1
    transaction.on_commit(partial(_drain_after_commit, _local.recorded), using, robust=True)


def _drain_after_commit(ticket: int) -> None:
    """Drain what this thread has recorded and what was queued before it, unless a drain
    (or the decision to wait) has come since this change was recorded: deleting a debate
    records each of its speeches, and the first callback covers them all. Rows that others
    queue later are theirs to drain: a web request is never kept draining a long load."""
    if _local.covered >= ticket:
        return
    _local.covered, up_to, _local.highest = _local.recorded, _local.highest, 0
    if _local.many_writes and IndexTask.objects.count() < batch_size():
        return  # the run goes on: wait for a full batch, or its end
    rebuilder = _rebuilder()
    if rebuilder:  # it holds the lock until it ends, then drains the queue: no use waiting
        log.warning("Search index: rebuilt by %s; this change is queued for its end.", rebuilder)
        return
    drained = drain(wait=WAIT_AFTER_COMMIT, up_to=up_to)
    if _local.run is not None:
        _local.run.add(drained)
    elif drained.waiting:
        log.warning("%s", drained.describe())


def _rebuilder(using: str = "default") -> str:
    """Who is rebuilding the index now, if a `rebuild_index` holds its lock ("" if none)."""
    rebuilding = getattr(connections[using].get_backend(), "rebuilding", None)
    return str(rebuilding() or "") if rebuilding is not None else ""


def batch_size() -> int:
    """Queue rows per index commit (CHAMBER_INDEX_BATCH): big enough that a bulk load commits
    the index rarely (each commit adds a segment), small enough for one `id IN (...)`."""
    return int(getattr(settings, "CHAMBER_INDEX_BATCH", 10_000))


def drain(
    *,
    using: str = "default",
    wait: float | None = None,
    batch: int = 0,
    up_to: int | None = None,
) -> Drained:
    """Write the queue (its rows up to id `up_to`, if given) to the index, a batch per
    commit, until it is empty, or the index stays locked for `wait` seconds, or a writer
    fails: then the rest waits in the queue."""
    batch = batch or batch_size()
    backend = connections[using].get_backend()
    index = connections[using].get_unified_index().get_index(Speech)
    database = router.db_for_write(IndexTask)
    everything = IndexTask.objects.using(database)
    queue = everything if up_to is None else everything.filter(id__lte=up_to)
    drained = Drained()
    _local.covered = _local.recorded
    while expected := queue.order_by()[:batch].count():
        taken = _Batch(queue, index.index_queryset(using=using), batch)
        try:
            if hasattr(backend, "write"):  # Chamber's engines (search.engines): read under the lock
                drained.written += backend.write(index, taken.read, expected=expected, wait=wait)
            else:  # another Haystack backend: its own update and remove
                speeches, removed = taken.read()
                for identifier_ in removed:
                    backend.remove(identifier_)
                backend.update(index, speeches)
                drained.written += len(speeches) + len(removed)
        except (IndexBusy, WriterFailed) as error:
            drained.busy = str(error)
            break
        drained.commits += 1
        for start in range(0, len(taken.rows), 1000):  # only now: the index has them
            queue.filter(id__in=taken.rows[start : start + 1000]).delete()
    drained.waiting = everything.count()
    return drained


class _Batch:
    """The rows one index commit covers, read when the backend holds the lock."""

    def __init__(self, queue: QuerySet[IndexTask], speeches: QuerySet[Speech], size: int):
        self.queue, self.speeches, self.size = queue, speeches, size
        self.rows: list[int] = []

    def read(self) -> tuple[list[Speech], list[str]]:
        rows = list(self.queue.order_by("id").values_list("id", "speech_id")[: self.size])
        self.rows = [row_id for row_id, _ in rows]
        wanted = sorted({speech_id for _, speech_id in rows})
        found: list[Speech] = []
        for start in range(0, len(wanted), 5000):  # within any database's parameter limit
            found += self.speeches.filter(id__in=wanted[start : start + 5000])
        gone = set(wanted) - {speech.id for speech in found}
        return found, [identifier(speech_id) for speech_id in sorted(gone)]


def queue_status(using: str | None = None) -> tuple[int, datetime | None]:
    """How many rows wait in the queue, and when the oldest was recorded."""
    queue = IndexTask.objects.using(using or router.db_for_read(IndexTask))
    oldest = queue.aggregate(oldest=Min("queued_at"))["oldest"]
    return (queue.count() if oldest else 0), oldest


def identifier(speech_id: int) -> str:
    return cast(str, get_identifier(Speech(id=speech_id)))  # Haystack is untyped


# -- Signal receivers (connected in search.apps) -----------------------------------------


def speeches_changed(sender: object, speech_ids: Iterable[int], **kwargs: object) -> None:
    enqueue(speech_ids)


def speech_saved_or_deleted(
    sender: type[Speech], instance: Speech, raw: bool = False, **kwargs: object
) -> None:
    if not raw:
        enqueue([instance.pk])


def debate_saved(
    sender: type[Debate], instance: Debate, created: bool, raw: bool = False, **kwargs: object
) -> None:
    # A new debate has no speeches yet: whoever adds them records them.
    if not created and not raw:
        enqueue(Speech.objects.filter(debate_id=instance.pk).values_list("id", flat=True))


def member_deleted(sender: type[Member], instance: Member, **kwargs: object) -> None:
    # Its speeches lose their member by a bulk UPDATE (SET_NULL), which sends no signal.
    enqueue(Speech.objects.filter(member_id=instance.pk).values_list("id", flat=True))


def member_saved(
    sender: type[Member], instance: Member, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if not created and not raw:
        enqueue(Speech.objects.filter(member_id=instance.pk).values_list("id", flat=True))


def many_writes_started(sender: object, **kwargs: object) -> None:
    _local.many_writes += 1
    if _local.many_writes == 1:
        _local.run = Drained()


def many_writes_finished(sender: object, **kwargs: object) -> signals.Notice | None:
    _local.many_writes = max(0, _local.many_writes - 1)
    if _local.many_writes:
        return None  # an outer run goes on
    run, _local.run = _local.run or Drained(), None
    run.add(drain())
    if not run.written and not run.waiting:
        return None
    if not run.waiting:  # the end of a command's run: nobody waits for a merge here
        try:
            run.merged = merge_backend(connections["default"].get_backend())
        except IndexBusy as error:  # another writer: its own run ends with a merge
            log.info("No merge after the load: %s", error)
    return signals.Notice(run.describe(), warning=bool(run.waiting))


def status_requested(sender: object, **kwargs: object) -> signals.Notice:
    waiting, oldest = queue_status()
    if not waiting or oldest is None:
        return signals.Notice("Up to date: nothing waiting to be indexed.", title="Search index")
    return signals.Notice(
        f"{plural(waiting, 'speech')} waiting to be indexed (the oldest queued"
        f" {naturaltime(oldest)}). They are in the database and will be searchable shortly;"
        " if this stays, run `manage.py index_queue`.",
        warning=True,
        title="Search index",
    )


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save, pre_delete

    signals.speeches_changed.connect(speeches_changed, dispatch_uid="search-speeches-changed")
    signals.many_writes_started.connect(many_writes_started, dispatch_uid="search-many-writes")
    signals.many_writes_finished.connect(many_writes_finished, dispatch_uid="search-many-writes")
    signals.status_requested.connect(status_requested, dispatch_uid="search-status")
    post_save.connect(speech_saved_or_deleted, sender=Speech, dispatch_uid="search-speech-saved")
    post_delete.connect(
        speech_saved_or_deleted, sender=Speech, dispatch_uid="search-speech-deleted"
    )
    post_save.connect(debate_saved, sender=Debate, dispatch_uid="search-debate-saved")
    post_save.connect(member_saved, sender=Member, dispatch_uid="search-member-saved")
    pre_delete.connect(member_deleted, sender=Member, dispatch_uid="search-member-deleted")

"""Keeping the search index in step with the database.

Writers mark what changed; the index is written once the transaction commits, so a
rolled-back write leaves no trace in the index:

- `debates.ingest.loading` calls `schedule_sync(debate_ids=...)` for the debates it wrote (bulk
  inserts send no signals, and one call indexes a whole transcript in one commit);
- deleting speeches (directly, or by deleting or replacing their debate) and editing a
  speech, a debate or a member (in the admin, say) are caught by the signals connected in
  `SearchConfig.ready`.

What is pending is kept per thread, as a transaction is. Removals are checked against the
database when flushed, so a speech whose deletion was rolled back stays in the index.
`manage.py rebuild_index` rebuilds everything from the database.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import cast

from django.db import transaction
from django.db.models import Q
from haystack import connections
from haystack.utils import get_identifier
from whoosh.index import LockError

from debates.models import Debate, Member, Speech


class _Local(threading.local):
    pending: dict[str, set[int]]  # "removed", "speech", "debate", "member" -> ids
    batch: tuple[int, int] | None  # (debates, speeches) within `batched`


_local = _Local()


class IndexBusy(RuntimeError):
    """Another process held the index's write lock for too long. The database change
    stands; what it meant for the index stays pending and is written by the next sync in
    this process (or run `manage.py update_index`)."""


def _pending() -> dict[str, set[int]]:
    if not hasattr(_local, "pending"):
        _local.pending = {"removed": set(), "speech": set(), "debate": set(), "member": set()}
    return _local.pending


def schedule_sync(
    *,
    debate_ids: Iterable[int] = (),
    speech_ids: Iterable[int] = (),
    member_ids: Iterable[int] = (),
    removed_speech_ids: Iterable[int] = (),
) -> None:
    """Index these debates' speeches (and these speeches and members' speeches), and drop
    these speeches, once the current transaction commits (at once outside one)."""
    pending = _pending()
    pending["debate"].update(debate_ids)
    pending["speech"].update(speech_ids)
    pending["member"].update(member_ids)
    pending["removed"].update(removed_speech_ids)
    transaction.on_commit(sync)


@contextmanager
def batched(debates: int = 20, speeches: int = 5000) -> Iterator[None]:
    """Within this block, write the index once enough has piled up (so many debates, or
    speeches edited or removed) rather than after every commit, and at the end: a bulk
    load's index writes then go in large batches. What is committed reaches the index by
    the end of the block, even if the block fails."""
    _local.batch = (debates, speeches)
    try:
        yield
    finally:
        _local.batch = None
        sync()


def sync(using: str = "default") -> None:
    """Write what is pending to the index in one commit."""
    pending = _pending()
    batch = getattr(_local, "batch", None)
    if (
        batch
        and len(pending["debate"]) < batch[0]
        and len(pending["speech"]) + len(pending["removed"]) + len(pending["member"]) < batch[1]
    ):
        return
    removed, debates = set(pending["removed"]), set(pending["debate"])
    speeches, members = set(pending["speech"]), set(pending["member"])
    for ids in pending.values():
        ids.clear()
    if not (removed or debates or speeches or members):
        return
    if removed:  # only what is really gone: a rolled-back delete leaves its speech indexed
        removed -= set(Speech.objects.filter(id__in=removed).values_list("id", flat=True))
    index = connections[using].get_unified_index().get_index(Speech)
    changed: list[Speech] = []
    if debates or speeches or members:
        changed = list(
            index.index_queryset(using=using).filter(
                Q(debate_id__in=debates) | Q(id__in=speeches) | Q(member_id__in=members)
            )
        )
    identifiers = [get_identifier_for(speech_id) for speech_id in removed]
    backend = connections[using].get_backend()
    if hasattr(backend, "write"):  # Chamber's Whoosh backend: one commit, waits for the lock
        try:
            backend.write(index, objects=changed, removed=identifiers)
        except LockError as error:
            for name, ids in [("removed", removed), ("debate", debates), ("speech", speeches)]:
                pending[name].update(ids)
            pending["member"].update(members)
            raise IndexBusy(
                f"{error} The change is saved in the database and will reach the search "
                "index with the next load, or run `manage.py update_index`."
            ) from error
        return
    for identifier in identifiers:
        backend.remove(identifier)
    if changed:
        backend.update(index, changed)


def discard_pending() -> None:
    """Forget what this thread has pending (tests: callbacks never run in a TestCase)."""
    for ids in _pending().values():
        ids.clear()


def get_identifier_for(speech_id: int) -> str:
    return cast(str, get_identifier(Speech(id=speech_id)))  # Haystack is untyped


# -- Signal receivers (connected in search.apps) -----------------------------------------


def speech_deleted(sender: type[Speech], instance: Speech, **kwargs: object) -> None:
    schedule_sync(removed_speech_ids=[instance.pk])


def speech_saved(
    sender: type[Speech], instance: Speech, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if not raw:
        schedule_sync(speech_ids=[instance.pk])


def debate_saved(
    sender: type[Debate], instance: Debate, created: bool, raw: bool = False, **kwargs: object
) -> None:
    # A new debate has no speeches yet: whoever adds them schedules them.
    if not created and not raw:
        schedule_sync(debate_ids=[instance.pk])


def member_saved(
    sender: type[Member], instance: Member, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if not created and not raw:
        schedule_sync(member_ids=[instance.pk])


def speeches_changed(sender: object, speech_ids: Iterable[int], **kwargs: object) -> None:
    ids = list(speech_ids)  # each one is indexed if it still exists and removed if not
    schedule_sync(speech_ids=ids, removed_speech_ids=ids)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from debates import signals

    signals.speeches_changed.connect(speeches_changed, dispatch_uid="search-speeches-changed")

    post_delete.connect(speech_deleted, sender=Speech, dispatch_uid="search-speech-deleted")
    post_save.connect(speech_saved, sender=Speech, dispatch_uid="search-speech-saved")
    post_save.connect(debate_saved, sender=Debate, dispatch_uid="search-debate-saved")
    post_save.connect(member_saved, sender=Member, dispatch_uid="search-member-saved")

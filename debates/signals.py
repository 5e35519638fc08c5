"""What `debates` tells the rest of the site about its writes; `search` subscribes
(`SearchConfig.ready`), and `debates` never imports it.

- `speeches_changed` is sent inside the transaction of a write that changes what a
  speech's search document holds, or removes it, with the ids of the speeches added, edited
  or deleted (`speech_ids`). Bulk writes (`bulk_create`, `QuerySet.update` and `.delete`)
  send no model signals, so the writers in `debates.ingest` and `debates.admin` send this
  one with the ids they touched. A receiver that writes in the same transaction (search's
  queue) is rolled back with it.
- `many_writes()` wraps work that commits many transactions one after another (a command
  loading a folder of files): receivers may hold back follow-up work until it ends, and
  what they answer at the end (`Notice`s) is for the command to print.
- `status_requested` asks whoever follows the writes how far behind they are (the admin
  shows the answers, `status()`): the search index answers with its queue.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.dispatch import Signal

speeches_changed = Signal()  # sender: the writer's model class; speech_ids: Iterable[int]
many_writes_started = Signal()
many_writes_finished = Signal()  # receivers answer with a Notice, or None
status_requested = Signal()  # receivers answer with a Notice


@dataclass(frozen=True)
class Notice:
    """What a receiver has to say about the writes: `title` names what it speaks for."""

    message: str
    warning: bool = False
    title: str = ""


def _notices(signal: Signal, sender: object) -> list[Notice]:
    notices: list[Notice] = []
    for _, answer in signal.send(sender=sender):
        if isinstance(answer, Notice):  # (django-stubs types the answers as str | None)
            notices.append(answer)
    return notices


def status(sender: object) -> list[Notice]:
    return _notices(status_requested, sender)


@contextmanager
def many_writes(sender: object) -> Iterator[list[Notice]]:
    """Announce a run of transactions; the list it gives is filled with the receivers'
    notices when the run ends (normally or not)."""
    notices: list[Notice] = []
    many_writes_started.send(sender=sender)
    try:
        yield notices
    finally:
        notices.extend(_notices(many_writes_finished, sender))

"""Keeping the search index in step with the database.

`debates.loading` calls `schedule_sync` inside its transaction; the index is written only
once the transaction commits, so a rolled-back load leaves no trace in the index.
"""

from django.db import transaction
from haystack import connections
from haystack.utils import get_identifier

from debates.models import Speech


def schedule_sync(*, debate_ids=(), removed_speech_ids=(), using="default"):
    debate_ids, removed_speech_ids = list(debate_ids), list(removed_speech_ids)
    transaction.on_commit(
        lambda: sync(debate_ids=debate_ids, removed_speech_ids=removed_speech_ids, using=using)
    )


def sync(*, debate_ids=(), removed_speech_ids=(), using="default"):
    """Remove the documents of deleted speeches, then index every speech of the debates."""
    backend = connections[using].get_backend()
    index = connections[using].get_unified_index().get_index(Speech)
    for speech_id in removed_speech_ids:
        backend.remove(get_identifier_for(speech_id))
    if debate_ids:
        speeches = index.index_queryset(using=using).filter(debate_id__in=debate_ids)
        backend.update(index, list(speeches))


def get_identifier_for(speech_id: int) -> str:
    return get_identifier(Speech(id=speech_id))

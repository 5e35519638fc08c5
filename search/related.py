"""Speeches like this one in other debates: the index's "more like this" (Haystack's
`SearchQuerySet.more_like_this`), shown under a speech on its own page."""

import logging
from dataclasses import dataclass

from django.utils.text import Truncator
from haystack.query import SearchQuerySet

from debates.models import Speech

log = logging.getLogger(__name__)

RELATED_SPEECHES = 5
EXCERPT_WORDS = 30
# An excerpt is cut from the speech's start: a very long speech (megabytes) is never read
# through for a line of it.
EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Related:
    speech: Speech
    excerpt: str


def related_speeches(speech: Speech, limit: int = RELATED_SPEECHES) -> list[Related]:
    """Up to `limit` speeches from other debates that read most like `speech`, best first,
    loaded in one query. A speech page is still worth reading when the index is not: if the
    engine fails, the failure is logged and there are none."""
    try:
        results = (
            SearchQuerySet()
            .more_like_this(speech)
            .exclude(debate=str(speech.debate_id))
            .load_all()[:limit]
        )
        found = [result.object for result in results]
    except Exception:
        log.exception("Related speeches for speech %s could not be found", speech.pk)
        return []
    # None: deleted since it was indexed.
    return [Related(other, excerpt(other)) for other in found if other is not None]


def excerpt(speech: Speech) -> str:
    text = " ".join(speech.text[:EXCERPT_CHARS].split())
    return Truncator(text).words(EXCERPT_WORDS, truncate="…")

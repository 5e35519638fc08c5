"""Is the index right? `compare()` sets the index against the database, through Haystack's
own queries (any engine answers them), and `repair()` queues only what differs.

- Ids: speeches in the database that the index lacks, and documents whose speech is gone.
- Speeches waiting in the index queue are on their way, not differences: they, and the
  groups they belong to, are left out of the comparison and counted apart (a queue whose
  oldest row is old is the alarm then: nothing is draining it).
- Stale documents: each speech's document holds its debate, its member and its date. The
  index's exact facet counts by debate, by member and by sitting day are compared with the
  database's counts: a speech moved to another debate, attributed to another member or
  whose debate changed date shows as a difference in two groups. Repairing re-indexes the
  speeches of those groups. (Two changes that cancel out, a speech moved each way between
  the same two debates, keep every count right; a rebuild is the cure for that.)
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min
from haystack.query import SearchQuerySet

from debates.models import Speech

from .indexing import Drained, drain, enqueue, queue_status
from .models import IndexTask

GROUPS = {"debate": "debate_id", "member": "member_id", "date": "debate__date"}


@dataclass
class Difference:
    group: str  # "debate", "member" or "date"
    value: str  # its id, or the date as YYYY-MM-DD
    indexed: int
    stored: int  # in the database


@dataclass
class Audit:
    stored: int  # speeches in the database
    indexed: int  # speech documents in the index
    missing: list[int] = field(default_factory=list)  # in the database, not the index
    extra: list[int] = field(default_factory=list)  # in the index, not the database
    differences: list[Difference] = field(default_factory=list)
    queued: int = 0  # rows waiting in the index queue
    oldest: datetime.datetime | None = None  # when the oldest of them was queued

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.differences)

    def speech_ids(self) -> set[int]:
        """What a repair re-indexes (or removes, for the extra ones)."""
        ids = set(self.missing) | set(self.extra)
        for group, column in GROUPS.items():
            values = [d.value for d in self.differences if d.group == group]
            if values:
                rows = Speech.objects.filter(**{f"{column}__in": values})
                ids.update(rows.values_list("id", flat=True))
        return ids


def compare(using: str = "default") -> Audit:
    everything = SearchQuerySet(using=using).all()
    total = everything.count()
    indexed = {int(result.pk) for result in everything[:total]} if total else set()
    stored = set(Speech.objects.values_list("id", flat=True))
    on_their_way = Speech.objects.filter(id__in=IndexTask.objects.values("speech_id"))
    queued = set(IndexTask.objects.values_list("speech_id", flat=True).distinct())
    waiting, oldest = queue_status()
    audit = Audit(
        stored=len(stored),
        indexed=len(indexed),
        missing=sorted(stored - indexed - queued),
        extra=sorted(indexed - stored - queued),
        queued=waiting,
        oldest=oldest,
    )
    if not total:
        return audit
    for group, column in GROUPS.items():
        busy = {str(value) for value in on_their_way.values_list(column, flat=True).distinct()}
        in_index = _index_counts(everything, group)
        in_database = {
            str(row[column]): row["n"]
            for row in Speech.objects.filter(**{f"{column}__isnull": False})
            .values(column)
            .annotate(n=Count("id"))
            .order_by()
        }
        for value in sorted((set(in_index) | set(in_database)) - busy):
            if in_index.get(value, 0) != in_database.get(value, 0):
                audit.differences.append(
                    Difference(group, value, in_index.get(value, 0), in_database.get(value, 0))
                )
    return audit


def _index_counts(everything: SearchQuerySet, group: str) -> dict[str, int]:
    if group != "date":
        counts = everything.facet(group).facet_counts().get("fields", {}).get(group, [])
        return {str(value): count for value, count in counts}
    # Over the database's sitting days: a document dated outside them belongs to a speech
    # that is gone (an extra id) or moved (a difference by debate).
    dates = Speech.objects.aggregate(first=Min("debate__date"), last=Max("debate__date"))
    first: datetime.date = dates["first"] or datetime.date.today()
    last: datetime.date = dates["last"] or first
    found = (
        everything.date_facet(
            "date", start_date=first, end_date=last + datetime.timedelta(days=1), gap_by="day"
        )
        .facet_counts()
        .get("dates", {})
        .get("date", [])
    )
    tally: Counter[str] = Counter()
    for (start, _end), count in found:
        if count:
            tally[start.date().isoformat()] += count
    return dict(tally)


def repair(audit: Audit, using: str = "default") -> Drained:
    """Queue the speeches that differ, then drain the queue (the same road as any write)."""
    enqueue(audit.speech_ids(), deliver=False)
    return drain(using=using)

"""When Whoosh merges segments: bounded on every write, whole tiers only out of the request path.

Each commit adds a segment. Whoosh's default policy, MERGE_SMALL, decides at every commit
whether to merge by comparing the total number of documents with a Fibonacci number of
the count of segments. Past about twenty segments that test passes whatever their sizes, so
one commit rewrites the whole index: at 100k speeches, adding a sitting day of 500 took
six minutes, and a rebuild, which commits every batch, grew worse than linearly.

Here segments are grouped in tiers by size, a tier per power of FANOUT (under 1,000
documents, under 10,000, under 100,000, ...), and a tier is merged into one segment only
once it holds FANOUT segments. So a document is rewritten once per tier it climbs, a few
times in its life, and the index keeps at most about FANOUT segments per tier.

- A write (a drain of the index queue, after an upload in the admin say) merges a full tier
  only if its segments hold at most `limit` documents in all (WRITE_MERGE_DOCS): the
  request that commits never pays for more than a bounded merge.
- Bigger merges run where nobody waits: at the end of `update_index` and `rebuild_index`, at
  the end of `load_transcripts`, and from `manage.py merge_index`, which can be run out of
  hours. Until then, searches over a few more segments are a little slower; nothing stops.
"""

from collections.abc import Callable, Sequence
from typing import Any

from whoosh.reading import SegmentReader

# A tier is merged when it has this many segments.
FANOUT = 10
# Segments under this many documents form the first tier.
SMALLEST_TIER = 1_000
# A merge done during a write: at most this many documents rewritten.
WRITE_MERGE_DOCS = 20_000

MergePolicy = Callable[[Any, list[Any]], list[Any]]


def tier(documents: int) -> int:
    """0 for segments under SMALLEST_TIER documents, 1 under FANOUT times that, and so on."""
    level, size = 0, documents // SMALLEST_TIER  # in whole numbers: log(1000, 10) < 3
    while size:
        size //= FANOUT
        level += 1
    return level


def full_tier(segments: Sequence[Any], limit: int | None = None) -> list[Any]:
    """The segments of the smallest tier that holds FANOUT of them (and, given a `limit`, at
    most that many documents in all), or none."""
    tiers: dict[int, list[Any]] = {}
    for segment in segments:
        tiers.setdefault(tier(segment.doc_count_all()), []).append(segment)
    for _, group in sorted(tiers.items()):
        if len(group) < FANOUT:
            continue
        if limit is not None and sum(s.doc_count_all() for s in group) > limit:
            return []  # the tiers above are bigger still
        return group
    return []


def tiered(limit: int | None = None) -> MergePolicy:
    """A Whoosh merge policy (`writer.commit(mergetype=...)`): merge one full tier, if there
    is one within `limit` documents, into the segment the writer is writing."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        group = full_tier(segments, limit)
        for segment in group:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
        return [segment for segment in segments if segment not in group]

    return policy


def sizes(segments: Sequence[Any]) -> list[int]:
    """The segments' document counts, largest first (for reports)."""
    return sorted((segment.doc_count_all() for segment in segments), reverse=True)

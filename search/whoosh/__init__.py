"""Chamber's Haystack engine on Whoosh: Haystack's `WhooshEngine`, answering every
`SearchQuerySet` call as the stock engine does (tests/search/test_parity.py runs the same
assertions against both), but fast at the size of a year of Parliament and safe to write to.

Configured in `HAYSTACK_CONNECTIONS` as `search.whoosh.Engine`. One module per job:

- `engine`: the backend Haystack calls (`search`, `more_like_this`, writes), which puts
  the parts below together;
- `schema`: Haystack's fields as Whoosh fields (only identifiers stored, exact facets);
- `opening`: one searcher per thread, kept until the index changes, without mmap;
- `queries`: Chamber's faster equivalents of Whoosh queries (column ranges, phrases,
  narrowing by document set);
- `collectors`: one pass that ranks, counts exactly and records every match;
- `columns`: per-segment column values in memory, for sorting and facet counts;
- `spelling`: the vocabulary, kept beside the index, and "did you mean";
- `writers`: writers a killed process cannot leave behind, and the lock's holder;
- `internals`: every private part of Whoosh relied on, checked against the pinned version.
"""

from .engine import ChamberWhooshBackend, Engine

__all__ = ["ChamberWhooshBackend", "Engine"]

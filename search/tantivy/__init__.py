"""Chamber's Haystack engine on Tantivy (the `tantivy` package: Rust, embedded), for
archives past a few hundred thousand speeches: the same `SearchQuerySet` answers as
Chamber's Whoosh engine (tests/search/test_parity.py runs the same assertions against
both), from an index that is built tens of times faster and searched in milliseconds.

Configured in `HAYSTACK_CONNECTIONS` as `search.tantivy.Engine` (`SEARCH_ENGINE=tantivy`).
One module per job:

- `engine`: the backend Haystack calls (`search`, `more_like_this`, writes);
- `schema`: Haystack's fields as Tantivy fields, and documents for them;
- `analysis`: how text is cut into terms, the same at index and query time;
- `queries`: Haystack's query strings, parsed by Whoosh's parser, as Tantivy queries;
- `facets`: exact field and date facet counts, from Tantivy's aggregations;
- `opening`: the index opened, and a reader that sees each commit at once;
- `writing`: the one writer, across processes, and its lock.
"""

from .engine import Engine, TantivySearchBackend

__all__ = ["Engine", "TantivySearchBackend"]

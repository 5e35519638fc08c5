"""Merging the index's segments where nobody waits for it: after `update_index` and
`rebuild_index`, after a `load_transcripts` run, and from `manage.py merge_index`. An engine
that merges (Chamber's Whoosh engine: search.whoosh.merging) has `merge()`; one that merges
by itself (Tantivy, in background threads) or not at all is left alone.
"""

import time
from typing import Any

from debates.words import plural


def merge_backend(backend: Any, wait: float | None = None) -> str:
    """Merge what the backend's writes left for later; say what was done ("" if the engine
    does not merge, or nothing was)."""
    merge = getattr(backend, "merge", None)
    if merge is None:
        return ""
    started = time.monotonic()
    before, after = merge(wait=wait)
    if before == after:
        return ""
    return (
        f"merged {plural(len(before), 'segment')} into {plural(len(after), 'segment')}"
        f" in {time.monotonic() - started:.1f} s."
    )

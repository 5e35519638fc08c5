"""Every private part of Whoosh this package relies on, in one place.

Whoosh is pinned (`whoosh-reloaded==2.7.5` in pyproject.toml). Upgrading it means reading
this list: each entry names what is used, where, and what breaks without it. `check()`
runs when the engine is set up, so a Whoosh without one of them fails at once with the
entry's name, never later with a wrong answer, and another version than the pinned one is
warned of; tests/search/test_rewrites.py calls it too.
"""

import inspect
import warnings
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

PINNED = "2.7.5"
DISTRIBUTION = "whoosh-reloaded"


@dataclass(frozen=True)
class Internal:
    module: str
    path: str  # "Class.attribute" or "name"
    used_by: str
    why: str
    # An attribute that instances set in __init__ (checked in its source), not the class.
    in_init: bool = False


INTERNALS = (
    Internal(
        "whoosh.codec.whoosh3",
        "W3LeafMatcher._read_ids",
        "queries.AdjacentPhrase",
        "reads a term's postings a block at a time (with _read_weights, _read_values,"
        " _next_block and the _ids, _weights, _values they fill)",
    ),
    Internal(
        "whoosh.codec.whoosh3", "W3LeafMatcher._read_weights", "queries.AdjacentPhrase", "as above"
    ),
    Internal(
        "whoosh.codec.whoosh3", "W3LeafMatcher._read_values", "queries.AdjacentPhrase", "as above"
    ),
    Internal(
        "whoosh.codec.whoosh3", "W3LeafMatcher._next_block", "queries.AdjacentPhrase", "as above"
    ),
    Internal(
        "whoosh.matching.wrappers",
        "FilterMatcher._exclude",
        "queries.AdjacentPhrase",
        "a segment's deleted documents, wrapped around its postings (with _ids, child)",
        in_init=True,
    ),
    Internal(
        "whoosh.scoring",
        "BM25FScorer._score",
        "queries.AdjacentPhrase",
        "the scorer's _score(weight, length) and dfl(doc) give a phrase Whoosh's BM25 score",
    ),
    Internal(
        "whoosh.codec.whoosh3",
        "_lenfield",
        "opening.lengths_in_memory",
        "the column of document lengths (with LENGTHS_COLUMN, and the per-document reader's"
        " _perdoc, _cached_reader and _readers); without it only slower",
    ),
    Internal("whoosh.codec.whoosh3", "LENGTHS_COLUMN", "opening.lengths_in_memory", "as above"),
    Internal(
        "whoosh.codec.whoosh3",
        "W3PerDocReader._cached_reader",
        "opening.lengths_in_memory",
        "as above",
    ),
    Internal(
        "whoosh.sorting",
        "ColumnCategorizer._fieldname",
        "columns._CachedColumnCategorizer",
        "the field a column categorizer sorts by (with _fieldobj)",
        in_init=True,
    ),
    Internal(
        "whoosh.collectors",
        "ScoredCollector.replace",
        "collectors.exhaustive",
        "set to 0 so that the collector visits every match: exact totals and facets",
        in_init=True,
    ),
    Internal(
        "whoosh.multiproc",
        "MpWriter._new_task",
        "writers._MortalMpWriter",
        "starts a writer process (with tasks, jobqueue, resultqueue, subargs, _commit);"
        " replaced so the children die with their parent and close the lock",
    ),
    Internal("whoosh.multiproc", "MpWriter._commit", "writers._MortalMpWriter", "as above"),
    Internal(
        "whoosh.multiproc",
        "SubWriterTask.run",
        "writers._MortalTask",
        "the child's work, wrapped to set PR_SET_PDEATHSIG first",
    ),
    Internal(
        "whoosh.writing",
        "SegmentWriter.segments",
        "engine.ChamberWhooshBackend.merge",
        "the index's segments as the writer found them: whether a tier is full enough to merge",
        in_init=True,
    ),
    Internal(
        "whoosh.index",
        "FileIndex.latest_generation",
        "opening.Searchers.version",
        "with indexname: names the table of contents whose identity says the index changed",
    ),
)


def installed_version() -> str | None:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


def missing() -> list[Internal]:
    """The internals this Whoosh does not have."""
    absent = []
    for internal in INTERNALS:
        target: object = import_module(internal.module)
        *owners, name = internal.path.split(".")
        for owner in owners:
            target = getattr(target, owner, None)
        if internal.in_init:
            try:
                found = f"self.{name} =" in inspect.getsource(getattr(target, "__init__", object))
            except (OSError, TypeError):  # installed without its source: cannot tell
                found = True
        else:
            found = target is not None and hasattr(target, name)
        if not found:
            absent.append(internal)
    return absent


def check() -> None:
    """Fails if a part relied on is missing; warns if Whoosh is not the pinned version."""
    if installed_version() != PINNED:
        warnings.warn(
            f"Chamber's Whoosh engine is tested with {DISTRIBUTION} {PINNED}, not"
            f" {installed_version()}: read search/whoosh/internals.py before relying on it.",
            RuntimeWarning,
            stacklevel=2,
        )
    absent = missing()
    if absent:
        names = ", ".join(f"{i.module}.{i.path} ({i.used_by})" for i in absent)
        raise ImportError(
            f"Chamber's Whoosh engine relies on parts of {DISTRIBUTION} {PINNED} that the"
            f" installed {installed_version()} lacks: {names}. See search/whoosh/internals.py."
        )

""" "Did you mean": the index's vocabulary, kept beside it, and suggestions from it.

The vocabulary is every word of three letters or more in the document field, as written
(lower-cased, unstemmed), with the number of documents written with it. It lives in
`vocabulary.sqlite3` in the index folder, written under the index's write lock just before
each index commit, so it is never behind the index (a write that fails after it only
counts some words twice: the counts rank suggestions, nothing more). Whoosh's own
spelling field doubled the cost of indexing, and keeping the words as extra documents
inside the index (as Chamber once did) skewed its document count and relevance statistics.

Suggesting is cheap whatever the query and however large the vocabulary: unknown words are
looked up, not searched for. When a word first enters the vocabulary it is also filed
under each of its one-letter deletions, so the words within one edit of a query word (and
most within two) are found by looking up the query word and its own deletions in that
table ("symmetric delete"): a few indexed SQLite queries per suggestion, nothing held in
memory, nothing to build when a process starts. Only the first `MAX_WORDS` unknown words
of a query are checked, and answers are cached until the vocabulary changes.
"""

import logging
import os
import re
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILENAME = "vocabulary.sqlite3"
# The words suggestions are made for: three letters or more, no digits.
WORD = re.compile(r"[^\W\d_]{3,}")
# Unknown words of one query looked up; the rest are kept as written.
MAX_WORDS = 32
# Suggestions kept for queries asked again.
CACHE_SIZE = 2048
# Query syntax that is not a word to correct (as Haystack's Whoosh backend strips it).
RESERVED_WORDS = ("AND", "NOT", "OR", "TO")
SYNTAX = re.compile(r'[\\+\-&|!(){}\[\]^"~*?:/]')
# Seconds a reader waits for a writer's lock on the vocabulary (WAL readers rarely wait).
READ_TIMEOUT = 1.0
# Parameters per SQL statement (SQLite's limit is 32,766; older builds 999).
CHUNK = 900
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS word (word TEXT PRIMARY KEY, documents INTEGER NOT NULL)",
    # Each word under each of its one-letter deletions (never of its first letter:
    # suggestions share it, as Whoosh's did).
    "CREATE TABLE IF NOT EXISTS deletion (key TEXT NOT NULL, word TEXT NOT NULL,"
    " PRIMARY KEY (key, word)) WITHOUT ROWID",
    # Which vocabulary this is: a rebuilt index's file may reuse the old one's inode.
    "CREATE TABLE IF NOT EXISTS about (generation TEXT NOT NULL)",
)


def count_words(texts: Iterable[str]) -> Counter[str]:
    """The vocabulary's words of these documents, each with how many documents have it."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(WORD.findall(text.lower())))
    return counts


class Vocabulary:
    """The vocabulary of one index folder."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, FILENAME)
        self._lock = threading.Lock()
        self._cache: dict[str, str | None] = {}
        self._cached_version: tuple[object, ...] = ()

    def _connect(self, *, write: bool = False) -> sqlite3.Connection:
        if not write:  # a reader never creates or locks the file, nor waits long
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=READ_TIMEOUT)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        with db:
            for statement in SCHEMA:
                db.execute(statement)
            db.execute(
                "INSERT INTO about SELECT ? WHERE NOT EXISTS (SELECT 1 FROM about)",
                (uuid.uuid4().hex,),
            )
        return db

    # -- Writing (under the index's write lock) ----------------------------------------

    def record(self, texts: Iterable[str]) -> int:
        """Count the words of documents about to be committed, filing new words under
        their deletions; returns how many distinct words."""
        return self.add(count_words(texts))

    def add(self, counts: Counter[str], *, afresh: bool = False) -> int:
        """Add words with the number of documents written with each (`count_words`);
        `afresh`, in the same transaction, forget every word first (a rebuilt index's
        vocabulary replaces the old one at once). Returns how many distinct words."""
        if not counts and not afresh:
            return 0
        words = sorted(counts)
        db = self._connect(write=True)
        try:
            with db:
                if afresh:
                    db.execute("DELETE FROM word")
                    db.execute("DELETE FROM deletion")
                    db.execute("UPDATE about SET generation = ?", (uuid.uuid4().hex,))
                known = {
                    row[0]
                    for chunk in _chunks(words)
                    for row in db.execute(
                        f"SELECT word FROM word WHERE word IN ({_marks(chunk)})", chunk
                    )
                }
                db.executemany(
                    "INSERT INTO word (word, documents) VALUES (?, ?) ON CONFLICT (word)"
                    " DO UPDATE SET documents = documents + excluded.documents",
                    counts.items(),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO deletion (key, word) VALUES (?, ?)",
                    (
                        (key, word)
                        for word in words
                        if word not in known
                        for key in _deletions(word)
                    ),
                )
        finally:
            db.close()
        return len(counts)

    # -- Reading -----------------------------------------------------------------------

    def size(self) -> int:
        rows = self._read(lambda db: db.execute("SELECT count(*) FROM word").fetchall())
        return int(rows[0][0]) if rows else 0

    def __contains__(self, word: str) -> bool:
        return bool(self._known([word.lower()]))

    def suggest(
        self,
        query_string: str,
        documents: Callable[[str], int] | None = None,
        version: object = None,
    ) -> str | None:
        """The query with each unknown word replaced by the closest known one (fewest
        edits, then most documents); None for a query without words. Known words, query
        syntax and words nothing is close to are kept as written.

        `documents(word)` says how many documents of the index hold a word now: the
        vocabulary only grows (a deleted or corrected speech leaves its words in it), so a
        word no document holds any more is neither known nor suggested, and candidates
        are ranked by what the index holds. `version` is the index's: with the
        vocabulary's, it keys the cache of answers."""
        cleaned = query_string
        for reserved in RESERVED_WORDS:
            cleaned = re.sub(rf"\b{reserved}\b", " ", cleaned)
        words = SYNTAX.sub(" ", cleaned).split()
        if not words:
            return None
        version = (self._version(), version)
        with self._lock:
            if version != self._cached_version:
                self._cache, self._cached_version = {}, version
            if query_string in self._cache:
                return self._cache[query_string]
        lowered = list(dict.fromkeys(w.lower() for w in words if WORD.fullmatch(w.lower())))
        known = self._known(lowered)
        if documents is not None:
            known = {word for word in known if documents(word)}
        unknown = [word for word in lowered if word not in known][:MAX_WORDS]
        closest = self._closest(unknown, documents)
        suggestion = " ".join(closest.get(word.lower()) or word for word in words)
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[query_string] = suggestion
        return suggestion

    def _closest(
        self, words: list[str], live: Callable[[str], int] | None = None
    ) -> dict[str, str]:
        """{word: the closest known word} for the words that have one within two edits."""
        if not words:
            return {}
        keys_of = {word: {word, *_deletions(word)} for word in words}
        keys = sorted(set().union(*keys_of.values()))
        filed: dict[str, set[str]] = {}  # deletion key -> known words filed under it
        for key, known in self._select("SELECT key, word FROM deletion WHERE key IN", keys):
            filed.setdefault(str(key), set()).add(str(known))
        documents = {
            str(known): int(str(count))
            for known, count in self._select("SELECT word, documents FROM word WHERE word IN", keys)
        }
        candidates: dict[str, set[str]] = {}
        for word, word_keys in keys_of.items():
            found = {known for key in word_keys for known in filed.get(key, ())}
            found.update(key for key in word_keys if key in documents)  # a deletion is a word
            found.discard(word)
            candidates[word] = {known for known in found if known[0] == word[0]}
        every = {c for found in candidates.values() for c in found}
        if live is not None:
            documents = {known: live(known) for known in every}
        else:
            missing = sorted(every - documents.keys())
            for known, count in self._select(
                "SELECT word, documents FROM word WHERE word IN", missing
            ):
                documents[str(known)] = int(str(count))
        closest: dict[str, str] = {}
        for word, found in candidates.items():
            scored = [
                (d, known)
                for known in found
                if documents.get(known, 0) and (d := edit_distance(word, known)) <= 2
            ]
            if scored:
                nearest = min(d for d, _ in scored)
                closest[word] = max(
                    (known for d, known in scored if d == nearest),
                    key=lambda known: (documents.get(known, 0), known),
                )
        return closest

    def _known(self, words: list[str]) -> set[str]:
        return {str(row[0]) for row in self._select("SELECT word FROM word WHERE word IN", words)}

    def _version(self) -> tuple[object, ...]:
        """Changes whenever a word is added, or the vocabulary is started afresh."""
        rows = self._read(
            lambda db: db.execute(
                "SELECT (SELECT generation FROM about), (SELECT max(rowid) FROM word)"
            ).fetchall()
        )
        return tuple(rows[0]) if rows else ()

    def _select(self, sql: str, values: Sequence[str]) -> list[tuple[object, ...]]:
        """Rows of `sql` ("... IN") for `values`, in chunks."""
        rows: list[tuple[object, ...]] = []
        for chunk in _chunks(values):
            statement = f"{sql} ({_marks(chunk)})"
            rows += self._read(lambda db: db.execute(statement, chunk).fetchall())  # noqa: B023
        return rows

    def _read(self, query: Callable[[sqlite3.Connection], list[Any]]) -> list[Any]:
        """What `query` reads, or nothing while the vocabulary does not exist yet."""
        try:
            db = self._connect()
        except sqlite3.Error:
            return []  # not written yet
        try:
            return query(db)
        except sqlite3.Error as error:
            # Not written yet ("no such table"), or locked or damaged: no suggestion is
            # better than a search page that fails.
            if "no such table" not in str(error):
                log.warning("The spelling vocabulary %s could not be read: %s", self.path, error)
            return []
        finally:
            db.close()


def _chunks(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + CHUNK]) for i in range(0, len(values), CHUNK)]


def _marks(values: Sequence[str]) -> str:
    return ",".join("?" * len(values))


def _deletions(word: str) -> set[str]:
    """The word with one letter taken out, keeping the first (suggestions share it)."""
    return {word[:i] + word[i + 1 :] for i in range(1, len(word))}


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), as Whoosh's fuzzy terms
    measure it; any distance past `limit` is returned as `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)

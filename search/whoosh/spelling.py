""" "Did you mean": the index's vocabulary, kept beside it, and suggestions from it.

The vocabulary is every word of three letters or more in the document field, as written
(lower-cased, unstemmed), with the number of documents written with it. It lives in
`vocabulary.sqlite3` in the index folder, written under the index's write lock just before
each index commit, so it is never behind the index (a write that fails after it only
counts some words twice: the counts rank suggestions, nothing more). Whoosh's own
spelling field doubled the cost of indexing, and keeping the words as extra documents
inside the index (as Chamber once did) skewed its document count and relevance statistics.

Suggesting is cheap whatever the query and however large the vocabulary: each unknown word
is looked up, not searched for. Every vocabulary word is filed under each of its one-letter
deletions (built once per process, then extended with words added since), so that the
words within one edit of a query word, and most within two, are found by a handful of
dictionary lookups on the query word's own deletions ("symmetric delete"). Only the first
`MAX_WORDS` unknown words of a query are checked, and answers are cached until the
vocabulary changes.
"""

import os
import re
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

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


@dataclass
class _Lexicon:
    """The vocabulary as loaded into this process."""

    generation: str = ""  # which vocabulary file: a rebuilt index's starts anew
    loaded_to: int = 0  # the highest row read
    words: set[str] = field(default_factory=set)
    by_deletion: dict[str, list[str]] = field(default_factory=dict)
    suggestions: dict[str, str | None] = field(default_factory=dict)

    def add(self, words: Iterable[str]) -> None:
        for word in words:
            if word in self.words:
                continue
            self.words.add(word)
            for deleted in _deletions(word):
                self.by_deletion.setdefault(deleted, []).append(word)
        self.suggestions.clear()


class Vocabulary:
    """The vocabulary of one index folder."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, FILENAME)
        self._lock = threading.Lock()
        self._lexicon = _Lexicon()

    def _connect(self, *, write: bool = False) -> sqlite3.Connection:
        if not write:  # a reader never creates or locks the file
            return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        with db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS word"
                " (word TEXT PRIMARY KEY, documents INTEGER NOT NULL)"
            )
            # Which vocabulary this is: a rebuilt index's file may reuse the old one's inode.
            db.execute("CREATE TABLE IF NOT EXISTS about (generation TEXT NOT NULL)")
            db.execute(
                "INSERT INTO about SELECT ? WHERE NOT EXISTS (SELECT 1 FROM about)",
                (uuid.uuid4().hex,),
            )
        return db

    def _read(self, sql: str, parameters: Iterable[object]) -> list[tuple[object, ...]]:
        """Rows of a query, or none while the vocabulary does not exist yet."""
        try:
            db = self._connect()
        except sqlite3.OperationalError:
            return []
        try:
            return db.execute(sql, tuple(parameters)).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise
        finally:
            db.close()

    # -- Writing (under the index's write lock) ----------------------------------------

    def record(self, texts: Iterable[str]) -> int:
        """Count the words of documents about to be committed; returns how many words."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(WORD.findall(text.lower())))
        if not counts:
            return 0
        db = self._connect(write=True)
        try:
            with db:
                db.executemany(
                    "INSERT INTO word (word, documents) VALUES (?, ?) ON CONFLICT (word)"
                    " DO UPDATE SET documents = documents + excluded.documents",
                    counts.items(),
                )
        finally:
            db.close()
        return len(counts)

    # -- Reading -----------------------------------------------------------------------

    def size(self) -> int:
        return len(self._current().words)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self._current().words

    def suggest(self, query_string: str) -> str | None:
        """The query with each unknown word replaced by the closest known one (fewest
        edits, then most documents); None for a query without words. Known words, query
        syntax and words nothing is close to are kept as written."""
        lexicon = self._current()
        if query_string in lexicon.suggestions:
            return lexicon.suggestions[query_string]
        cleaned = query_string
        for reserved in RESERVED_WORDS:
            cleaned = re.sub(rf"\b{reserved}\b", " ", cleaned)
        words = SYNTAX.sub(" ", cleaned).split()
        if not words:
            return None
        unknown = [
            word.lower()
            for word in words
            if WORD.fullmatch(word.lower()) and word.lower() not in lexicon.words
        ]
        closest = self._closest(lexicon, unknown[:MAX_WORDS])
        suggestion = " ".join(closest.get(word.lower()) or word for word in words)
        if len(lexicon.suggestions) >= CACHE_SIZE:
            lexicon.suggestions.pop(next(iter(lexicon.suggestions)))
        lexicon.suggestions[query_string] = suggestion
        return suggestion

    def _closest(self, lexicon: _Lexicon, words: list[str]) -> dict[str, str]:
        candidates: dict[str, list[tuple[int, str]]] = {}
        for word in dict.fromkeys(words):
            keys = {word, *_deletions(word)}
            found = {known for key in keys for known in lexicon.by_deletion.get(key, ())}
            found.update(key for key in keys if key in lexicon.words)
            found.discard(word)
            scored = [
                (distance, known)
                for known in found
                if known[0] == word[0] and (distance := _distance(word, known)) <= 2
            ]
            if scored:
                nearest = min(distance for distance, _ in scored)
                candidates[word] = [item for item in scored if item[0] == nearest]
        if not candidates:
            return {}
        documents = self._documents({known for c in candidates.values() for _, known in c})
        return {
            word: max(scored, key=lambda item: (documents.get(item[1], 0), item[1]))[1]
            for word, scored in candidates.items()
        }

    def _documents(self, words: set[str]) -> dict[str, int]:
        if not words:
            return {}
        marks = ",".join("?" * len(words))
        rows = self._read(f"SELECT word, documents FROM word WHERE word IN ({marks})", words)
        return {str(word): int(str(documents)) for word, documents in rows}

    def _current(self) -> _Lexicon:
        """The lexicon, with the words added since it was last read."""
        with self._lock:
            about = self._read("SELECT generation FROM about", ())
            generation = str(about[0][0]) if about else ""
            if generation != self._lexicon.generation:
                self._lexicon = _Lexicon(generation=generation)
            if not generation:
                return self._lexicon
            rows = self._read(
                "SELECT rowid, word FROM word WHERE rowid > ? ORDER BY rowid",
                (self._lexicon.loaded_to,),
            )
            if rows:
                self._lexicon.add(str(word) for _, word in rows)
                self._lexicon.loaded_to = int(str(rows[-1][0]))
            return self._lexicon


def _deletions(word: str) -> set[str]:
    """The word with one letter taken out, keeping the first (suggestions share it)."""
    return {word[:i] + word[i + 1 :] for i in range(1, len(word))}


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), stopping past 2."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > 2:
            return 3
        previous2, previous = previous, current
    return previous[-1]

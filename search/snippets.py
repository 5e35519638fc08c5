"""The snippet shown for a search result: the sentence of the speech that best matches the
query, with the matching words marked, and that sentence's number so the result can link
to it in the debate page, where the same `Highlighter` marks the words again.

Built from the speech as loaded from the database and the parsed query, with the same
analyser the index uses, so it reads the same on any Haystack backend: a quoted phrase
is marked as one phrase, not word by word.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .analysis import spans, stems
from .query import MAX_QUERY_LENGTH, Term, clean_text, parse

MAX_WORDS = 60
# The most words and phrases marked at once: marking costs one pass over the text whatever
# the number, but each term costs a comparison wherever its first word occurs.
MAX_HIGHLIGHT_TERMS = 20
# The most text one Highlighter marks (a page of a debate, say): analysing text costs about
# a microsecond a character, so a page's marks stop after this much and the rest reads
# unmarked (`Highlighter.exhausted` says so). 200 speeches of 1,000 characters fit.
MAX_HIGHLIGHT_CHARS = 200_000
# A search result's best sentence is looked for in the speech's first this many characters:
# a result page analyses at most 20 of them (a 19.5 MB speech among the results took 12 s).
MAX_SNIPPET_CHARS = 20_000


@dataclass(frozen=True)
class Snippet:
    sentence: int  # 1-based number within the speech, as in the debate page's anchors
    html: SafeString
    matched: bool


class Highlighter:
    """Marks the words and phrases of a query in text, as the index matched them: stemmed
    ("ceasefires" marks "ceasefire"), and a quoted phrase only where its words follow in
    order, as one mark."""

    def __init__(self, terms: list[Term], query: str = ""):
        wanted = [words for words in (stems(term.text) for term in terms) if words]
        self.wanted = wanted[:MAX_HIGHLIGHT_TERMS]
        # Terms by their first stem: one dictionary look-up per word of the text.
        self.starting: dict[str, list[tuple[int, list[str]]]] = {}
        for index, words in enumerate(self.wanted):
            self.starting.setdefault(words[0], []).append((index, words))
        self.query = query  # as typed, cleaned: for telling people what is marked
        self.budget = MAX_HIGHLIGHT_CHARS
        self.exhausted = False  # the budget ran out: later text was left unmarked

    def __bool__(self) -> bool:
        return bool(self.wanted)

    def mark(self, text: str) -> SafeString:
        """All of `text`, escaped, with the matches wrapped in <mark>; only escaped once
        MAX_HIGHLIGHT_CHARS have been marked."""
        if self.budget < len(text):
            self.budget = 0
            self.exhausted = True
            return escape(text)
        self.budget -= len(text)
        return _render(text, self.marks(text)[0], max_words=None)

    def marks(self, sentence: str) -> tuple[list[tuple[int, int]], set[int]]:
        """Character ranges to mark in `sentence`, and which of the wanted terms it has."""
        tokens = spans(sentence)
        words = [stem for stem, _, _ in tokens]
        marks, found = [], set()
        for start, word in enumerate(words):
            for index, term in self.starting.get(word, ()):
                size = len(term)
                if words[start : start + size] == term:
                    marks.append((tokens[start][1], tokens[start + size - 1][2]))
                    found.add(index)
        return _merge(marks), found


def highlighter_for(text: str) -> Highlighter | None:
    """What to mark for a query as typed (a debate page's `?highlight=`), or None."""
    text = clean_text(text)[:MAX_QUERY_LENGTH]
    return Highlighter(parse(text).terms, query=text) or None


def snippet(sentences: list[str], terms: list[Term]) -> Snippet:
    """The best sentence among the first MAX_SNIPPET_CHARS characters of the speech."""
    highlighter = Highlighter(terms)
    best, best_score, best_marks = 0, (0, 0), []
    budget = MAX_SNIPPET_CHARS
    for number, sentence in enumerate(sentences):
        budget -= len(sentence)
        if budget < 0 and number:
            break
        marks, found = highlighter.marks(sentence)
        score = (len(found), len(marks))
        if score > best_score:
            best, best_score, best_marks = number, score, marks
    if not sentences:
        return Snippet(1, mark_safe(""), False)
    html = _render(sentences[best], best_marks)
    return Snippet(best + 1, html, bool(best_marks))


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(
    text: str, marks: list[tuple[int, int]], max_words: int | None = MAX_WORDS
) -> SafeString:
    """`text` escaped, marks wrapped in <mark>, cut to about `max_words` around the first."""
    begin, end = 0, len(text)
    words = [match.span() for match in re.finditer(r"\S+", text)] if max_words else []
    if max_words and len(words) > max_words:
        centre = marks[0][0] if marks else 0
        first = next((n for n, (_, stop) in enumerate(words) if stop > centre), 0)
        low = max(0, min(first - max_words // 3, len(words) - max_words))
        begin, end = words[low][0], words[low + max_words - 1][1]
    parts, cursor = [], begin
    for start, stop in marks:
        if start < begin or stop > end:
            continue
        parts += [escape(text[cursor:start]), f"<mark>{escape(text[start:stop])}</mark>"]
        cursor = stop
    parts.append(escape(text[cursor:end]))
    html = "".join(parts)
    return mark_safe(("… " if begin else "") + html + (" …" if end < len(text) else ""))

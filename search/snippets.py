"""The snippet shown for a search result: the sentence of the speech that best matches the
query, with the matching words marked, and that sentence's number so the result can link
to it in the debate page.

Built from the speech as loaded from the database and the parsed query, with the same
analyser the index uses, so it reads the same on any Haystack backend: a quoted phrase
is marked as one phrase, not word by word.
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .analysis import spans, stems
from .query import Term

MAX_WORDS = 60


@dataclass(frozen=True)
class Snippet:
    sentence: int  # 1-based number within the speech, as in the debate page's anchors
    html: SafeString
    matched: bool


def snippet(sentences: list[str], terms: list[Term]) -> Snippet:
    wanted = [stems(term.text) for term in terms]
    wanted = [words for words in wanted if words]
    best, best_score, best_marks = 0, (0, 0), []
    for number, sentence in enumerate(sentences):
        marks, found = _marks(sentence, wanted)
        score = (len(found), len(marks))
        if score > best_score:
            best, best_score, best_marks = number, score, marks
    if not sentences:
        return Snippet(1, mark_safe(""), False)
    text = sentences[best]
    html = _render(text, best_marks)
    return Snippet(best + 1, html, bool(best_marks))


def _marks(sentence: str, wanted: list[list[str]]) -> tuple[list[tuple[int, int]], set[int]]:
    """Character ranges to mark in `sentence`, and which of the wanted terms were found."""
    tokens = spans(sentence)
    words = [stem for stem, _, _ in tokens]
    marks, found = [], set()
    for index, term in enumerate(wanted):
        size = len(term)
        for start in range(len(words) - size + 1):
            if words[start : start + size] == term:
                marks.append((tokens[start][1], tokens[start + size - 1][2]))
                found.add(index)
    return _merge(marks), found


def _merge(ranges):
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, marks: list[tuple[int, int]]) -> SafeString:
    """`text` escaped, marks wrapped in <mark>, cut to about MAX_WORDS around the first."""
    words = [match.span() for match in re.finditer(r"\S+", text)]
    begin, end = 0, len(text)
    if len(words) > MAX_WORDS:
        centre = marks[0][0] if marks else 0
        first = next((n for n, (_, stop) in enumerate(words) if stop > centre), 0)
        low = max(0, min(first - MAX_WORDS // 3, len(words) - MAX_WORDS))
        begin, end = words[low][0], words[low + MAX_WORDS - 1][1]
    parts, cursor = [], begin
    for start, stop in marks:
        if start < begin or stop > end:
            continue
        parts += [escape(text[cursor:start]), f"<mark>{escape(text[start:stop])}</mark>"]
        cursor = stop
    parts.append(escape(text[cursor:end]))
    html = "".join(parts)
    return mark_safe(("… " if begin else "") + html + (" …" if end < len(text) else ""))

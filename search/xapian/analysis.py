"""How text is cut into terms: by Xapian's TermGenerator (C++) at index time, and by the same
TermGenerator at query time, one query word at a time, so that both always agree.

- Words are Xapian's: runs of letters and digits, lower-cased, with an apostrophe or a
  decimal point inside kept ("don't", "1.5") and an acronym's dots dropped ("U.K." is
  "uk"), then stemmed with Snowball's English stemmer (as the Tantivy engine does; Whoosh's
  is the older Porter: most stems agree). "hon." is the word "hon".
- Every word is indexed with its position, stop words included: a quoted phrase ("the
  government") means those words in that order, as in the Tantivy engine. Outside phrases a
  query drops Whoosh's stop words and one-letter words (`search.parsing.dropped`), as Whoosh
  does, so `the cost` means `cost`.
- Edge n-gram fields (autocomplete) hold their words whole and are searched by prefix; n-gram
  fields hold every 3 to 15 characters of the lower-cased text, as Whoosh's do.
"""

import re
import threading

import xapian

from ..parsing import NGRAM_SIZES, dropped

# How the query parser cuts words (search.parsing.parser): as TermGenerator does, an
# apostrophe, a dot, an ampersand or a decimal point inside a word keeps it whole ("don't",
# "P&O", "1.5"), and a comma between digits too ("10,000"); a final dot is kept so that
# "U.K." reaches TermGenerator as an acronym.
QUERY_WORDS = r"\w+(?:(?:['’.&]|(?<=\d),(?=\d))\w+)*\.?"
_ACRONYM = re.compile(r"^(?:\w\.)+\w$")
# A "word" this long is an accident (a URL, a table): Xapian's own limit is 245 bytes.
LONGEST_WORD = 100
_local = threading.local()


def generator() -> xapian.TermGenerator:
    """This thread's TermGenerator (not thread-safe), stemming every word, keeping
    positions."""
    made = getattr(_local, "generator", None)
    if made is None:
        made = xapian.TermGenerator()
        made.set_stemmer(xapian.Stem("english"))
        made.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
        made.set_max_word_length(LONGEST_WORD)
        _local.generator = made
    return made


def index_text(document: xapian.Document, text: str, prefix: str) -> None:
    """Add a text's stemmed words, with positions, to `document` under `prefix`."""
    words = generator()
    words.set_document(document)
    words.set_termpos(0)
    words.index_text(text, 1, prefix)
    # Let go of the document: the generator's reference is counted without a lock, and
    # the document goes to another thread to be written (search.xapian.shards.Feed).
    words.set_document(_blank())


def _blank() -> xapian.Document:
    blank = getattr(_local, "blank", None)
    if blank is None:
        blank = _local.blank = xapian.Document()
    return blank


def stems(text: str) -> list[str]:
    """A text's words as the index holds them, stop words kept, in order."""
    scratch = xapian.Document()
    index_text(scratch, text, "")
    positioned = [
        (position, item.term.decode()) for item in scratch.termlist() for position in item.positer
    ]
    return [term for _, term in sorted(positioned)]


def alternatives(word: str) -> list[list[str]]:
    """What a query word may have been indexed as: its terms (`query_terms`), and for a
    dotted word of single letters, both the acronym ("U.K." is "uk") and its letters one
    after the other (TermGenerator cuts a lower-case "p.m." into "p", "m")."""
    terms = query_terms(word)
    if not terms or not _ACRONYM.match(word.rstrip(".")):
        return [terms] if terms else []
    letters = [letter.lower() for letter in word.split(".") if letter]
    return [terms, letters] if letters != terms else [terms]


def query_terms(word: str) -> list[str]:
    """A query word (lower-cased, as the query parser cut it) as the index holds it:
    usually one term, several for a word TermGenerator cuts ("e-mail" reaches here whole
    only if quoted), none for a stop word or a one-letter word, which a query drops as
    Whoosh does."""
    if dropped(word.rstrip(".")):
        return []
    return stems(_as_written(word))


def phrase_stems(words: list[str]) -> list[str]:
    """A quoted phrase's words as the index holds them: stop words kept."""
    return [stem for word in words for stem in stems(_as_written(word))]


def text_stems(text: str) -> list[str]:
    """Every indexed term of a text but stop words and one-letter words, in order (the key
    terms of "more like this")."""
    return [stem for stem in stems(text) if not dropped(stem)]


def _as_written(word: str) -> str:
    """A dotted word of single letters ("u.k", lower-cased by the parser) as the acronym
    it was written as ("U.K.", which TermGenerator indexes as "uk")."""
    return word.rstrip(".").upper() + "." if _ACRONYM.match(word.rstrip(".")) else word


def ngrams(text: str) -> set[str]:
    low, high = NGRAM_SIZES
    text = text.lower()
    return {
        text[start : start + size]
        for size in range(low, high + 1)
        for start in range(len(text) - size + 1)
    }

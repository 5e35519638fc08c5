"""How text is cut into terms, by Tantivy (in Rust) at index time and the same way at query
time: Python never analyses a speech that is being indexed.

- Words are found as Whoosh finds them (its `RegexTokenizer`, `\\w+(\\.?\\w+)*`), so "hon."
  is the word "hon", "U.K." is "u.k" and "1.5" stays whole; lower-cased, then stemmed with
  Tantivy's Snowball English stemmer (Whoosh's is the older Porter: most stems agree).
- Stop words are indexed, with their positions: a quoted phrase ("the government") means
  those words in that order. Whoosh dropped them from the index and from phrases, so its
  "the government" was "government". Outside phrases a query drops Whoosh's stop words and
  one-letter words, as Whoosh does, so `the cost` means `cost`.
- Edge n-gram fields (autocomplete) hold their words whole and are searched by prefix,
  which finds what Whoosh's edge n-grams (2 to 15 letters) found, from a smaller index.
- N-gram fields hold every 3 to 15 characters of the lower-cased text, as Whoosh's do.
"""

from functools import cache

import tantivy
from whoosh.analysis import STOP_WORDS

WORDS_PATTERN = r"\w+(\.?\w+)*"  # Whoosh's RegexTokenizer default
# Tantivy's default cut-off: a "word" this long is an accident (a URL, a table).
LONGEST_WORD = 100
NGRAM_SIZES = (3, 15)  # Whoosh's NGRAM field as Haystack makes it
EDGE_NGRAM_SIZES = (2, 15)  # Whoosh's NGRAMWORDS field as Haystack makes it

# Tokenizer names registered on every opened index.
STEMMED = "chamber_stemmed"
WORDS = "chamber_words"
NGRAMS = "chamber_ngrams"
RAW = "raw"  # Tantivy's own: the whole value as one term

# Dropped from queries outside phrases, as Whoosh's StopFilter drops them (with minsize=2:
# every word of one letter).
QUERY_STOP_WORDS = frozenset(STOP_WORDS)


def _words() -> tantivy.TextAnalyzerBuilder:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORDS_PATTERN))
        .filter(tantivy.Filter.remove_long(LONGEST_WORD))
        .filter(tantivy.Filter.lowercase())
    )


@cache
def stemmed() -> tantivy.TextAnalyzer:
    """The index's analyser for text: every word, lower-cased and stemmed."""
    return _words().filter(tantivy.Filter.stemmer("english")).build()


@cache
def words() -> tantivy.TextAnalyzer:
    """Words lower-cased, not stemmed (edge n-gram fields)."""
    return _words().build()


@cache
def ngrams() -> tantivy.TextAnalyzer:
    low, high = NGRAM_SIZES
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(low, high, False))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def register(index: tantivy.Index) -> None:
    """Make the analysers known to an opened index (Tantivy keeps them per index object)."""
    index.register_tokenizer(STEMMED, stemmed())
    index.register_tokenizer(WORDS, words())
    index.register_tokenizer(NGRAMS, ngrams())


def query_stem(word: str) -> str | None:
    """A query word (lower-cased, as the query parser cut it) as the index holds it, or
    None for a stop word or a one-letter word, which a query drops as Whoosh does."""
    if len(word) < 2 or word in QUERY_STOP_WORDS:
        return None
    stems = stemmed().analyze(word)
    return stems[0] if stems else None


def phrase_stems(words_: list[str]) -> list[str]:
    """A quoted phrase's words as the index holds them: stop words kept."""
    return [stem for word in words_ for stem in stemmed().analyze(word)]


def text_stems(text: str) -> list[str]:
    """Every indexed term of a text but stop words and one-letter words, in order (the key
    terms of "more like this")."""
    return [
        stem
        for word in words().analyze(text)
        if len(word) >= 2 and word not in QUERY_STOP_WORDS
        for stem in stemmed().analyze(word)
    ]

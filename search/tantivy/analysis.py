"""How text is cut into terms, by Tantivy (in Rust) at index time and the same way at query
time: Python never analyses a speech that is being indexed.

- Words are runs of letters and digits (Tantivy's simple tokenizer, more than twice as fast
  as a regular expression), lower-cased, then stemmed with Tantivy's Snowball English
  stemmer (Whoosh's is the older Porter: most stems agree). So "hon." is the word "hon",
  as in Whoosh; "U.K." and "1.5" are two words each (Whoosh kept them whole), and a query
  for them is the phrase of their parts, which finds the same speeches.
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

from ..parsing import NGRAM_SIZES, dropped

# Tantivy's default cut-off: a "word" this long is an accident (a URL, a table).
LONGEST_WORD = 100

# Tokenizer names registered on every opened index.
STEMMED = "chamber_stemmed"
WORDS = "chamber_words"
NGRAMS = "chamber_ngrams"
RAW = "raw"  # Tantivy's own: the whole value as one term


def _words() -> tantivy.TextAnalyzerBuilder:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
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


def query_terms(word: str) -> list[str]:
    """A query word (lower-cased, as the query parser cut it: "u.k" is one) as the index
    holds it: usually one term, several for a dotted word ("u", "k"), none for a stop word
    or a one-letter word, which a query drops as Whoosh does."""
    if dropped(word):
        return []
    return list(stemmed().analyze(word))


def phrase_stems(words_: list[str]) -> list[str]:
    """A quoted phrase's words as the index holds them: stop words kept."""
    return [stem for word in words_ for stem in stemmed().analyze(word)]


def text_stems(text: str) -> list[str]:
    """Every indexed term of a text but stop words and one-letter words, in order (the key
    terms of "more like this")."""
    return [
        stem
        for word in words().analyze(text)
        if not dropped(word)
        for stem in stemmed().analyze(word)
    ]

"""How speech text is cut into searchable words: one analyser for the index (see
`search.whoosh.schema`) and for highlighting (see `snippets`), so that what is
highlighted is exactly what matched."""

from functools import cache

from whoosh.analysis import CompositeAnalyzer, StemmingAnalyzer


@cache
def analyzer() -> CompositeAnalyzer:
    """Words lower-cased, common English words dropped, the rest reduced to their stems:
    "ceasefires" finds "ceasefire"."""
    return StemmingAnalyzer()


def stems(text: str) -> list[str]:
    return [token.text for token in analyzer()(text)]


def spans(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) for each indexed word of `text`, in order."""
    return [
        (token.text, token.startchar, token.endchar)
        for token in analyzer()(text, chars=True, positions=True)
    ]

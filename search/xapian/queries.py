"""Haystack's query strings as Xapian queries.

The strings are parsed by Whoosh's own parser (`search.parsing`), with words cut as Xapian
cuts them (`analysis.QUERY_WORDS`), and each node of the tree is translated into a Xapian
query, its words analysed by the same TermGenerator that indexed them. Everything is built
from terms and value ranges, which Xapian's remote protocol carries: no key makers, match
deciders or posting sources, which a shard served by `xapian-tcpsrv` could not run.

A node Whoosh would have dropped (a stop word outside a phrase, an autocomplete prefix of
one letter) translates to None, and its parent goes on without it, as in Whoosh. Prefixes,
wildcards, fuzzy terms and ranges of words are expanded over the index's own terms (stop
words left out, as Whoosh's index has none), then searched as one synonym.
"""

import datetime
import fnmatch
import re
from typing import Any

import xapian
from haystack.exceptions import SearchBackendError
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from ..parsing import EDGE_NGRAM_SIZES, MATCH_ALL, NGRAM_SIZES, QUERY_STOP_WORDS, unquoted
from ..whoosh.spelling import edit_distance
from . import analysis
from .schema import Field, Layout, boolean_term, date_value, number_value

Q = xapian.Query
ALL = Q.MatchAll
NOTHING = Q.MatchNothing


class Translator:
    """Whoosh query trees into Xapian queries, for one index as `database` sees it."""

    def __init__(self, layout: Layout, whoosh_parser: Any, database: xapian.Database) -> None:
        self.layout, self.parser, self.database = layout, whoosh_parser, database

    def parse(self, query_string: str) -> xapian.Query | None:
        """The query a Haystack query string means; None when every word was dropped."""
        if query_string.strip() in MATCH_ALL:
            return ALL
        return self.translate(self.parser.parse(query_string))

    def translate(self, node: wq.Query) -> xapian.Query | None:
        query = self._translate(node)
        boost = getattr(node, "boost", 1.0)
        if query is not None and boost != 1.0 and not isinstance(node, wq.Every):
            query = Q(Q.OP_SCALE_WEIGHT, query, boost)
        return query

    def _translate(self, node: wq.Query) -> xapian.Query | None:
        if node is wq.NullQuery or isinstance(node, type(wq.NullQuery)):
            return None
        if isinstance(node, wq.Every):
            return ALL
        if isinstance(node, wq.And):
            return self._boolean(must=node.subqueries)
        if isinstance(node, wq.Or):
            return self._boolean(should=node.subqueries)
        if isinstance(node, wq.Not):
            return self._boolean(must=[node])
        if isinstance(node, wq.AndNot):
            return self._boolean(must=[node.a, wq.Not(node.b)])
        if isinstance(node, wq.AndMaybe):
            return self._boolean(must=[node.a], should=[node.b])
        fieldname = getattr(node, "fieldname", None)
        field = self.layout.fields.get(fieldname or "")
        if field is None:
            return NOTHING  # a field this index does not have matches nothing
        query = self._leaf(node, field)
        if query is not None and field.boost != 1.0:  # Whoosh boosts a field at index time
            query = Q(Q.OP_SCALE_WEIGHT, query, field.boost)
        return query

    def _boolean(
        self, must: list[wq.Query] | tuple[()] = (), should: list[wq.Query] | tuple[()] = ()
    ) -> xapian.Query | None:
        musts: list[xapian.Query] = []
        shoulds: list[xapian.Query] = []
        nots: list[xapian.Query] = []
        for sub in must:
            if isinstance(sub, wq.Not):
                if (inner := self.translate(sub.query)) is not None:
                    nots.append(inner)
            elif (query := self.translate(sub)) is not None:
                musts.append(query)
        for sub in should:
            if isinstance(sub, wq.Not):  # "a OR NOT b": everything but b, as one alternative
                if (inner := self.translate(sub.query)) is not None:
                    shoulds.append(Q(Q.OP_AND_NOT, ALL, inner))
            elif (query := self.translate(sub)) is not None:
                shoulds.append(query)
        if not (musts or shoulds or nots):
            return None
        if musts:
            query = musts[0] if len(musts) == 1 else Q(Q.OP_AND, musts)
            if shoulds:
                query = Q(Q.OP_AND_MAYBE, query, _any(shoulds))
        elif shoulds:
            query = _any(shoulds)
        else:
            query = ALL
        if nots:
            query = Q(Q.OP_AND_NOT, query, _any(nots))
        return query

    # -- Leaves -------------------------------------------------------------------------

    def _leaf(self, node: wq.Query, field: Field) -> xapian.Query | None:
        if isinstance(node, wq.Phrase):
            return self._phrase(field, [str(word) for word in node.words], node.slop)
        if isinstance(node, wq.NumericRange):
            return self._numeric_range(node, field)
        if isinstance(node, wq.TermRange):
            return self._term_range(node, field)
        if isinstance(node, wq.FuzzyTerm):
            return self._fuzzy(node, field)
        if isinstance(node, wq.Prefix):
            return self._prefix(field, str(node.text))
        if isinstance(node, wq.Wildcard):
            return self._wildcard(field, str(node.text))
        if isinstance(node, wq.Term):
            return self._term(field, node.text)
        raise SearchBackendError(f"The Xapian engine cannot search for {node!r}.")

    def _value(self, field: Field, text: Any) -> Any:
        """A Whoosh term's value for a non-text field, as Python."""
        whoosh_field = self.parser.schema[field.name]
        if isinstance(text, (bytes, bytearray)):
            return whoosh_field.from_bytes(bytes(text))
        if isinstance(text, str):  # a quoted value (`num__exact` writes `num:("7")`)
            return whoosh_field.from_bytes(whoosh_field.to_bytes(text))
        return text

    def _term(self, field: Field, text: Any) -> xapian.Query | None:
        kind = field.kind
        if kind == "text":
            found = [self._words(field, terms) for terms in analysis.alternatives(str(text))]
            queries = [query for query in found if query is not None]
            return None if not queries else _any(queries)
        if kind == "edge_ngram":
            low, high = EDGE_NGRAM_SIZES
            word = str(text).lower()
            return (
                None if len(word) < low else self._terms(field, self._indexed(field, word[:high]))
            )
        if kind == "ngram":
            return self._ngram(field, str(text))
        if kind in ("exact", "keyword"):
            return Q(field.term(str(text)))
        value = self._value(field, text)
        if kind == "integer":
            return Q(field.term(str(int(value))))
        if kind == "boolean":
            return Q(field.term(boolean_term(bool(value))))
        if kind == "float":
            return _between(field, number_value(float(value)), number_value(float(value)))
        if kind == "date":
            return self._date_range(field, value, value, False, False)
        raise SearchBackendError(f"The Xapian engine cannot look up {kind} values.")

    def _words(self, field: Field, terms: list[str], slop: int = 1) -> xapian.Query | None:
        """One term, or the phrase of several (a quoted phrase, a word Xapian cuts)."""
        if not terms:
            return None
        if len(terms) == 1:
            return Q(field.term(terms[0]))
        # Whoosh's slop 1 is words next to each other: a window as wide as the phrase.
        return Q(Q.OP_PHRASE, [field.term(term) for term in terms], len(terms) + slop - 1)

    def _terms(self, field: Field, terms: list[str]) -> xapian.Query:
        """Any of `terms` (expanded from a prefix, a wildcard...), scored as one word."""
        if not terms:
            return NOTHING
        if len(terms) == 1:
            return Q(field.term(terms[0]))
        return Q(Q.OP_SYNONYM, [field.term(term) for term in terms])

    def _ngram(self, field: Field, word: str) -> xapian.Query | None:
        low, high = NGRAM_SIZES
        word = word.lower()
        if len(word) < low:
            return None
        grams = [word[i : i + high] for i in range(max(1, len(word) - high + 1))]
        queries = [Q(field.term(gram)) for gram in grams]
        return queries[0] if len(queries) == 1 else Q(Q.OP_AND, queries)

    def _phrase(self, field: Field, words: list[str], slop: int) -> xapian.Query | None:
        if field.kind == "text":
            return self._words(field, analysis.phrase_stems(words), slop=max(1, slop))
        if field.kind in ("exact", "keyword"):
            return Q(field.term(" ".join(words)))
        parts = [self._term(field, word) for word in words]
        found = [part for part in parts if part is not None]
        if not found:
            return None
        return found[0] if len(found) == 1 else Q(Q.OP_AND, found)

    # -- Expansions over the index's terms ---------------------------------------------

    def _indexed(self, field: Field, start: str) -> list[str]:
        """The field's terms that start with `start` (without the field's prefix), stop
        words left out of text fields (Whoosh's index has none)."""
        prefix = field.prefix
        terms = []
        for item in self.database.allterms(prefix + start):
            term = item.term.decode("utf-8", "replace")[len(prefix) :]
            if not prefix and term[:1].isupper():
                continue  # the content field has no prefix: skip other fields' terms
            terms.append(term)
        if field.kind == "text":
            terms = [t for t in terms if len(t) >= 2 and t not in QUERY_STOP_WORDS]
        return terms

    def _prefix(self, field: Field, text: str) -> xapian.Query | None:
        if field.kind == "text":  # Whoosh stems a prefix ("governments*" is "govern*")
            stems = analysis.stems(text)
            if not stems:
                return None
            text = stems[0] if len(stems) == 1 else text.lower()
        elif field.kind == "edge_ngram":
            text = text.lower()
        return self._terms(field, self._indexed(field, text))

    def _wildcard(self, field: Field, pattern: str) -> xapian.Query:
        if field.kind in ("text", "edge_ngram"):
            pattern = pattern.lower()
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        matches = re.compile(fnmatch.translate(pattern)).match
        return self._terms(field, [t for t in self._indexed(field, literal) if matches(t)])

    def _fuzzy(self, node: wq.FuzzyTerm, field: Field) -> xapian.Query | None:
        word = str(node.text)
        if field.kind == "text":
            terms = analysis.query_terms(word)
            if len(terms) != 1:  # a stop word, or a word cut in two: not fuzzy
                return self._words(field, terms)
            word = terms[0]
        prefix = word[: node.prefixlength]
        near = [
            term
            for term in self._indexed(field, prefix)
            if edit_distance(term, word, node.maxdist) <= node.maxdist
        ]
        return self._terms(field, near)

    def _term_range(self, node: wq.TermRange, field: Field) -> xapian.Query:
        """A range of words, compared as Whoosh compares its terms (as text)."""
        low, high = (unquoted(bound) for bound in (node.start, node.end))
        if field.kind in ("text", "edge_ngram"):
            low, high = (bound.lower() if bound else bound for bound in (low, high))

        def within(term: str) -> bool:
            if low and (term < low or (node.startexcl and term == low)):
                return False
            return not (high and (term > high or (node.endexcl and term == high)))

        return self._terms(field, [t for t in self._indexed(field, "") if within(t)])

    def _numeric_range(self, node: wq.NumericRange, field: Field) -> xapian.Query:
        if field.kind == "date":
            low, high = (
                None if bound is None else long_to_datetime(bound)
                for bound in (node.start, node.end)
            )
            return self._date_range(field, low, high, node.startexcl, node.endexcl)
        if field.kind not in ("integer", "float"):
            return NOTHING
        low, high = (
            None if bound is None else number_value(float(bound))
            for bound in (node.start, node.end)
        )
        return _between(field, low, high, node.startexcl, node.endexcl)

    def _date_range(
        self,
        field: Field,
        low: datetime.datetime | None,
        high: datetime.datetime | None,
        low_excluded: bool,
        high_excluded: bool,
    ) -> xapian.Query:
        return _between(
            field,
            None if low is None else date_value(low),
            None if high is None else date_value(high),
            low_excluded,
            high_excluded,
        )


def _any(queries: list[xapian.Query]) -> xapian.Query:
    return queries[0] if len(queries) == 1 else Q(Q.OP_OR, queries)


def _between(
    field: Field,
    low: bytes | None,
    high: bytes | None,
    low_excluded: bool = False,
    high_excluded: bool = False,
) -> xapian.Query:
    """The documents whose value in the field's slot is within the bounds (in byte order,
    which is the values' order: `schema`). Xapian's ranges include their bounds; an
    excluded bound is taken out again."""
    if field.slot is None:
        return NOTHING
    slot = field.slot
    if low is not None and high is not None:
        query = Q(Q.OP_VALUE_RANGE, slot, low, high)
    elif low is not None:
        query = Q(Q.OP_VALUE_GE, slot, low)
    elif high is not None:
        query = Q(Q.OP_VALUE_LE, slot, high)
    else:
        query = Q(Q.OP_VALUE_GE, slot, b"")  # any document with a value
    excluded = [
        Q(Q.OP_VALUE_RANGE, slot, bound, bound)
        for bound, out in ((low, low_excluded), (high, high_excluded))
        if out and bound is not None
    ]
    return Q(Q.OP_AND_NOT, query, _any(excluded)) if excluded else query

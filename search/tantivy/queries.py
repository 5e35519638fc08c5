"""Haystack's query strings as Tantivy queries.

Haystack's query strings are parsed by Whoosh's own parser (`search.parsing`), and each node
of the tree is then translated into a Tantivy query, its words analysed by Tantivy as the
index analysed them (`analysis`).

A node Whoosh would have dropped (a stop word outside a phrase, an autocomplete prefix of
one letter) translates to None, and its parent goes on without it, as in Whoosh. Prefixes,
wildcards, fuzzy terms and ranges of words are expanded over the index's own terms (stop
words left out, as Whoosh's index has none), then searched as a set of terms.
"""

import datetime
import fnmatch
import re
from typing import Any

import tantivy
from haystack.exceptions import SearchBackendError
from tantivy import Occur
from tantivy import Query as TQ
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from ..parsing import EDGE_NGRAM_SIZES, MATCH_ALL, NGRAM_SIZES, QUERY_STOP_WORDS, unquoted
from ..whoosh.spelling import edit_distance
from . import analysis
from .schema import Field, Layout, as_utc

FIELD_TYPES = {
    "integer": tantivy.FieldType.Integer,
    "float": tantivy.FieldType.Float,
    "date": tantivy.FieldType.Date,
}
ONE_SECOND = datetime.timedelta(seconds=1)


class Translator:
    """Whoosh query trees into Tantivy queries, for one index and its current searcher."""

    def __init__(self, layout: Layout, whoosh_parser: Any, searcher: tantivy.Searcher) -> None:
        self.layout, self.parser, self.searcher = layout, whoosh_parser, searcher
        self.schema = layout.schema

    def parse(self, query_string: str) -> TQ | None:
        """The query a Haystack query string means; None when every word was dropped."""
        if query_string.strip() in MATCH_ALL:
            return TQ.all_query()
        return self.translate(self.parser.parse(query_string))

    def translate(self, node: wq.Query) -> TQ | None:
        query = self._translate(node)
        boost = getattr(node, "boost", 1.0)
        if query is not None and boost != 1.0 and not isinstance(node, wq.Every):
            query = TQ.boost_query(query, boost)
        return query

    def _translate(self, node: wq.Query) -> TQ | None:
        if node is wq.NullQuery or isinstance(node, type(wq.NullQuery)):
            return None
        if isinstance(node, wq.Every):
            return TQ.all_query()
        if isinstance(node, wq.And):
            return self._boolean([(Occur.Must, sub) for sub in node.subqueries])
        if isinstance(node, wq.Or):
            return self._boolean([(Occur.Should, sub) for sub in node.subqueries])
        if isinstance(node, wq.Not):
            return self._boolean([(Occur.Must, node)])
        if isinstance(node, wq.AndNot):
            return self._boolean([(Occur.Must, node.a), (Occur.Must, wq.Not(node.b))])
        if isinstance(node, wq.AndMaybe):
            return self._boolean([(Occur.Must, node.a), (Occur.Should, node.b)])
        fieldname = getattr(node, "fieldname", None)
        field = self.layout.fields.get(fieldname or "")
        if field is None:
            return TQ.empty_query()  # a field this index does not have matches nothing
        query = self._leaf(node, field)
        if query is not None and field.boost != 1.0:  # Whoosh boosts a field at index time
            query = TQ.boost_query(query, field.boost)
        return query

    def _boolean(self, clauses: list[tuple[Occur, wq.Query]]) -> TQ | None:
        translated: list[tuple[Occur, TQ]] = []
        for occur, sub in clauses:
            if isinstance(sub, wq.Not):
                inner = self.translate(sub.query)
                if inner is None:
                    continue
                if occur == Occur.Must:
                    translated.append((Occur.MustNot, inner))
                else:  # "a OR NOT b": everything but b, as one alternative
                    everything_but = [(Occur.Must, TQ.all_query()), (Occur.MustNot, inner)]
                    translated.append((occur, TQ.boolean_query(everything_but)))
                continue
            query = self.translate(sub)
            if query is not None:
                translated.append((occur, query))
        if not translated:
            return None
        if all(occur == Occur.MustNot for occur, _ in translated):
            translated.insert(0, (Occur.Must, TQ.all_query()))
        if len(translated) == 1 and translated[0][0] != Occur.MustNot:
            return translated[0][1]
        return TQ.boolean_query(translated)

    # -- Leaves -------------------------------------------------------------------------

    def _leaf(self, node: wq.Query, field: Field) -> TQ | None:
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
        raise SearchBackendError(f"The Tantivy engine cannot search for {node!r}.")

    def _value(self, field: Field, text: Any) -> Any:
        """A Whoosh term's value for a non-text field, as Python."""
        if isinstance(text, (bytes, bytearray)):
            return self.parser.schema[field.name].from_bytes(bytes(text))
        if isinstance(text, str):  # a quoted value (`num__exact` writes `num:("7")`)
            return self.parser.schema[field.name].from_bytes(
                self.parser.schema[field.name].to_bytes(text)
            )
        return text

    def _term(self, field: Field, text: Any) -> TQ | None:
        kind = field.kind
        if kind == "text":
            return self._words(field, analysis.query_terms(str(text)))
        if kind == "edge_ngram":
            low, high = EDGE_NGRAM_SIZES
            word = str(text)
            return (
                None
                if len(word) < low
                else self._terms(field.name, self._prefixed(field, word[:high]))
            )
        if kind == "ngram":
            return self._ngram(field, str(text))
        if kind == "date":
            value = self._value(field, text)
            return self._date_range(field, value, value, False, False)
        value = self._value(field, text)
        return self._term_query(field.name, value)

    def _words(self, field: Field, terms: list[str], slop: int = 0) -> TQ | None:
        """One term, or the phrase of several (a dotted word, a quoted phrase)."""
        if not terms:
            return None
        if len(terms) == 1:
            return self._term_query(field.name, terms[0])
        words: list[str | tuple[int, str]] = list(terms)
        return TQ.phrase_query(self.schema, field.name, words, slop=slop)

    def _term_query(self, name: str, value: Any) -> TQ:
        return TQ.term_query(self.schema, name, value)

    def _terms(self, name: str, terms: list[str]) -> TQ:
        """Any of `terms` (expanded from a prefix, a wildcard...)."""
        if not terms:
            return TQ.empty_query()
        if len(terms) == 1:
            return self._term_query(name, terms[0])
        return TQ.term_set_query(self.schema, name, terms)

    def _ngram(self, field: Field, word: str) -> TQ | None:
        low, high = NGRAM_SIZES
        word = word.lower()
        if len(word) < low:
            return None
        grams = [word[i : i + high] for i in range(max(1, len(word) - high + 1))]
        queries = [(Occur.Must, self._term_query(field.name, gram)) for gram in grams]
        return queries[0][1] if len(queries) == 1 else TQ.boolean_query(queries)

    def _phrase(self, field: Field, words: list[str], slop: int) -> TQ | None:
        if field.kind == "text":
            # Whoosh's slop 1 is words next to each other; Tantivy's is 0.
            return self._words(field, analysis.phrase_stems(words), slop=max(0, slop - 1))
        if field.kind in ("exact", "keyword"):
            return self._term_query(field.name, " ".join(words))
        parts = [self._term(field, word) for word in words]
        return self._boolean_of([part for part in parts if part is not None])

    def _boolean_of(self, queries: list[TQ]) -> TQ | None:
        if not queries:
            return None
        if len(queries) == 1:
            return queries[0]
        return TQ.boolean_query([(Occur.Must, query) for query in queries])

    # -- Expansions over the index's terms ---------------------------------------------

    def _indexed_terms(self, field: Field, prefix: str) -> list[str]:
        """The field's terms that start with `prefix`, stop words left out of text fields
        (Whoosh's index has none)."""
        terms = [term for term, _ in self.searcher.terms_with_prefix(field.name, prefix)]
        if field.kind == "text":
            terms = [t for t in terms if len(t) >= 2 and t not in QUERY_STOP_WORDS]
        return terms

    def _prefixed(self, field: Field, prefix: str) -> list[str]:
        return self._indexed_terms(field, prefix)

    def _prefix(self, field: Field, text: str) -> TQ | None:
        if field.kind == "text":  # Whoosh stems a prefix ("governments*" is "govern*")
            stems = analysis.stemmed().analyze(text)
            if not stems:
                return None
            text = stems[0] if len(stems) == 1 else text.lower()
        elif field.kind == "edge_ngram":
            text = text.lower()
        return self._terms(field.name, self._prefixed(field, text))

    def _wildcard(self, field: Field, pattern: str) -> TQ:
        if field.kind in ("text", "edge_ngram"):
            pattern = pattern.lower()
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        matches = re.compile(fnmatch.translate(pattern)).match
        return self._terms(
            field.name, [t for t in self._indexed_terms(field, literal) if matches(t)]
        )

    def _fuzzy(self, node: wq.FuzzyTerm, field: Field) -> TQ | None:
        word = str(node.text)
        if field.kind == "text":
            terms = analysis.query_terms(word)
            if len(terms) != 1:  # a stop word, or a dotted word: not fuzzy
                return self._words(field, terms)
            word = terms[0]
        prefix = word[: node.prefixlength]
        near = [
            term
            for term in self._indexed_terms(field, prefix)
            if edit_distance(term, word, node.maxdist) <= node.maxdist
        ]
        return self._terms(field.name, near)

    def _term_range(self, node: wq.TermRange, field: Field) -> TQ:
        """A range of words, compared as Whoosh compares its terms (as text)."""
        low, high = (unquoted(bound) for bound in (node.start, node.end))
        if field.kind in ("text", "edge_ngram"):
            low, high = (bound.lower() if bound else bound for bound in (low, high))

        def within(term: str) -> bool:
            if low and (term < low or (node.startexcl and term == low)):
                return False
            return not (high and (term > high or (node.endexcl and term == high)))

        return self._terms(field.name, [t for t in self._indexed_terms(field, "") if within(t)])

    def _numeric_range(self, node: wq.NumericRange, field: Field) -> TQ:
        if field.kind == "date":
            low, high = (
                None if bound is None else long_to_datetime(bound)
                for bound in (node.start, node.end)
            )
            return self._date_range(field, low, high, node.startexcl, node.endexcl)
        if field.kind not in FIELD_TYPES:
            return TQ.empty_query()
        return TQ.range_query(
            self.schema,
            field.name,
            FIELD_TYPES[field.kind],
            node.start,
            node.end,
            include_lower=node.start is None or not node.startexcl,
            include_upper=node.end is None or not node.endexcl,
        )

    def _date_range(
        self,
        field: Field,
        low: datetime.datetime | None,
        high: datetime.datetime | None,
        low_excluded: bool,
        high_excluded: bool,
    ) -> TQ:
        """Dates between two instants. The index holds whole seconds (Tantivy's default
        precision), so the bounds are turned into whole seconds that keep the same
        documents: an inclusive upper bound at 10:00:00.999999 is 10:00:00."""
        if low is not None:
            floor = low.replace(microsecond=0)
            if floor != low:  # documents from the next whole second
                low, low_excluded = floor + ONE_SECOND, False
        if high is not None:
            floor = high.replace(microsecond=0)
            if floor != high:
                high, high_excluded = floor, False
        return TQ.range_query(
            self.schema,
            field.name,
            tantivy.FieldType.Date,
            None if low is None else as_utc(low),
            None if high is None else as_utc(high),
            include_lower=low is None or not low_excluded,
            include_upper=high is None or not high_excluded,
        )

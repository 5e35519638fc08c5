"""What Chamber's engines other than Whoosh (Tantivy, Xapian) share to answer as the Whoosh
engine does: Haystack's query strings parsed by Whoosh's own parser, the words a query drops,
and the key terms of "more like this".

Haystack's query class writes Whoosh's query syntax (every engine uses the same class,
`search.whoosh.lookups.SearchQuery`), so the strings are parsed by Whoosh's parser over the
Whoosh schema of the same fields (`search.whoosh.schema.build_schema`): every lookup, range,
date and boolean is read exactly as the Whoosh engine reads it. Text fields are parsed with
an analyser that only cuts and lower-cases words; each engine's translator analyses them as
its index did.
"""

import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model
from django.utils.encoding import force_str
from haystack.constants import DJANGO_CT
from haystack.fields import SearchField
from haystack.utils import get_model_ct
from whoosh.analysis import STOP_WORDS, LowercaseFilter, RegexTokenizer
from whoosh.fields import NGRAM, NGRAMWORDS, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, QueryParser

from .whoosh.schema import build_schema

MATCH_ALL = ("*", "*:*")
WORDS_PATTERN = r"\w+(\.?\w+)*"  # Whoosh's RegexTokenizer default: how queries are parsed
# Dropped from queries outside phrases, as Whoosh's StopFilter drops them (with minsize=2:
# every word of one letter).
QUERY_STOP_WORDS = frozenset(STOP_WORDS)
NGRAM_SIZES = (3, 15)  # Whoosh's NGRAM field as Haystack makes it
EDGE_NGRAM_SIZES = (2, 15)  # Whoosh's NGRAMWORDS field as Haystack makes it
# "More like this": the key terms searched for (Whoosh's default), from how many candidates.
MLT_TERMS = 5
MLT_CANDIDATE_TERMS = 20


def parser(search_fields: dict[str, SearchField], words: str = WORDS_PATTERN) -> QueryParser:
    """Whoosh's parser over the fields' Whoosh schema, text fields only cut into `words`
    and lower-cased."""
    content_field, schema = build_schema(search_fields)
    cut = RegexTokenizer(words) | LowercaseFilter()
    fields = {
        name: TEXT(analyzer=cut) if isinstance(field, (TEXT, NGRAM, NGRAMWORDS)) else field
        for name, field in schema.items()
    }
    whoosh_parser = QueryParser(content_field, schema=Schema(**fields))
    whoosh_parser.add_plugins([FuzzyTermPlugin])  # "word~2/3", as Haystack's fuzzy writes
    return whoosh_parser


def narrowing(
    backend: Any,
    narrow_queries: Iterable[str] | None,
    models: Iterable[type[Model]] | None,
    limit_to_registered_models: bool | None,
) -> list[str]:
    """The query strings a search is narrowed by (facet selections, and the models asked
    for or registered), in a stable order: each engine adds them as filters that must
    match and add nothing to the score."""
    narrow = {force_str(query) for query in narrow_queries or ()}
    if limit_to_registered_models is None:
        from django.conf import settings

        limit_to_registered_models = getattr(settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True)
    if models:
        model_choices = sorted(get_model_ct(model) for model in models)
    elif limit_to_registered_models:
        model_choices = backend.build_models_list()
    else:
        model_choices = []
    if model_choices:
        narrow.add(" OR ".join(f"{DJANGO_CT}:{ct}" for ct in model_choices))
    return sorted(narrow)


def warn_of_query_facets(query_facets: object) -> None:
    """Query facets are not counted, as in the Whoosh engines, so that code moves between
    engines; a warning says so."""
    if query_facets:
        warnings.warn(
            "Query facets are not counted: Whoosh does not handle query faceting,"
            " and this engine answers as Chamber's Whoosh engine does.",
            Warning,
            stacklevel=3,
        )


def dropped(word: str) -> bool:
    """A query word Whoosh leaves out (outside a phrase): a stop word, or one letter."""
    return len(word) < 2 or word in QUERY_STOP_WORDS


def unquoted(bound: str | None) -> str | None:
    """A range bound as written (Haystack quotes them: `name:["delta" TO "india"]`)."""
    if bound is None:
        return None
    bound = str(bound)
    if len(bound) >= 2 and bound[0] == bound[-1] == '"':
        return bound[1:-1]
    return bound or None


def key_terms(
    stems: Iterable[str], frequency: Callable[[str], int], documents: int
) -> list[tuple[str, float]]:
    """Whoosh's `key_terms_from_text` (Bo1, normalised) over a text's `stems`, with document
    frequencies for collection frequencies (neither Tantivy nor a Xapian shard keeps those
    across shards), keeping words some other document has: a name or a slip found nowhere
    else would take a key term's place and find nothing."""
    in_text = Counter(stems)
    total = sum(in_text.values())
    if not total or not documents:
        return []

    def bo1(weight: float, frequency: float) -> float:
        f = frequency / documents
        return weight * math.log2((1.0 + f) / f) + math.log2(1.0 + f)

    scored = []
    frequencies = {}
    for word, weight in in_text.items():
        found = frequency(word)
        if found:
            frequencies[word] = found
            scored.append((bo1(weight, found), word))
    if not scored:
        return []
    top = max(score for score, _ in scored)
    norm = bo1(top, top) if top else 1.0
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda x: (-x[0], x[1]))
    return [
        (word, weight) for weight, word in ranked[:MLT_CANDIDATE_TERMS] if frequencies[word] > 1
    ][:MLT_TERMS]

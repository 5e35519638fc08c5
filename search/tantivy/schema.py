"""Haystack's search fields as Tantivy fields, and documents for them.

Each Haystack field gets one Tantivy field of a kind (below) that answers every lookup the
Whoosh engine answers on it. Only the identifier is stored: results load from the
database. Facets and sorting read fast fields (Tantivy's columns), never stored values:

- text (`CharField`, the document field, `LocationField`): stemmed words with positions;
  every text field but the document field also gets a sort copy (`<name>__sort`, the whole
  value), as Whoosh makes them sortable.
- exact (a faceted `CharField`'s `_exact` twin, `FacetCharField`): the whole value as one
  term, in a fast column (facets count whole values, as Chamber's Whoosh engine does);
- keyword (`MultiValueField`): each value one term, fast (a facet counts each value);
- integer, float, boolean, date (dates and datetimes): indexed and fast;
- edge n-gram and n-gram (autocomplete): see `analysis`.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tantivy
from django.utils.encoding import force_str
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from haystack.fields import FacetField, SearchField

from . import analysis

SORT_SUFFIX = "__sort"
# Kinds whose string values are indexed as given.
WHOLE_TEXT = frozenset({"text", "exact", "edge_ngram", "ngram"})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, exact, keyword, integer, float, boolean, date, edge_ngram, ngram
    boost: float = 1.0
    sort_copy: bool = False  # text with a fast copy of the whole value, to sort by

    @property
    def sort_name(self) -> str:
        return self.name + SORT_SUFFIX if self.sort_copy else self.name

    @property
    def fast(self) -> bool:
        return self.kind not in ("text", "edge_ngram", "ngram") or self.sort_copy


@dataclass(frozen=True)
class Layout:
    """The Tantivy schema of a unified index, and what each field is."""

    schema: tantivy.Schema
    fields: dict[str, Field]
    content_field: str


def build(search_fields: dict[str, SearchField]) -> Layout:
    fields = {
        ID: Field(ID, "exact"),
        DJANGO_CT: Field(DJANGO_CT, "exact"),
        DJANGO_ID: Field(DJANGO_ID, "exact"),
    }
    content_field = ""
    for search_field in search_fields.values():
        field = _field(search_field)
        fields[field.name] = field
        if search_field.document:
            content_field = field.name
    if not content_field:
        raise SearchBackendError("No field has document=True: Haystack needs one.")
    builder = tantivy.SchemaBuilder()
    for field in fields.values():
        _add(builder, field, stored=field.name == ID)
    return Layout(builder.build(), fields, content_field)


def _field(search_field: SearchField) -> Field:
    name, kind, boost = search_field.index_fieldname, search_field.field_type, search_field.boost
    if search_field.is_multivalued:
        return Field(name, "keyword", boost)
    if isinstance(search_field, FacetField) and kind == "string":
        return Field(name, "exact", boost)
    if kind in ("date", "datetime"):
        return Field(name, "date", boost)
    if kind in ("integer", "float", "boolean", "edge_ngram", "ngram"):
        return Field(name, kind, boost)
    # "string" and "location" (a location is its text, as in the Whoosh engines)
    return Field(name, "text", boost, sort_copy=not search_field.document)


def _add(builder: tantivy.SchemaBuilder, field: Field, *, stored: bool) -> None:
    name = field.name
    if field.kind == "text":
        builder.add_text_field(name, tokenizer_name=analysis.STEMMED, index_option="position")
        if field.sort_copy:
            builder.add_text_field(field.sort_name, fast=True, tokenizer_name=analysis.RAW)
    elif field.kind in ("exact", "keyword"):
        builder.add_text_field(
            name, stored=stored, fast=True, tokenizer_name=analysis.RAW, index_option="freq"
        )
    elif field.kind == "edge_ngram":
        builder.add_text_field(name, tokenizer_name=analysis.WORDS, index_option="freq")
    elif field.kind == "ngram":
        builder.add_text_field(name, tokenizer_name=analysis.NGRAMS, index_option="freq")
    elif field.kind == "integer":
        builder.add_integer_field(name, indexed=True, fast=True)
    elif field.kind == "float":
        builder.add_float_field(name, indexed=True, fast=True)
    elif field.kind == "boolean":
        builder.add_boolean_field(name, indexed=True, fast=True)
    elif field.kind == "date":
        builder.add_date_field(name, indexed=True, fast=True)
    else:  # pragma: no cover - every kind is listed above
        raise SearchBackendError(f"No Tantivy field for {field.kind!r}")


# -- Values ------------------------------------------------------------------------------


def as_utc(value: datetime.date) -> datetime.datetime:
    """A date or datetime as the index holds it: its wall time, as UTC (Whoosh keeps the
    wall time and drops the zone; Haystack writes query values the same way)."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=datetime.UTC)


def document(layout: Layout, prepared: dict[str, Any]) -> tantivy.Document:
    """A Tantivy document from `SearchIndex.full_prepare`'s values (None values left out)."""
    values: dict[str, Any] = {}
    fields = layout.fields
    for name, value in prepared.items():
        field = fields.get(name)
        if field is None or value is None:
            continue
        if type(value) is str and field.kind in WHOLE_TEXT:  # most values: as they are
            if not value and field.kind == "exact":
                continue  # no value: counted in no facet, as in the Whoosh engine
            converted: Any = value
        else:
            converted = _converted(field, value)
            if converted is None:
                continue
        values[name] = converted
        if field.sort_copy:
            values[field.sort_name] = converted
    return tantivy.Document.from_dict(values, layout.schema)


def _converted(field: Field, value: Any) -> Any:
    kind = field.kind
    if kind == "keyword":  # each value a term; "a,b" is two, as Whoosh's KEYWORD splits
        items = value if isinstance(value, (list, tuple, set)) else [value]
        terms = list(dict.fromkeys(_split_commas(items)))
        return terms or None
    if kind == "integer":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return as_utc(value) if hasattr(value, "year") else None
    text = force_str(value)
    if kind == "exact" and not text:
        return None  # no value: counted in no facet, as in the Whoosh engine
    return text


def _split_commas(items: Iterable[Any]) -> Iterable[str]:
    for item in items:
        for part in force_str(item).split(","):
            if part := part.strip():
                yield part

"""Haystack's search fields as Xapian terms and values, and documents for them.

Each Haystack field gets a term prefix (the document field none, others `X<NAME>:`; the
identifier `Q`, as xapian-haystack has it) and, where facets, sorting or ranges read it, a
value slot. Slots are numbered in the order of the fields' names, so every process (and
every shard) agrees. Only the identifier is stored (as the document's data): results load
from the database.

- text (`CharField`, the document field, `LocationField`): stemmed words with positions
  (`analysis`); every text field but the document field also keeps its whole value in a slot,
  to sort by (as Whoosh makes text sortable).
- exact (a faceted `CharField`'s `_exact` twin, `FacetCharField`): the whole value as one
  term, and in a slot (facets count whole values, as Chamber's Whoosh engine does).
- keyword (`MultiValueField`): each value a term; the slot holds the document's values
  joined by FS (U+001F): a facet counts each combination over every match, then each value.
- integer, boolean: a term and a slot; float and date: a slot (compared as ranges). Numbers
  are `sortable_serialise`d, dates written `%Y%m%d%H%M%S%f` (their wall time), so that the
  byte order of values is their order.
- edge n-gram (autocomplete): words whole, lower-cased, searched by prefix; n-gram: every 3
  to 15 characters (`analysis`).
"""

import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import xapian
from django.utils.encoding import force_str
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from haystack.fields import FacetField, SearchField
from xapian_backend import TERM_PREFIXES

from ..parsing import EDGE_NGRAM_SIZES
from . import analysis

LONGEST_TERM = 240  # bytes: Xapian refuses terms over 245
SEPARATOR = "\x1f"  # between a multi-valued field's values in its slot
DATE_FORMAT = "%Y%m%d%H%M%S%f"
_WORDS = re.compile(r"\w+")
EDGE_LONGEST = EDGE_NGRAM_SIZES[1]
SLOTTED = frozenset({"exact", "keyword", "integer", "float", "boolean", "date"})
RESERVED = frozenset({ID, DJANGO_CT, DJANGO_ID})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, exact, keyword, integer, float, boolean, date, edge_ngram, ngram
    prefix: str
    slot: int | None = None  # a value slot: facets, sorting, ranges
    boost: float = 1.0

    def term(self, value: str) -> str:
        """The field's term for a value: the prefix and the value, or, for a value too long
        for a Xapian term (245 bytes), its beginning and a checksum of the whole (the same
        at index and query time)."""
        term = self.prefix + value
        if len(term.encode()) <= LONGEST_TERM:
            return term
        digest = hashlib.sha1(value.encode()).hexdigest()[:16]
        head = term.encode()[: LONGEST_TERM - len(digest) - 1].decode(errors="ignore")
        return f"{head}#{digest}"


@dataclass(frozen=True)
class Layout:
    """What each field of a unified index is, in terms and slots."""

    fields: dict[str, Field]
    content_field: str


def build(search_fields: dict[str, SearchField]) -> Layout:
    kinds = {ID: ("exact", 1.0), DJANGO_CT: ("exact", 1.0), DJANGO_ID: ("exact", 1.0)}
    content_field = ""
    for search_field in search_fields.values():
        kinds[search_field.index_fieldname] = (_kind(search_field), search_field.boost)
        if search_field.document:
            content_field = search_field.index_fieldname
    if not content_field:
        raise SearchBackendError("No field has document=True: Haystack needs one.")
    fields = {}
    slot = 0
    for name in sorted(kinds):
        kind, boost = kinds[name]
        # Haystack's own fields (identifier, model, primary key) are looked up, never
        # counted or sorted by: terms only (each value slot costs every write).
        slotted = name not in RESERVED and (
            kind in SLOTTED or (kind == "text" and name != content_field)
        )
        fields[name] = Field(
            name, kind, _prefix(name, content_field), slot if slotted else None, boost
        )
        slot += slotted
    return Layout(fields, content_field)


def _kind(search_field: SearchField) -> str:
    kind = search_field.field_type
    if search_field.is_multivalued:
        return "keyword"
    if isinstance(search_field, FacetField) and kind == "string":
        return "exact"
    if kind in ("date", "datetime"):
        return "date"
    if kind in ("integer", "float", "boolean", "edge_ngram", "ngram"):
        return str(kind)
    return "text"  # "string" and "location" (a location is its text, as in Whoosh)


def _prefix(name: str, content_field: str) -> str:
    if name == ID:
        return str(TERM_PREFIXES[ID])
    if name == content_field:
        return ""
    return f"X{name.upper()}:"


# -- Values ------------------------------------------------------------------------------


def wall_time(value: datetime.date) -> datetime.datetime:
    """A date or datetime as the index holds it: its wall time, no zone (as Whoosh keeps it;
    Haystack writes query values the same way)."""
    if not isinstance(value, datetime.datetime):
        return datetime.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=None)


def date_value(value: datetime.date) -> bytes:
    t = wall_time(value)  # written out: strftime does not pad years before 1000
    return (
        f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"
        f"{t.microsecond:06d}"
    ).encode()


def read_date(value: bytes) -> datetime.datetime:
    return datetime.datetime.strptime(value.decode(), DATE_FORMAT)


def number_value(value: float) -> bytes:
    return bytes(xapian.sortable_serialise(value))


def boolean_term(value: bool) -> str:
    return "t" if value else "f"


def document(layout: Layout, prepared: dict[str, Any]) -> tuple[xapian.Document, str]:
    """A Xapian document from `SearchIndex.full_prepare`'s values (None values left out),
    and its identifier term (for replacing and deleting it)."""
    doc = xapian.Document()
    identifier = force_str(prepared[ID])
    doc.set_data(identifier)
    fields = layout.fields
    for name, value in prepared.items():
        field = fields.get(name)
        if field is None or value is None:
            continue
        _add(doc, field, value)
    return doc, fields[ID].term(identifier)


def _add(doc: xapian.Document, field: Field, value: Any) -> None:
    kind = field.kind
    if kind == "text":
        text = force_str(value)
        analysis.index_text(doc, text, field.prefix)
        if field.slot is not None:
            doc.add_value(field.slot, text)
    elif kind == "exact":
        text = force_str(value)
        if text:  # no value: counted in no facet, as in the Whoosh engine
            doc.add_boolean_term(field.term(text))
            if field.slot is not None:
                doc.add_value(field.slot, text)
    elif kind == "keyword":  # each value a term; "a,b" is two, as Whoosh's KEYWORD splits
        items = value if isinstance(value, (list, tuple, set)) else [value]
        terms = sorted(set(_split_commas(items)))
        for term in terms:
            doc.add_boolean_term(field.term(term))
        if terms:
            doc.add_value(field.slot, SEPARATOR.join(terms))
    elif kind in ("integer", "float"):
        number = int(value) if kind == "integer" else float(value)
        if kind == "integer":
            doc.add_boolean_term(field.term(str(number)))
        doc.add_value(field.slot, number_value(number))
    elif kind == "boolean":
        doc.add_boolean_term(field.term(boolean_term(bool(value))))
        doc.add_value(field.slot, boolean_term(bool(value)))
    elif kind == "date":
        if hasattr(value, "year"):
            doc.add_value(field.slot, date_value(value))
    elif kind == "edge_ngram":  # a query reads a word's first 15 letters, as Whoosh keeps
        for word in {w[:EDGE_LONGEST] for w in _WORDS.findall(force_str(value).lower())}:
            doc.add_boolean_term(field.term(word))
    elif kind == "ngram":
        for gram in analysis.ngrams(force_str(value)):
            doc.add_boolean_term(field.term(gram))
    else:  # pragma: no cover - every kind is listed above
        raise SearchBackendError(f"No Xapian field for {kind!r}")


def _split_commas(items: Iterable[Any]) -> Iterable[str]:
    for item in items:
        for part in force_str(item).split(","):
            if part := part.strip():
                yield part

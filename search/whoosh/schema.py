"""Haystack's search fields as Whoosh fields: the stock engine's mapping (so every field
type, lookup and facet behaves as Haystack documents it), with three deliberate changes.

- Nothing is stored but Haystack's identifiers: results load from the database, which
  halves the index and keeps one copy of each speech.
- The document field has no sortable copy (Haystack keeps one: 81 MB of 346 MB at 100k
  speeches), and no per-document spelling field: the vocabulary is kept beside the index
  (`spelling`).
- Facet fields of text are single exact values in sortable columns (`ID`): the stock
  engine analysed them, so facets came back stemmed ("conserv") and "Liberal Democrat"
  counted under "liber" and "democrat". Every other facet type keeps its stock field type,
  with a column to count and sort from.
"""

from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from haystack.fields import FacetField, SearchField
from whoosh import query as whoosh_query
from whoosh.columns import NumericColumn
from whoosh.fields import (
    BOOLEAN,
    IDLIST,
    KEYWORD,
    NGRAM,
    NGRAMWORDS,
    NUMERIC,
    TEXT,
    FieldType,
    Schema,
)
from whoosh.fields import DATETIME as WHOOSH_DATETIME
from whoosh.fields import ID as WHOOSH_ID
from whoosh.util.times import datetime_to_long

from ..analysis import analyzer

MISSING_FLOAT = 2**64 - 1  # a float column's raw value for a document without one


def build_schema(fields: dict[str, SearchField]) -> tuple[str, Schema]:
    """(the document field's name, the schema) for a unified index's fields."""
    schema_fields: dict[str, FieldType] = {
        ID: WHOOSH_ID(stored=True, unique=True),
        DJANGO_CT: WHOOSH_ID(stored=True),
        DJANGO_ID: WHOOSH_ID(stored=True),
    }
    content_field_name = ""
    for field in fields.values():
        schema_fields[field.index_fieldname] = whoosh_field(field)
        if field.document:
            content_field_name = field.index_fieldname
    if not content_field_name:
        raise SearchBackendError("No field has document=True: Haystack needs one.")
    return content_field_name, Schema(**schema_fields)


def whoosh_field(field: SearchField) -> FieldType:
    boost = field.boost
    kind = field.field_type
    if field.is_multivalued:  # "a,b,c": each value its own term, as the stock engine does
        if field.indexed is False:
            return IDLIST(field_boost=boost)
        return KEYWORD(commas=True, scorable=True, field_boost=boost)
    if isinstance(field, FacetField) and kind == "string":
        return WHOOSH_ID(sortable=True)
    if kind in ("date", "datetime"):
        return DATETIME(sortable=True)
    if kind == "integer":
        return NUMERIC(numtype=int, field_boost=boost, sortable=True)
    if kind == "float":
        return sortable_float(field_boost=boost)
    if kind == "boolean":
        return BOOLEAN()  # Whoosh takes no boost on BOOLEAN
    if kind == "ngram":
        return NGRAM(minsize=3, maxsize=15, field_boost=boost)
    if kind == "edge_ngram":
        return NGRAMWORDS(minsize=2, maxsize=15, at="start", field_boost=boost)
    # "string" and "location" (Whoosh has no geometry: a location is its text, as in stock)
    return TEXT(
        analyzer=field.analyzer or analyzer(),
        field_boost=boost,
        sortable=not field.document,  # other text fields sort as in the stock engine
    )


def sortable_float(field_boost: float = 1.0) -> NUMERIC:
    """A float field with a column. Whoosh's own float column cannot be created (its
    default, NaN, does not pack into the column's unsigned integers): the largest value
    marks "none" instead."""
    field_type = NUMERIC(numtype=float, field_boost=field_boost)
    field_type.set_sortable(NumericColumn("Q", default=MISSING_FLOAT))
    return field_type


class DATETIME(WHOOSH_DATETIME):  # type: ignore[misc]  # Whoosh is untyped
    """Whoosh's date field, keeping a range's exclusive bounds: Whoosh's own dropped them,
    so `day__gt=d` (written `{d to}`) found d too. An exclusive bound excludes that instant;
    an inclusive one takes in the whole of what was written (a day: all of it), as before."""

    def parse_range(
        self,
        fieldname: str,
        start: str | None,
        end: str | None,
        startexcl: bool,
        endexcl: bool,
        boost: float = 1.0,
    ) -> whoosh_query.Query:
        if start is None and end is None:
            return whoosh_query.Every(fieldname, boost=boost)
        low = high = None
        if start is not None:
            low = datetime_to_long(self._parse_datestring(start).floor())
        if end is not None:
            at = self._parse_datestring(end)
            high = datetime_to_long(at.floor() if endexcl else at.ceil())
        return whoosh_query.NumericRange(
            fieldname, low, high, startexcl=startexcl, endexcl=endexcl, boost=boost
        )

"""Haystack's `highlight()` for Chamber's engines, which store no text: each result's text is
read from the database and prepared by its index as it was indexed, then marked as
Haystack's stock Whoosh engine marks it (Whoosh's highlighter, `<em>`), whatever engine
found it."""

from typing import Any

from django.db.models import Model
from django.utils.encoding import force_str
from haystack.backends.whoosh_backend import WhooshHtmlFormatter
from haystack.exceptions import SkipDocument
from haystack.indexes import SearchIndex
from whoosh.analysis import StemmingAnalyzer
from whoosh.highlight import ContextFragmenter
from whoosh.highlight import highlight as whoosh_highlight


def highlight(results: list[Any], query_string: str, *, alias: str, field: str) -> None:
    """Set each result's `highlighted` ({field: [marked fragment]}), one query per model."""
    from haystack import connections

    unified_index = connections[alias].get_unified_index()
    analyzer = StemmingAnalyzer()
    terms = [token.text for token in analyzer(query_string)]
    by_model: dict[type[Model], list[Any]] = {}
    for result in results:
        by_model.setdefault(result.model, []).append(result)
    for model, model_results in by_model.items():
        index = unified_index.get_index(model)
        objects = index.read_queryset(using=alias).in_bulk([r.pk for r in model_results])
        for result in model_results:
            obj = objects.get(model._meta.pk.to_python(result.pk))
            text = text_of(index, obj, field) if obj is not None else ""
            marked = whoosh_highlight(
                text, terms, analyzer, ContextFragmenter(), WhooshHtmlFormatter("em")
            )
            result.highlighted = {field: [marked]}


def text_of(index: SearchIndex, obj: Model, field: str) -> str:
    """The text of `obj`'s document field as its index prepares it ("" if it is skipped)."""
    try:
        return force_str(index.full_prepare(obj).get(field) or "")
    except SkipDocument:
        return ""

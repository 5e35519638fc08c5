"""One pass per search: the collector that ranks or sorts the page also visits and records
every match, so the total and the facet counts are exact and cost no second pass."""

from typing import Any

from whoosh.collectors import Collector, ScoredCollector, WrappingCollector
from whoosh.query import Query
from whoosh.searching import SearchContext, Searcher


class RecordingCollector(WrappingCollector):  # type: ignore[misc]  # Whoosh is untyped
    """Passes every match on to the collector it wraps, and records its global number."""

    def prepare(self, top_searcher: Searcher, q: Query, context: SearchContext) -> None:
        self.docs: list[int] = []
        super().prepare(top_searcher, q, context)

    def collect(self, sub_docnum: int) -> Any:
        self.docs.append(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


def exhaustive(collector: Collector) -> Collector:
    """`collector` made to visit every match. Whoosh's scored collector otherwise replaces
    a matcher by nothing once no document left in it can reach the top N: right for the
    page, but the total and the facet counts then missed those documents ("housing OR
    schools" counted 1,862 of 28,430 matches at 100k speeches)."""
    inner = collector
    while isinstance(inner, WrappingCollector):
        inner = inner.child
    if isinstance(inner, ScoredCollector):
        inner.replace = 0
    return collector

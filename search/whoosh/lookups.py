"""Haystack's lookups written as Whoosh query text: Haystack's `WhooshSearchQuery`, right
where it writes a query Whoosh cannot answer.

- `__exact` on a date or datetime was written as a quoted phrase
  (`day:("2024-03-01 00:00:00")`), which matches nothing in a date field: it is written as
  the date itself (`day:(20240301000000)`), as a plain filter writes it.
- `__exact` and `__in` on a boolean were written as quoted phrases (`flag:("true")`), which
  Whoosh's boolean field cannot parse ("has no analyzer"): they are written bare.

(`__gt` and `__lt` on dates lost their exclusive bound in Whoosh's date field itself; see
`schema.DATETIME`.)

And "more like this" is asked for the slice wanted: Haystack's `run_mlt` passed no offsets,
so `more_like_this(speech)[:5]` built (and `load_all()` loaded) every match.
"""

from typing import Any

from haystack.backends.whoosh_backend import WhooshSearchQuery


class SearchQuery(WhooshSearchQuery):  # type: ignore[misc]  # Haystack is untyped
    def build_query_fragment(self, field: str, filter_type: str, value: Any) -> str:
        if not hasattr(value, "input_type_name"):  # a plain Python value, not Raw or Exact
            if filter_type == "exact" and (hasattr(value, "strftime") or isinstance(value, bool)):
                filter_type = "content"  # one term, not a phrase
            elif filter_type == "in":
                values = list(value)
                if values and all(isinstance(v, bool) for v in values):
                    terms = " OR ".join(self.backend._from_python(v) for v in values)
                    return f"{self._prefix(field)}({terms})"
        return str(super().build_query_fragment(field, filter_type, value))

    def run_mlt(self, **kwargs: Any) -> None:
        kwargs.setdefault("start_offset", self.start_offset)
        kwargs.setdefault("end_offset", self.end_offset)
        super().run_mlt(**kwargs)

    def _prefix(self, field: str) -> str:
        from haystack import connections

        if field == "content":
            return ""
        unified_index = connections[self._using].get_unified_index()
        return f"{unified_index.get_index_fieldname(field)}:"

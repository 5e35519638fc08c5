from django import forms
from haystack.query import SearchQuerySet

MAX_QUERY_LENGTH = 500


class QueryField(forms.CharField):
    """Free text with control characters dropped before validation: they mean nothing to a
    search, and a NUL byte would otherwise be refused outright."""

    def to_python(self, value):
        value = super().to_python(value)
        cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
        return " ".join(cleaned.split())


class SpeechSearchForm(forms.Form):
    q = QueryField(
        label="Search speeches",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": "Please shorten your search to %(limit_value)d characters."},
    )

    def search(self) -> SearchQuerySet:
        """Matching speeches, best first; with no query, every speech, newest first."""
        query = self.cleaned_data.get("q", "")
        results = SearchQuerySet().load_all()
        if query:
            return results.auto_query(query).highlight()
        return results.all().order_by("-date")

from django import forms
from haystack.query import SearchQuerySet

MAX_QUERY_LENGTH = 500


class SpeechSearchForm(forms.Form):
    q = forms.CharField(
        label="Search speeches",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": "Please shorten your search to %(limit_value)d characters."},
    )

    def clean_q(self):
        # Control characters mean nothing to a search and upset some query parsers.
        query = "".join(ch for ch in self.cleaned_data["q"] if ch.isprintable() or ch == " ")
        return " ".join(query.split())

    def search(self) -> SearchQuerySet:
        """Matching speeches, best first; with no query, every speech, newest first."""
        query = self.cleaned_data.get("q", "")
        results = SearchQuerySet().load_all()
        if query:
            return results.auto_query(query).highlight()
        return results.all().order_by("-date")

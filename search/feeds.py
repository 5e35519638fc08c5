"""The Atom feed of any search (`/search/feed/?q=...`, the search page's parameters): its
newest matching speeches, found through `SpeechSearchForm` like the page."""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from debates.feeds import FEED_ENTRIES, SpeechEntries, entry_id
from debates.models import Speech

from .forms import SpeechSearchForm
from .views import refused


class SearchFeed(SpeechEntries):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SpeechSearchForm(request.GET)
        if not form.is_valid():
            return refused(f"There is no feed for this search: {form.problems}")
        self.form = form
        response: HttpResponse = super().__call__(request, *args, **kwargs)
        return response

    def _query(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("sort", None)
        return query.urlencode()

    def title(self) -> str:
        words: str = self.form.cleaned_data["q"]
        return f"Speeches matching “{words}” · Chamber" if words else "New speeches · Chamber"

    def subtitle(self) -> str:
        return "The newest speeches this search finds, newest first."

    def link(self) -> str:
        return f"{reverse('search:results')}?{self._query()}"

    def feed_guid(self) -> str:
        return (
            entry_id(self.request, "search", 0) + "?" + urlencode(sorted(self.request.GET.items()))
        )

    def items(self) -> list[Speech]:
        results = self.form.filtered(sort="newest")[:FEED_ENTRIES]
        ids = [int(result.pk) for result in results]
        loaded = Speech.objects.with_context().in_bulk(ids)
        return [loaded[pk] for pk in ids if pk in loaded]


def search_feed(request: HttpRequest) -> HttpResponse:
    """A feed object per request: it keeps the request and the form while it writes."""
    return SearchFeed()(request)

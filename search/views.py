from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from debates.choices import House
from debates.models import Debate, Member

from .forms import FACETS, SpeechSearchForm
from .query import highlight_text
from .snippets import snippet

# Facet values shown before "more" (the rest sit in a <details> element), and at most.
FACET_VISIBLE = 8
FACET_MAX = 40


@dataclass(frozen=True)
class FacetOption:
    name: str  # the facet's GET parameter
    heading: str
    value: str
    label: str
    count: int
    selected: bool
    url: str  # this page with the value toggled


@dataclass(frozen=True)
class FacetGroup:
    name: str
    label: str
    options: list[FacetOption]

    @property
    def visible(self) -> list[FacetOption]:
        return self.options[:FACET_VISIBLE]

    not_shown: int = 0  # values with fewer results, beyond FACET_MAX

    @property
    def more(self) -> list[FacetOption]:
        return self.options[FACET_VISIBLE:]

    @property
    def peak(self) -> int:
        return max((option.count for option in self.options), default=0)


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def results(request: HttpRequest) -> HttpResponse:
    form = SpeechSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search/search_results.html", {"form": form}, status=400)
    outcome = form.search(page=request.GET.get("page"))
    page = outcome.page
    terms = outcome.parsed.terms
    # The debate page marks the same words: ?highlight=ceasefire "humanitarian pause"
    marks = {"highlight": highlight_text(outcome.parsed)} if terms else {}
    hits = []
    for result in page:
        speech = result.object
        if speech is None:  # deleted since it was indexed: never shown
            continue
        found = snippet(speech.sentences, terms)
        # The sentence where it is read (the page of a long debate, the part of a very long
        # speech), with the words to mark; or the speech in its debate.
        if found.matched:
            url = speech.get_sentence_url(found.sentence, urlencode(marks))
        else:
            number = Debate.page_of(speech.position)
            params = urlencode({**({"page": number} if number > 1 else {}), **marks})
            url = (
                f"{speech.debate.get_absolute_url()}{'?' if params else ''}{params}#{speech.anchor}"
            )
        hits.append({"speech": speech, "snippet": found, "url": url})
    groups = facet_groups(request, form, outcome.facet_counts)
    context = {
        "form": form,
        "outcome": outcome,
        "page": page,
        "hits": hits,
        "facets": groups,
        "chips": [option for group in groups for option in group.options if option.selected],
        "sorts": sort_links(request, outcome.sort, bool(outcome.parsed.groups)),
        "clear_url": with_params(request, keep=("q", "sort")),
        "suggestion_url": with_params(request, q=outcome.suggestion) if outcome.suggestion else "",
        **elsewhere(request),
    }
    return render(request, "search/search_results.html", context)


def refused(message: str) -> HttpResponse:
    """A 400 in plain text, for what is not a page: a feed, an export, a CSV."""
    return HttpResponse(f"{message}\n", status=400, content_type="text/plain; charset=utf-8")


def elsewhere(request: HttpRequest) -> dict[str, Any]:
    """The same search as a feed, exports, a trend and a ranking of speakers."""
    query = with_params(request)
    unsorted = with_params(request, keep=[key for key in request.GET if key != "sort"])
    return {
        "feed_url": reverse("search:feed") + unsorted,
        "export_csv_url": reverse("search:export-csv") + query,
        "export_jsonl_url": reverse("search:export-jsonl") + query,
        "export_limit": settings.CHAMBER_EXPORT_MAX_ROWS,
        "trends_url": reverse("trends:chart") + unsorted,
        "speakers_url": reverse("trends:speakers") + unsorted,
    }


def facet_groups(
    request: HttpRequest, form: SpeechSearchForm, counts: dict[str, list[tuple[str, int]]]
) -> list[FacetGroup]:
    selections = form.selections
    every: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        every[facet.name] = values = dict(counts.get(facet.name, []))
        for value in selections[facet.name]:  # a selection stays visible when nothing matches
            values.setdefault(value, 0)
    # Names are read only for the values that can be shown (a decade has thousands of
    # debates; a page shows FACET_MAX).
    running = {
        name: values if name == "year" else in_the_running(values, selections[name])
        for name, values in every.items()
    }
    labels = facet_labels(
        {name: list(values.items()) for name, values in running.items()}, selections
    )
    groups = []
    for facet in FACETS:
        selected = selections[facet.name]
        names = labels[facet.name]
        if facet.name == "year":  # a histogram, newest first
            ordered = sorted(running[facet.name].items(), reverse=True)
        else:
            # Selected values first, so that they are never cut off; then by count.
            ordered = sorted(
                running[facet.name].items(),
                key=lambda kv: (kv[0] not in selected, -kv[1], names.get(kv[0], kv[0])),
            )
        options = [
            FacetOption(
                name=facet.name,
                heading=facet.label,
                value=value,
                label=names.get(value, value),
                count=count,
                selected=value in selected,
                url=toggled(request, facet.name, value),
            )
            for value, count in ordered[:FACET_MAX]
        ]
        not_shown = max(0, len(every[facet.name]) - FACET_MAX)
        groups.append(FacetGroup(facet.name, facet.label, options, not_shown))
    return groups


def in_the_running(values: dict[str, int], selected: list[str]) -> dict[str, int]:
    """The values that can be among the FACET_MAX shown (selected ones first, then by count,
    ties by name): the selected ones, and those with at least the count of the last place."""
    if len(values) <= FACET_MAX:
        return values
    places = FACET_MAX - sum(value in values for value in set(selected))
    others = sorted((n for value, n in values.items() if value not in selected), reverse=True)
    if places <= 0 or not others:
        return {value: n for value, n in values.items() if value in selected}
    last = others[min(places, len(others)) - 1]
    return {value: n for value, n in values.items() if value in selected or n >= last}


def facet_labels(
    counts: dict[str, list[tuple[str, int]]], selections: dict[str, list[str]]
) -> dict[str, dict[str, str]]:
    """Names for the values that are ids: two queries, however many values."""

    def ids(name: str) -> list[int]:
        values = [value for value, _ in counts.get(name, [])] + selections[name]
        return [int(value) for value in values if value.isdigit()]

    members = Member.objects.in_bulk(ids("member"))
    debates = Debate.objects.in_bulk(ids("debate"))
    return {
        "member": {str(pk): member.name for pk, member in members.items()},
        "debate": {str(pk): f"{d.title}, {d.date:%-d %b %Y}" for pk, d in debates.items()},
        "house": {value: label for value, label in House.choices},
        "party": {},
        "year": {},
    }


def with_params(request: HttpRequest, keep: Collection[str] | None = None, **changes: str) -> str:
    """This search's URL without its page, keeping only `keep` if given, with `changes`."""
    query = request.GET.copy()
    query.pop("page", None)
    if keep is not None:
        for key in list(query):
            if key not in keep:
                del query[key]
    for key, value in changes.items():
        query[key] = value
    return f"?{query.urlencode()}"


def toggled(request: HttpRequest, name: str, value: str) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    values = query.getlist(name)
    query.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return f"?{query.urlencode()}"


def sort_links(request: HttpRequest, current: str, has_words: bool) -> list[dict[str, str | bool]]:
    choices = [("relevance", "Best match")] if has_words else []
    choices += [("newest", "Newest first"), ("oldest", "Oldest first")]
    return [
        {
            "label": label,
            "url": with_params(request, sort="" if value == "relevance" else value),
            "current": value == current,
        }
        for value, label in choices
    ]

"""Trends: how often each search was said per year or month, per 10,000 speeches of that
period (and the raw counts), as a server-drawn chart, a table and a CSV; and "who says this
most". Every count is the index's (`SpeechSearchForm.counts_by`: exact `year`/`month` and
`member`/`party` facets), never a scan of the rows; each search is the search page's own."""

import csv
import datetime
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from debates.charts import Chart, line_chart
from debates.models import Debate, Member, Speech

from .forms import SpeechSearchForm
from .views import refused

MAX_TERMS = 5
ALL_SPEECHES_SECONDS = 600
PER = 10_000  # matching speeches per this many speeches of the period
TOP_SPEAKERS = 20


class TrendsForm(forms.Form):
    """What a trend is counted by; the searches themselves are `SpeechSearchForm`s."""

    period = forms.ChoiceField(
        label="Count by",
        required=False,
        choices=[("year", "Year"), ("month", "Month")],
    )


@dataclass(frozen=True)
class Row:
    period: str
    total: int  # speeches in the period (with the filters)
    counts: list[int]  # matching speeches, one per term

    def rates(self) -> list[float]:
        return [count / self.total * PER if self.total else 0.0 for count in self.counts]


@dataclass
class Trend:
    terms: list[str]
    period: str
    rows: list[Row]
    totals: list[int]  # matching speeches per term, over all periods
    forms: list[SpeechSearchForm]

    @property
    def chart(self) -> Chart:
        series = [
            (term, [row.rates()[n] for row in self.rows]) for n, term in enumerate(self.terms)
        ]
        return line_chart([row.period for row in self.rows], series)

    @property
    def table(self) -> list[dict[str, Any]]:
        """The rows as the table prints them (formatted here: a month table has hundreds of
        cells, and template filters on each were most of the page's time)."""
        return [
            {
                "period": row.period,
                "total": f"{row.total:,}",
                "cells": [
                    (f"{count:,}", f"{rate:.2f}")
                    for count, rate in zip(row.counts, row.rates(), strict=True)
                ],
            }
            for row in self.rows
        ]


def search_forms(query: QueryDict) -> tuple[list[str], list[SpeechSearchForm], SpeechSearchForm]:
    """One search page form per `q` (each with the shared filters), and one for everything
    the filters allow (the denominator)."""
    terms = [term for term in query.getlist("q") if term.strip()][:MAX_TERMS]

    def form(term: str) -> SpeechSearchForm:
        data = query.copy()
        data.setlist("q", [term])
        return SpeechSearchForm(data)

    return terms, [form(term) for term in terms], form("")


def count_trend(query: QueryDict, period: str) -> Trend:
    """The trend of each term (`query` is valid: see `_validated`)."""
    terms, term_forms, everything = search_forms(query)
    for form in [*term_forms, everything]:
        form.is_valid()
    all_counts = all_speeches(everything, period)[period]
    per_term = [form.counts_by(period)[1][period] for form in term_forms]
    periods = _span(sorted(all_counts), period)
    rows = [
        Row(p, all_counts.get(p, 0), [counts.get(p, 0) for counts in per_term]) for p in periods
    ]
    totals = [sum(counts.values()) for counts in per_term]
    return Trend(terms, period, rows, totals, term_forms)


def all_speeches(form: SpeechSearchForm, *facets: str) -> dict[str, dict[str, int]]:
    """The counts of every speech the filters allow (the denominators), by the facets named:
    the same for every search with these filters, so kept in the cache until the record
    changes (a load adds speeches and debates; a deletion lowers the count) or for
    ALL_SPEECHES_SECONDS at most (an edit in the admin changes neither)."""
    state = Speech.objects.aggregate(speeches=Count("id"), last=Max("id"))
    state["loaded"] = Debate.objects.aggregate(last=Max("created_at"))["last"]
    key = json.dumps([facets, form.filters, state], sort_keys=True, default=str)
    key = f"chamber-trends-all:{hashlib.sha256(key.encode()).hexdigest()}"
    counts: dict[str, dict[str, int]] | None = cache.get(key)
    if counts is None:
        counts = form.counts_by(*facets)[1]
        cache.set(key, counts, ALL_SPEECHES_SECONDS)
    return counts


def _span(periods: list[str], period: str) -> list[str]:
    """Every year or month from the first to the last that has speeches (gaps at zero)."""
    if not periods:
        return []
    if period == "year":
        return [str(year) for year in range(int(periods[0]), int(periods[-1]) + 1)]
    first = datetime.date.fromisoformat(f"{periods[0]}-01")
    last = datetime.date.fromisoformat(f"{periods[-1]}-01")
    months = []
    while first <= last:
        months.append(f"{first:%Y-%m}")
        first = (first + datetime.timedelta(days=32)).replace(day=1)
    return months


def _validated(request: HttpRequest) -> tuple[TrendsForm, list[SpeechSearchForm], list[str]]:
    options = TrendsForm(request.GET)
    terms, term_forms, everything = search_forms(request.GET)
    errors = [] if options.is_valid() else [str(e) for e in options.errors.values()]
    for term, form in zip([*terms, ""], [*term_forms, everything], strict=True):
        if not form.is_valid():
            for name, messages in form.errors.items():
                where = f"“{term}”" if name == "q" else form.fields[name].label or name
                errors += [f"{where}: {message}" for message in messages]
    return options, term_forms, list(dict.fromkeys(errors))


def trends(request: HttpRequest) -> HttpResponse:
    options, term_forms, errors = _validated(request)
    context: dict[str, Any] = {
        "options": options,
        "terms": [form.data.get("q", "") for form in term_forms],
        "slots": range(max(MAX_TERMS - len(term_forms), 0)),
        "errors": errors,
        "max_terms": MAX_TERMS,
        "per": PER,
    }
    if errors:
        return render(request, "search/trends.html", context, status=400)
    if term_forms:
        period = options.cleaned_data.get("period") or "year"
        trend = count_trend(request.GET, period)
        context["trend"] = trend
        context["filters"] = term_forms[0].filters
        context["csv_url"] = f"{reverse('trends:csv')}?{request.GET.urlencode()}"
        context["lines"] = [
            {
                "term": term,
                "search_url": _search_url(form),
                "speakers_url": f"{reverse('trends:speakers')}?{_data(form).urlencode()}",
            }
            for term, form in zip(trend.terms, term_forms, strict=True)
        ]
    return render(request, "search/trends.html", context)


def trends_csv(request: HttpRequest) -> HttpResponse:
    options, term_forms, errors = _validated(request)
    if errors or not term_forms:
        message = "; ".join(errors) or "Give at least one search (q=...)."
        return refused(message)
    trend = count_trend(request.GET, options.cleaned_data.get("period") or "year")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "period",
            "speeches",
            *(f"{term} (speeches)" for term in trend.terms),
            *(f"{term} (per {PER:,})" for term in trend.terms),
        ]
    )
    for row in trend.rows:
        writer.writerow([row.period, row.total, *row.counts, *(f"{r:.2f}" for r in row.rates())])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="chamber-trends-{trend.period}.csv"'
    return response


@dataclass(frozen=True)
class Speaker:
    label: str
    matching: int
    spoke: int  # all their speeches under the same filters
    url: str  # the search, narrowed to them

    @property
    def share(self) -> float:
        """Matching speeches per 100 of their speeches."""
        return self.matching / self.spoke * 100 if self.spoke else 0.0


def speakers(request: HttpRequest) -> HttpResponse:
    """Who says this most: members and parties ranked by matching speeches, with the share
    of all they said, each linking to the search narrowed to them."""
    form = SpeechSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search/speakers.html", {"form": form}, status=400)
    _, matching = form.counts_by("member", "party")
    everything = SpeechSearchForm(_with(request.GET, q=""))
    everything.is_valid()  # the same filters, valid above
    spoken = all_speeches(everything, "member", "party")
    ranked = {
        name: sorted(counts.items(), key=lambda kv: -kv[1]) for name, counts in matching.items()
    }
    members = Member.objects.in_bulk([int(pk) for pk, _ in ranked["member"][:TOP_SPEAKERS]])

    def rows(name: str, label: Any) -> list[Speaker]:
        return [
            Speaker(
                label(value), count, spoken[name].get(value, 0), _narrowed(request.GET, name, value)
            )
            for value, count in ranked[name][:TOP_SPEAKERS]
        ]

    context = {
        "form": form,
        "q": form.cleaned_data["q"],
        "members": rows("member", lambda pk: members[int(pk)].name if int(pk) in members else pk),
        "parties": rows("party", str),
        "search_url": _search_url(form),
    }
    return render(request, "search/speakers.html", context)


def _with(query: QueryDict, **changes: str) -> QueryDict:
    data = query.copy()
    for key, value in changes.items():
        data[key] = value
    return data


def _narrowed(query: QueryDict, name: str, value: str) -> str:
    data = query.copy()
    data.pop("page", None)
    data.setlist(name, [value])
    return f"{reverse('search:results')}?{data.urlencode()}"


def _data(form: SpeechSearchForm) -> QueryDict:
    return cast(QueryDict, form.data)  # every form here is made from a QueryDict


def _search_url(form: SpeechSearchForm) -> str:
    data = _data(form).copy()
    data.pop("period", None)
    return f"{reverse('search:results')}?{data.urlencode()}"

"""The search form: what the search page accepts, and the one place that turns it into
Haystack queries (`SpeechSearchForm.search`). Views only validate and render."""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from haystack.inputs import BaseInput, Clean, Exact
from haystack.query import SQ, SearchQuerySet

from .query import MAX_QUERY_LENGTH, ParsedQuery, Term, clean_text, parse, words_of

if TYPE_CHECKING:
    from django.core.paginator import Page

RESULTS_PER_PAGE = 20
# Below this many results a query may be misspelt, and a suggestion is worth its cost.
SUGGEST_BELOW = 5
# The spelling suggester's cost grows with every word it is given (4.4 s of CPU for a
# misspelt 90-word query at 30k speeches): longer queries get no suggestion.
SUGGEST_MAX_WORDS = 8
# Bounds on what one query may ask of the engine (bench/worst.py at 100k speeches: a quoted
# phrase of 30 common words took 3.7 s, 70 words joined by OR 1.1 s).
MAX_PHRASE_WORDS = 12
MAX_ALTERNATIVES = 20
EARLIEST, LATEST = datetime.date(1800, 1, 1), datetime.date(2199, 12, 31)
SORTS = {"relevance": None, "newest": "-date", "oldest": "date"}


@dataclass(frozen=True)
class Facet:
    """A facet: its GET parameter (also the name Haystack facets on), heading, the exact
    index field that selections narrow, and what a valid selected value looks like."""

    name: str
    label: str
    index_field: str
    valid: re.Pattern[str]


FACETS = (
    Facet("member", "Member", "member", re.compile(r"[1-9]\d{0,9}")),
    Facet("party", "Party", "party_exact", re.compile(r"[^\"\\\x00-\x1f]{1,100}")),
    Facet("year", "Year", "year", re.compile(r"\d{4}")),
    Facet("debate", "Debate", "debate", re.compile(r"[1-9]\d{0,9}")),
    Facet("house", "House", "house", re.compile(r"commons|lords")),
)


class QueryField(forms.CharField):
    """Free text with control characters dropped before validation: they mean nothing to a
    search, and a NUL byte would otherwise be refused outright."""

    def to_python(self, value: Any) -> str:
        return clean_text(super().to_python(value) or "")  # never None: empty_value is ""


class FacetSelectionField(forms.Field):
    """Repeated GET parameters (`party=Labour&party=Conservative`), each checked."""

    widget = forms.MultipleHiddenInput

    def __init__(self, facet: Facet, **kwargs: Any):
        self.facet = facet
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, str):  # a plain dict rather than a QueryDict
            value = [value]
        values = [str(v).strip() for v in (value or [])]
        bad = [v for v in values if not self.facet.valid.fullmatch(v)]
        if bad:
            raise ValidationError(
                "“%(value)s” is not a %(facet)s this search can filter by.",
                params={"value": bad[0][:100], "facet": self.facet.label.lower()},
            )
        return list(dict.fromkeys(values))[:50]


@dataclass
class SearchOutcome:
    """Everything the results page shows for one valid request."""

    results: SearchQuerySet
    page_number: int
    total: int
    facet_counts: dict[str, list[tuple[str, int]]]
    parsed: ParsedQuery
    sort: str
    suggestion: str = ""
    notices: list[str] = field(default_factory=list)

    @property
    def page(self) -> "Page[Any]":
        from django.core.paginator import Paginator

        return Paginator(self.results, RESULTS_PER_PAGE).page(self.page_number)


class SpeechSearchForm(forms.Form):
    q = QueryField(
        label="Search speeches",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        # static/js/speakers.js suggests members from here as `speaker:` is typed.
        widget=forms.SearchInput(
            attrs={
                "placeholder": "e.g. ceasefire",
                "data-speaker-suggestions": reverse_lazy("search:speakers"),
            }
        ),
        # The search page opens its syntax table under this summary, which describes the box.
        help_text="How to search",
        error_messages={"max_length": "Please shorten your search to %(limit_value)d characters."},
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("", "Best match"), ("newest", "Newest first"), ("oldest", "Oldest first")],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for facet in FACETS:
            self.fields[facet.name] = FacetSelectionField(facet)

    def clean_date_from(self) -> datetime.date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> datetime.date | None:
        return self._clean_date("date_to")

    def _clean_date(self, name: str) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get(name)
        if value and not EARLIEST <= value <= LATEST:
            raise ValidationError(f"Choose a date between {EARLIEST.year} and {LATEST.year}.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The “to” date is before the “from” date.")
        parsed = cleaned["parsed"] = parse(cleaned.get("q") or "")
        terms = [*parsed.terms, *parsed.excluded, *(term for _, term, _ in parsed.fields)]
        if any(len(term.text.split()) > MAX_PHRASE_WORDS for term in terms):
            self.add_error("q", f"A quoted phrase can have at most {MAX_PHRASE_WORDS} words.")
        if any(len(group) > MAX_ALTERNATIVES for group in parsed.groups):
            self.add_error("q", f"At most {MAX_ALTERNATIVES} words or phrases can be joined by OR.")
        return cleaned

    @property
    def selections(self) -> dict[str, list[str]]:
        return {facet.name: self.cleaned_data.get(facet.name) or [] for facet in FACETS}

    @property
    def has_filters(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("date_from") or data.get("date_to") or any(self.selections.values()))

    @property
    def problems(self) -> str:
        """Every error of the form in one line: for answers that are not a page."""
        return "; ".join(
            f"{name}: {' '.join(str(message) for message in errors)}"
            for name, errors in self.errors.items()
        )

    @property
    def filters(self) -> dict[str, Any]:
        """The selections and dates of this search, as plain values (what an export is
        stamped with, and what the API echoes back)."""
        data = self.cleaned_data
        dates = {
            name: data[name].isoformat() for name in ("date_from", "date_to") if data.get(name)
        }
        return {**{name: values for name, values in self.selections.items() if values}, **dates}

    @property
    def order(self) -> str:
        """The order asked for, or the default: best match for words, else newest first."""
        chosen: str = self.cleaned_data.get("sort") or ""
        return chosen or ("relevance" if self.cleaned_data["parsed"].groups else "newest")

    # -- Searching -------------------------------------------------------------------

    def filtered(self, sort: str | None = None) -> SearchQuerySet:
        """The whole search, filtered and sorted, without facets or paging: what exports and
        feeds read in slices (`sort` overrides the form's, e.g. "newest" for a feed)."""
        parsed = self.cleaned_data["parsed"]
        sort = sort or self.order
        results = self._narrowed(self._base(parsed), self.selections)
        return results.order_by(SORTS[sort]) if SORTS[sort] else results

    def counts_by(self, *facets: str) -> tuple[int, dict[str, dict[str, int]]]:
        """How many speeches this search finds, and how many for each value of the facets
        named (`year`, `month`, `member`, `party`...), in one query: counted by the index
        from its exact fields, never by reading rows."""
        results = self._narrowed(self._base(self.cleaned_data["parsed"]), self.selections)
        # Counts need no ranking: sorted by the date column, no match is scored (at 100k
        # speeches "government", 49,252 matches, took about 90 ms instead of 180 ms).
        results = results.order_by(SORTS["newest"])
        for name in facets:
            results = results.facet(name)
        total = _fill_page(results, 1, per_page=1)
        fields = _field_counts(results)
        return total, {name: dict(fields.get(name, [])) for name in facets}

    def search(self, page: str | int | None = None) -> SearchOutcome:
        parsed = self.cleaned_data["parsed"]
        sort = self.order
        base = self._base(parsed)
        selections = self.selections
        results = self._narrowed(base, selections).load_all()
        for facet in FACETS:
            results = results.facet(facet.name)
        if SORTS[sort]:
            results = results.order_by(SORTS[sort])

        number = _page_number(page)
        total = _fill_page(results, number)
        last = max(1, -(-total // RESULTS_PER_PAGE))
        if number > last:
            number = last
            _fill_page(results, number)

        counts = _field_counts(results)
        # A facet with selections is counted without its own selections, so that its other
        # values show how many results choosing them as well would add.
        for facet in FACETS:
            if selections[facet.name]:
                others = {name: values for name, values in selections.items() if name != facet.name}
                probe = self._narrowed(base, others).facet(facet.name)
                _fill_page(probe, 1, per_page=1)
                counts[facet.name] = _field_counts(probe).get(facet.name, [])

        outcome = SearchOutcome(
            results=results,
            page_number=number,
            total=total,
            facet_counts=counts,
            parsed=parsed,
            sort=sort,
            notices=list(parsed.notices),
        )
        if total < SUGGEST_BELOW and 0 < len(words_of(parsed)) <= SUGGEST_MAX_WORDS:
            outcome.suggestion = self._suggestion(parsed, selections, total)
        return outcome

    def _base(self, parsed: ParsedQuery) -> SearchQuerySet:
        """The query and dates, before facet selections."""
        results = SearchQuerySet()
        for group in parsed.groups:
            results = results.filter(reduce(or_, (SQ(content=_input(term)) for term in group)))
        for term in parsed.excluded:
            results = results.exclude(content=_input(term))
        for name, term, excluded in parsed.fields:
            if excluded:
                results = results.exclude(**{name: _input(term)})
            else:
                results = results.filter(**{name: _input(term)})
        if parsed.houses:
            results = results.narrow(_any_of("house", parsed.houses))
        # Dates narrow (a filter the engine can keep) rather than take part in scoring.
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end:
            results = results.narrow(SQ(date__range=(start, end)))
        elif start:
            results = results.narrow(SQ(date__gte=start))
        elif end:
            results = results.narrow(SQ(date__lte=end))
        return results

    def _narrowed(
        self, results: SearchQuerySet, selections: dict[str, list[str]]
    ) -> SearchQuerySet:
        for facet in FACETS:
            if selections.get(facet.name):
                results = results.narrow(_any_of(facet.index_field, selections[facet.name]))
        return results

    def _suggestion(self, parsed: ParsedQuery, selections: dict[str, list[str]], total: int) -> str:
        """The query with misspelt words corrected, when that finds more."""
        words = words_of(parsed)
        probe = SearchQuerySet().all()
        probe.query.set_limits(0, 1)
        suggested = (probe.spelling_suggestion(" ".join(words)) or "").split()
        if len(suggested) != len(words) or [w.lower() for w in suggested] == [
            w.lower() for w in words
        ]:
            return ""
        text = self.cleaned_data["q"]
        for old, new in zip(words, suggested, strict=True):
            if old.lower() != new.lower():
                text = re.sub(rf"\b{re.escape(old)}\b", new, text, count=1)
        better = self._narrowed(self._base(parse(text)), selections)
        return text if _fill_page(better, 1, per_page=1) > total else ""


def _input(term: Term) -> BaseInput:
    return Exact(term.text) if term.is_phrase else Clean(term.text)


def _any_of(index_field: str, values: Iterable[str]) -> SQ:
    return reduce(or_, (SQ(**{f"{index_field}__exact": value}) for value in values))


def _page_number(value: str | int | None) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 10**6)


def _fill_page(results: SearchQuerySet, number: int, per_page: int = RESULTS_PER_PAGE) -> int:
    """Run the search once for one page (results, total and facets come back together)
    and return the total."""
    start = (number - 1) * per_page
    results[start : start + per_page]  # slicing runs the query and caches what it found
    return cast(int, results.count())  # Haystack is untyped


def _field_counts(results: SearchQuerySet) -> dict[str, list[tuple[str, int]]]:
    fields: dict[str, list[tuple[str, int]]] = results.facet_counts().get("fields", {})
    return fields

"""Members suggested as someone types `speaker:sta` in a search box (static/js/speakers.js):
`/search/speakers/?q=sta` answers, in JSON, the members whose names have words starting
with what was typed, most speeches first, each with the `speaker:` query that finds them.

The index finds them (`autocomplete()` on `SpeechIndex.speaker_auto`, counted by the
`member` facet, so a member without speeches is never suggested); their names come from the
database."""

import logging
from dataclasses import asdict, dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from haystack.query import SearchQuerySet
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from debates.models import Member

from .query import WORD, clean_text

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 8
# What one request may ask: a name's beginning, a few words of it. The index cuts names into
# prefixes of at least two letters, so one letter alone finds nothing.
MIN_PREFIX, MAX_PREFIX, MAX_WORDS = 2, 60, 4
# Members whose names are checked against every word typed (a one-letter word among them is
# not looked up in the index): the most speeches first.
CANDIDATES = 50
# Suggestions change only when speeches are indexed: a browser or a proxy may keep them.
MAX_AGE = 300


@dataclass(frozen=True)
class Suggestion:
    name: str
    party: str
    constituency: str
    url: str
    speeches: int  # of the member's speeches, those the index holds
    query: str  # what the search box says for them: speaker:"Keir Starmer"


class SpeakerPrefixForm(forms.Form):
    q = forms.CharField(min_length=MIN_PREFIX, max_length=MAX_PREFIX, strip=True)

    def clean_q(self) -> list[str]:
        """The words of the name typed so far."""
        words = WORD.findall(clean_text(self.cleaned_data["q"]))
        if not any(len(word) >= MIN_PREFIX for word in words):
            raise forms.ValidationError(
                f"Type at least {MIN_PREFIX} letters of a member's name.", code="too_short"
            )
        if len(words) > MAX_WORDS:
            raise forms.ValidationError(
                f"Type at most {MAX_WORDS} words of a member's name.", code="too_long"
            )
        return words


def speaker_query(name: str) -> str:
    """`speaker:` and the name as the search box's query language reads it (search.query): a
    name of several words is quoted, so that they are searched as one phrase."""
    words = " ".join(WORD.findall(name))
    return f'speaker:"{words}"' if " " in words else f"speaker:{words}"


def suggest(words: list[str], limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Members whose name has a word starting with each of `words`, most speeches first."""
    looked_up = " ".join(word for word in words if len(word) >= MIN_PREFIX)
    results = SearchQuerySet().autocomplete(speaker_auto=looked_up).facet("member")
    results[:0]  # one search for the counts alone: no result is loaded
    counts = cast(dict[str, list[tuple[str, int]]], results.facet_counts().get("fields", {}))
    by_member = {int(pk): count for pk, count in counts.get("member", []) if str(pk).isdigit()}
    ranked = sorted(by_member, key=lambda pk: -by_member[pk])[:CANDIDATES]
    members = Member.objects.in_bulk(ranked)
    wanted = [word.lower() for word in words]
    found = [
        members[pk] for pk in ranked if pk in members and _starts_words(members[pk].name, wanted)
    ]
    found.sort(key=lambda member: (-by_member[member.pk], member.sort_name))
    return [
        Suggestion(
            name=member.name,
            party=member.party,
            constituency=member.constituency,
            url=member.get_absolute_url(),
            speeches=by_member[member.pk],
            query=speaker_query(member.name),
        )
        for member in found[:limit]
    ]


def _starts_words(name: str, wanted: list[str]) -> bool:
    """Each typed word begins a word of `name` (one letter included)."""
    words = [word.lower() for word in WORD.findall(name)]
    return all(any(word.startswith(prefix) for word in words) for prefix in wanted)


class SuggestionRateThrottle(AnonRateThrottle):
    """Requests per address (CHAMBER_SUGGEST_RATE), counted like the API's: the address
    the proxies name (CHAMBER_API_PROXIES), in Django's cache."""

    scope = "speaker-suggestions"

    def get_rate(self) -> str:
        return str(settings.CHAMBER_SUGGEST_RATE)

    def allows(self, request: HttpRequest) -> bool:
        """Counts this request; False past the rate. The endpoint is a plain Django view:
        its request is wrapped as DRF's, and no view is given (an anonymous rate reads none)."""
        return bool(self.allow_request(Request(request), None))  # type: ignore[arg-type]


@csrf_exempt  # reads only: a POST is refused (405), there is nothing to forge
@require_safe
def speakers(request: HttpRequest) -> JsonResponse:
    throttle = SuggestionRateThrottle()
    if not throttle.allows(request):
        response = _refused("Too many suggestions asked for: wait a moment.", status=429)
        response["Retry-After"] = str(max(1, round(throttle.wait() or 1)))
        return response
    form = SpeakerPrefixForm(request.GET)
    if not form.is_valid():
        return _refused(" ".join(str(error) for error in form.errors.get("q", [])), status=400)
    try:
        found = suggest(form.cleaned_data["q"])
    except Exception:
        log.exception("Members could not be suggested for %r", request.GET.get("q"))
        return _refused("Suggestions are not available now.", status=503)
    body: dict[str, Any] = {
        "q": " ".join(form.cleaned_data["q"]),
        "members": [asdict(suggestion) for suggestion in found],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def _refused(message: str, *, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    patch_cache_control(response, no_store=True)
    return response

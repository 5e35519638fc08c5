""" "Download these results": a search's speeches as CSV or JSON Lines, streamed, stamped with
the query, its filters, when it ran and how many it found, so that a researcher can say
exactly what they searched. The search is the page's own (`SpeechSearchForm.filtered`)."""

import csv
import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from debates.citations import cite
from debates.models import Speech

from .forms import SpeechSearchForm
from .views import refused

# Speeches read from the index and the database at a time: memory stays flat however many.
CHUNK = 500
COLUMNS = [
    "date",
    "house",
    "debate",
    "section",
    "speaker",
    "party",
    "constituency",
    "text",
    "url",
    "official_reference",
    "citation",
]


def stamp(request: HttpRequest, form: SpeechSearchForm, found: int) -> dict[str, Any]:
    """What was searched, when, and how many it found and the file holds."""
    limit: int = settings.CHAMBER_EXPORT_MAX_ROWS
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "query": form.cleaned_data["q"],
        "filters": form.filters,
        "sort": form.order,
        "run_at": timezone.now().isoformat(timespec="seconds"),
        "found": found,
        "rows": min(found, limit),
        "limit": limit,
        "search_url": request.build_absolute_uri(
            f"{reverse('search:results')}?{query.urlencode()}"
        ),
        "licence": "Contains Parliamentary information licensed under the Open Parliament "
        "Licence v3.0.",
    }


def speeches(form: SpeechSearchForm, limit: int) -> tuple[int, Iterator[Speech]]:
    """How many the search finds, and its first `limit` speeches in the search's order,
    read a chunk at a time."""
    results = form.filtered()
    total: int = results.count()

    def chunks() -> Iterator[Speech]:
        for start in range(0, min(total, limit), CHUNK):
            page = results.all()[start : min(start + CHUNK, limit)]  # a fresh cache per chunk
            ids = [int(result.pk) for result in page]
            loaded = Speech.objects.with_context().in_bulk(ids)
            yield from (loaded[pk] for pk in ids if pk in loaded)  # skip any deleted since

    return total, chunks()


def row(request: HttpRequest, speech: Speech, accessed: datetime.date) -> dict[str, str]:
    debate, member = speech.debate, speech.member
    url = request.build_absolute_uri(speech.get_debate_url())
    return {
        "date": debate.date.isoformat(),
        "house": debate.get_house_display(),
        "debate": debate.title,
        "section": speech.section,
        "speaker": speech.display_speaker,
        "party": member.party if member else speech.speaker_party,
        "constituency": member.constituency if member else speech.speaker_constituency,
        "text": speech.text,
        "url": url,
        "official_reference": speech.source_reference,
        "citation": cite(speech, url, accessed).short,
    }


def export_csv(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "csv")


def export_jsonl(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "jsonl")


def _export(request: HttpRequest, kind: str) -> HttpResponseBase:
    form = SpeechSearchForm(request.GET)
    if not form.is_valid():
        return refused(f"This search cannot be exported: {form.problems}")
    total, found = speeches(form, settings.CHAMBER_EXPORT_MAX_ROWS)
    header = stamp(request, form, total)
    accessed = timezone.localdate()
    rows = (row(request, speech, accessed) for speech in found)
    lines = _csv_lines(header, rows) if kind == "csv" else _jsonl_lines(header, rows)
    content_type = "text/csv" if kind == "csv" else "application/x-ndjson"
    response = StreamingHttpResponse(lines, content_type=f"{content_type}; charset=utf-8")
    name = f"chamber-search-{timezone.now():%Y%m%d-%H%M%S}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Chamber-Found"] = str(total)
    return response


class _Line:
    """csv.writer writes into this and gets the line back, so each row streams as it is made."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: dict[str, Any], rows: Iterator[dict[str, str]]) -> Iterator[str]:
    """The stamp as `#` comment lines (pandas: comment="#"; R: comment.char="#"), then a
    header row and the rows."""
    for key, value in header.items():
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
        yield f"# {key}: {' '.join(text.split())}\n"
    writer = csv.DictWriter(_Line(), fieldnames=COLUMNS)
    yield str(writer.writeheader())  # _Line.write returns the line, and so do these
    for values in rows:
        yield str(writer.writerow(values))


def _jsonl_lines(header: dict[str, Any], rows: Iterator[dict[str, str]]) -> Iterator[str]:
    """The stamp as the first line ({"search": ...}), then one {"speech": ...} per line."""
    yield json.dumps({"search": header}, ensure_ascii=False) + "\n"
    for values in rows:
        yield json.dumps({"speech": values}, ensure_ascii=False) + "\n"

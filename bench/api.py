"""How fast the open API, trends and exports answer.

    .venv/bin/python bench/api.py [--speeches 10000] [--per-day 500] [--repeats 30]
                                  [--export-rows 10000] [--seed 1] [--batched] [--keep]

Builds bench/search.py's corpus (`build_corpus`: sitting days of --per-day speeches over
2001-2024, the 650 MPs as speakers, a full rebuild) in a temporary SQLite database (or
DATABASE_URL, which must be empty) and Whoosh index, then prints p50/p95 of whole GET
requests through the test client: the API's lists, one debate with its speeches, searches
through /api/v1/speeches/, trends of 3 searches per year and per month over the 24 years,
"who says this most"; and an export of --export-rows rows as CSV and JSON Lines (the time to
stream it all, the Python memory allocated at its peak, and the same for a tenth of the rows:
flat memory means the two peaks are alike). Nothing here is a test: it prints figures.
"""

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    sys.path.insert(0, str(ROOT))
    from bench.search import corpus_parser, in_temporary_folder

    parser = corpus_parser(__doc__)
    parser.add_argument("--export-rows", type=int, default=10_000)
    in_temporary_folder(run, parser.parse_args(), "chamber-api-bench-")


def run(args, workdir):
    sys.path.insert(0, str(ROOT))
    # The bench is one address asking thousands of times: lift the rate limit.
    os.environ["CHAMBER_API_RATE"] = "100000000/min"
    os.environ["CHAMBER_EXPORT_MAX_ROWS"] = str(args.export_rows)
    from bench.browse import start_django

    start_django(workdir)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from bench.search import build_corpus, timed
    from debates.models import Debate, Member, Speech

    started = time.perf_counter()
    corpus = build_corpus(args, os.environ["SEARCH_PATH"])
    built = time.perf_counter() - started
    client = Client()
    party = (
        Speech.objects.exclude(member=None)
        .values_list("member__party")
        .annotate(n=Count("id"))
        .order_by("-n")[0][0]
    )
    debate = Debate.objects.with_speech_counts().order_by("-speech_count", "id").first()
    member = Member.objects.order_by("id").first()
    speech = Speech.objects.order_by("id").last()
    middle = max(1, -(-Debate.objects.count() // 50) // 2)  # a page in the middle
    three = ["government", "minister", '"the hon. Member"']
    requests = {
        "debates/ (page 1)": ("/api/v1/debates/", {}),
        f"debates/ (page {middle}, house=commons)": (
            "/api/v1/debates/",
            {"page": middle, "house": "commons"},
        ),
        "debates/ (a year)": (
            "/api/v1/debates/",
            {"date_from": "2012-01-01", "date_to": "2012-12-31"},
        ),
        f"debates/{{id}}/ ({debate.speech_count} speeches)": (f"/api/v1/debates/{debate.id}/", {}),
        "members/ (page 1)": ("/api/v1/members/", {}),
        "members/{slug}/": (f"/api/v1/members/{member.slug}/", {}),
        "speeches/{id}/": (f"/api/v1/speeches/{speech.id}/", {}),
        "speeches/ (everything, newest)": ("/api/v1/speeches/", {}),
        "speeches/?q=government": ("/api/v1/speeches/", {"q": "government"}),
        'speeches/?q="the hon. Member"': ("/api/v1/speeches/", {"q": '"the hon. Member"'}),
        "speeches/?q=government&party&year, newest": (
            "/api/v1/speeches/",
            {"q": "government", "party": party, "year": "2012", "sort": "newest"},
        ),
        "trends: 3 searches by year": ("/trends/", {"q": three}),
        "trends: 3 searches by month": ("/trends/", {"q": three, "period": "month"}),
        "trends: 3 searches by year, CSV": ("/trends/trends.csv", {"q": three}),
        "who says this most (government)": ("/trends/speakers/", {"q": "government"}),
        "search feed (government)": ("/search/feed/", {"q": "government"}),
    }
    rows = []
    for label, (url, params) in requests.items():

        def get(url=url, params=params, label=label):
            response = client.get(url, params)
            if response.status_code != 200:
                raise SystemExit(f"{label}: {url} answered {response.status_code}")
            return response

        rows.append((label, *timed(get, args.repeats)))

    def export(kind, limit):
        """Seconds to stream the whole body, then (a second run, since tracing slows Python)
        the peak of Python's allocations while streaming it."""

        def stream():
            response = client.get(f"/search/export.{kind}", {"sort": "oldest"})
            size = sum(len(chunk) for chunk in response.streaming_content)
            return size, int(response["X-Chamber-Found"])

        with override_settings(CHAMBER_EXPORT_MAX_ROWS=limit):
            started = time.perf_counter()
            size, found = stream()
            seconds = time.perf_counter() - started
            tracemalloc.start()
            stream()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return seconds, peak / 1e6, size / 1e6, found

    exports = []
    for kind in ("csv", "jsonl"):
        for limit in (args.export_rows, args.export_rows // 10):
            exports.append((kind, limit, *export(kind, limit)))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"Corpus: {corpus.speeches:,} speeches, {corpus.days:,} sitting days"
        f" {corpus.dates[0].year}-{corpus.dates[-1].year}, {len(corpus.members)} members;"
        f" {connection.vendor}; built and indexed in {built:.0f} s"
    )
    print()
    print(f"{'GET (whole request, test client)':<48} {'p50 ms':>8} {'p95 ms':>8}")
    for label, p50, p95 in rows:
        print(f"{label:<48} {p50:>8.1f} {p95:>8.1f}")
    print(f"(ms over {args.repeats} runs after a warm-up; party={party}; trends of {three})")
    print()
    print(f"{'export':<8} {'rows':>7} {'found':>8} {'seconds':>8} {'MB':>7} {'peak MB':>8}")
    for kind, limit, seconds, peak, size, found in exports:
        shown = min(limit, found)
        print(f"{kind:<8} {shown:>7,} {found:>8,} {seconds:>8.2f} {size:>7.1f} {peak:>8.1f}")
    print("(seconds to read the whole streamed body; peak = Python's allocations while streaming")
    print(" it, traced in a second run: flat memory is a peak that does not grow with the rows)")
    limit = settings.CHAMBER_EXPORT_MAX_ROWS
    print(f"Peak memory of the process (RSS): {peak_mb:,.0f} MB; rows limit {limit:,}")


if __name__ == "__main__":
    main()

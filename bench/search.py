"""How fast Chamber indexes and searches speeches.

    .venv/bin/python bench/search.py [--speeches 10000] [--per-day 500] [--repeats 30]

Builds a corpus of N speeches by recombining real Hansard sentences (the seeds, plus
../shared/data/historic/speeches_sample.json when it is there), as sitting days of
--per-day speeches spread over 2001-2024, with the 650 MPs of
../shared/data/members/commons_mps_2024-05-28.csv (names, constituencies, parties) as
speakers. Loads it through `debates.loading.load_file` into a temporary SQLite database
(or DATABASE_URL) and Whoosh index, then prints: the load rate (database and the index
following each load), the full rebuild rate (`rebuild_index`), the index size, the time to
index one new sitting day, and p50/p95 latency of a fixed query mix through Haystack and
of the whole search page. Nothing here is a test: it prints figures.
"""

import argparse
import csv
import datetime
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_CSV = ROOT.parent / "shared" / "data" / "members" / "commons_mps_2024-05-28.csv"
TITLES = [
    "Oral Answers to Questions",
    "Business of the House",
    "Israel and Gaza",
    "Cost of Living",
    "National Health Service",
    "Energy Prices",
    "Armed Forces",
    "Education",
    "Housing",
    "Climate Change",
    "Immigration",
    "Northern Ireland",
    "Local Government Finance",
    "Transport",
    "Agriculture",
    "Defence",
    "Justice",
    "Pensions",
    "Welfare Reform",
    "Scotland",
]


def members_from_csv():
    """(name, constituency, party) for each MP, or 650 made-up ones without the file."""
    if not MEMBERS_CSV.exists():
        print(f"({MEMBERS_CSV} not found: using made-up members)")
        parties = ["Labour", "Conservative", "Liberal Democrat", "Scottish National Party"]
        return [(f"Member {n}", f"Seat {n}", parties[n % 4]) for n in range(650)]
    with MEMBERS_CSV.open(newline="", encoding="utf-8") as f:
        return [
            (row["name"], row["constituency_pre2024"], row["party_nov2019_guardian"])
            for row in csv.DictReader(f)
        ]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(function, repeats):
    function()  # warm
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def folder_size(path):
    return sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=10_000)
    parser.add_argument("--per-day", type=int, default=500, help="speeches per sitting day")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="chamber-search-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["WHOOSH_PATH"] = whoosh_path = f"{workdir}/whoosh"
    os.environ.update(DEBUG="0", SECRET_KEY="bench-only", ALLOWED_HOSTS="testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from haystack import connections

    from bench.browse import sentence_pool, transcript
    from debates.importers.transcript import DebateMetadata
    from debates.loading import load_file
    from debates.models import Member, Speech
    from search import indexing
    from search.forms import SpeechSearchForm

    call_command("migrate", verbosity=0)
    setup_test_environment()
    rng = random.Random(args.seed)
    pool = sentence_pool()
    days = max(1, args.speeches // args.per_day)
    first, last = datetime.date(2001, 1, 8), datetime.date(2024, 12, 16)
    step = (last - first) / days

    def sitting(n):
        date = first + step * n
        house = "lords" if n % 5 == 4 else "commons"
        meta = DebateMetadata(title=rng.choice(TITLES), date=date, house=house, kind="debate")
        return transcript(rng, pool, args.per_day), meta

    # Load as `load_transcripts` does: a database commit per day, the index in batches.
    backend = connections["default"].get_backend()
    index_seconds = 0.0
    backend_class = type(backend)
    write = backend_class.write

    def timed_write(self, *a, **kw):
        nonlocal index_seconds
        started = time.perf_counter()
        write(self, *a, **kw)
        index_seconds += time.perf_counter() - started

    backend_class.write = timed_write
    started = time.perf_counter()
    with indexing.batched():
        for n in range(days):
            raw, meta = sitting(n)
            load_file(raw, name=f"day-{n}.txt", metadata=meta)
    load_seconds = time.perf_counter() - started
    load_index_seconds = index_seconds
    speeches = Speech.objects.count()

    # Speakers: the MPs, so that member and party facets have data.
    people = members_from_csv()
    members = Member.objects.bulk_create(
        Member(name=name, sort_name=name, slug=f"m{n}", constituency=seat, party=party)
        for n, (name, seat, party) in enumerate(people)
    )
    ids = list(Speech.objects.order_by("id").values_list("id", flat=True))
    for offset, member in enumerate(members):
        Speech.objects.filter(id__in=ids[offset :: len(members)]).update(member=member)

    started = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    rebuild_seconds = time.perf_counter() - started
    size_mb = folder_size(whoosh_path) / 1e6
    segments = len(backend.searcher().reader().leaf_readers())

    # One more sitting day, loaded into the full index.
    index_seconds = 0.0
    raw, meta = sitting(days)
    started = time.perf_counter()
    load_file(raw, name="one-more-day.txt", metadata=meta)
    day_seconds = time.perf_counter() - started
    day_index_seconds = index_seconds
    backend_class.write = write

    # The query mix.
    party = Counter(party for _, _, party in people if party).most_common(1)[0][0]
    words = Counter(w for s in pool for w in re.findall(r"[a-z]{7,}", s.lower()))
    common, rare = "government", min(w for w, n in words.items() if n == 1)
    mix = {
        f"rare word ({rare})": {"q": rare},
        f"common word ({common})": {"q": common},
        'phrase ("the hon. Member")': {"q": '"the hon. Member"'},
        "exclusion (government -minister)": {"q": "government -minister"},
        "2 facets + dates, newest": {
            "q": common,
            "party": party,
            "year": "2012",
            "date_from": "2010-01-01",
            "date_to": "2014-12-31",
            "sort": "newest",
        },
        "everything, newest (histogram)": {},
    }
    rows = []
    client = Client()
    for label, params in mix.items():

        def search(params=params):
            form = SpeechSearchForm(params)
            assert form.is_valid(), form.errors
            outcome = form.search()
            return outcome.total, list(outcome.page)

        total = search()[0]
        haystack = timed(search, args.repeats)

        def page(params=params):
            response = client.get("/search/", params)
            assert response.status_code == 200, response.status_code

        rows.append((label, total, *haystack, *timed(page, args.repeats)))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Corpus: {speeches:,} speeches in {days:,} sitting days, {len(members)} members;")
    print(f"        {connection.vendor}, sentence pool {len(pool):,}")
    for label, count, seconds in [
        ("Load, all of it", speeches, load_seconds),
        ("  of which search indexing", speeches, load_index_seconds),
        ("Full rebuild (rebuild_index)", speeches, rebuild_seconds),
    ]:
        print(f"{label + ':':<34}{count / seconds:>9,.0f} speeches/s  ({seconds:.1f} s)")
    print(f"{'Index size:':<34}{size_mb:>9,.0f} MB  ({segments} segments)")
    print(
        f"{f'One {args.per_day}-speech day, loaded:':<34}{day_seconds:>9.2f} s"
        f"  (of which indexing {day_index_seconds:.2f} s)"
    )
    print(f"{'Peak memory (RSS):':<34}{peak_mb:>9,.0f} MB")
    print()
    print(f"{'query':<34} {'hits':>7} {'search p50':>10} {'p95':>6} {'page p50':>9} {'p95':>6}")
    for label, total, p50, p95, page50, page95 in rows:
        print(f"{label:<34} {total:>7,} {p50:>10.1f} {p95:>6.1f} {page50:>9.1f} {page95:>6.1f}")
    print("(milliseconds; search = SpeechSearchForm.search() through Haystack, with every")
    print(" facet counted; page = the whole GET /search/ request)")


if __name__ == "__main__":
    main()

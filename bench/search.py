"""How fast Chamber indexes and searches speeches.

    .venv/bin/python bench/search.py [--speeches 10000] [--per-day 500] [--repeats 30]
                                     [--seed 1] [--batched] [--keep]

Builds a corpus of N speeches by recombining real Hansard sentences (bench/browse.py's
pool: the seeds and fixtures/historic/speeches_sample.json.gz) as
plain-text transcripts, one per sitting day of --per-day speeches, spread over 2001-2024
(every fifth day in the Lords). Loads them through `debates.ingest.loading.load_file` into a
temporary SQLite database (or DATABASE_URL, which must be empty) and a temporary index
(SEARCH_ENGINE's); the index follows each load as it commits (with --batched, in batches
as `load_transcripts` writes it). Then the 650 MPs of
fixtures/members/commons_mps_2024-05-28.csv become the
speakers, and it prints: the load rate, the full `rebuild_index` rate, the index size and
segments, the time to load and index one more sitting day, p50/p95 latency of a fixed query
mix through Haystack (`SpeechSearchForm.search()`) and as whole GET /search/ requests, and
peak memory. The temporary folder is removed unless --keep. Nothing here is a test: it
prints figures.
"""

import argparse
import csv
import datetime
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_CSV = ROOT / "fixtures" / "members" / "commons_mps_2024-05-28.csv"
FIRST_DAY, LAST_DAY = datetime.date(2001, 1, 8), datetime.date(2024, 12, 16)
TITLES = [
    "Oral Answers to Questions",
    "Business of the House",
    "Prime Minister's Questions",
    "Points of Order",
    "Finance Bill",
    "Budget Resolutions and Economic Situation",
    "Cost of Living",
    "Energy Prices",
    "National Health Service",
    "NHS Waiting Lists",
    "Social Care",
    "Mental Health Services",
    "Armed Forces Covenant",
    "Defence Procurement",
    "Ukraine",
    "Israel and Gaza",
    "Afghanistan",
    "Iraq",
    "European Union (Withdrawal) Bill",
    "Northern Ireland Protocol",
    "Scotland Bill",
    "Wales Bill",
    "Local Government Finance",
    "Housing Supply",
    "Planning and Infrastructure",
    "Transport",
    "High Speed Rail",
    "Road Safety",
    "Agriculture",
    "Fisheries",
    "Flooding",
    "Climate Change",
    "Education",
    "Schools Funding",
    "Higher Education",
    "Further Education and Skills",
    "Immigration",
    "Asylum Seekers",
    "Policing and Crime",
    "Prisons",
    "Justice and Courts",
    "Pensions",
    "Welfare Reform",
    "Child Poverty",
    "Employment Rights",
    "Steel Industry",
    "Post Office Horizon Scandal",
    "Water Companies",
    "Online Safety Bill",
    "Coronavirus",
    "Terrorism Prevention",
    "Sport and Culture",
]
# Pool sentences the importer would rightly join to the next line (a fragment ending in an
# abbreviation such as "my hon." or starting in lower case): without this a 500-speech
# transcript parses as ~465 speeches.
JOINS_NEXT = re.compile(
    r"\b(?:hon|mr|mrs|ms|dr|st|no|nos|co|ltd|etc|viz|cf|col|gen|sir|rt|\w)\.$", re.IGNORECASE
)


def members_from_csv():
    """(name, constituency, party) for each of the 650 MPs in the CSV."""
    with MEMBERS_CSV.open(newline="", encoding="utf-8") as f:
        return [
            (
                row["name"],
                row["constituency_ge2024"] or row["constituency_pre2024"],
                row["party_ge2024"] or row["party_nov2019_guardian"],
            )
            for row in csv.DictReader(f)
        ]


def create_members(rng):
    """The 650 MPs of the CSV in the database, and how often each speaks (some far busier
    than others, so that member and party facets have data): (members, weights)."""
    from django.utils.text import slugify

    from debates.models import Member

    slugs = Counter()
    members = []
    for name, seat, party in members_from_csv():
        slug = slugify(name) or "member"
        slugs[slug] += 1
        surname, _, forenames = name.rpartition(" ")
        members.append(
            Member(
                name=name,
                sort_name=f"{forenames}, {surname}" if surname else name,
                slug=slug if slugs[slug] == 1 else f"{slug}-{slugs[slug]}",
                party=party,
                constituency=seat,
                house="commons",
            )
        )
    members = Member.objects.bulk_create(members)
    weights = [1 / (rank + 20) for rank in range(len(members))]
    rng.shuffle(weights)
    return members, weights


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(function, repeats):
    """p50 and p95 in ms over `repeats` runs, after one warm-up."""
    function()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def index_shape(path):
    """(MB on disk, number of segments) of the Whoosh or Tantivy index at `path`."""
    import json

    folder = Path(path)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    if (folder / "meta.json").exists():  # Tantivy
        return size / 1e6, len(json.loads((folder / "meta.json").read_text())["segments"])
    from whoosh.index import open_dir

    with open_dir(path).reader() as reader:
        segments = len(reader.leaf_readers())
    return size / 1e6, segments


def corpus_parser(doc):
    """The options of a bench on `build_corpus`'s corpus (bench/api.py adds its own)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=10_000)
    parser.add_argument("--per-day", type=int, default=500, help="speeches per sitting day")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--batched", action="store_true", help="index the load in batches, as load_transcripts"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser


def in_temporary_folder(run, args, prefix):
    """run(args, folder) in a new temporary folder, removed afterwards unless --keep."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    try:
        run(args, workdir)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    in_temporary_folder(run, corpus_parser(__doc__).parse_args(), "chamber-search-bench-")


def build_corpus(args, index_path):
    """Load --speeches speeches as sitting days through `load_file` (timing the index's
    share), give them the 650 MPs as speakers, rebuild the index, then load one more day.
    Django must be set up (`bench.browse.start_django`). bench/api.py builds its corpus
    here too. Returns the corpus and the figures, by name."""
    from contextlib import nullcontext

    from django.core.management import call_command
    from haystack import connections

    from bench.browse import sentence_pool, transcript
    from debates import signals
    from debates.ingest.importers.transcript import DebateMetadata
    from debates.ingest.loading import load_file
    from debates.models import Debate, Speech
    from search import indexing

    rng = random.Random(args.seed)
    pool = [s for s in sentence_pool() if s[0].isupper() and not JOINS_NEXT.search(s)]
    days = -(-args.speeches // args.per_day)
    span = (LAST_DAY - FIRST_DAY).days

    def sitting(n, speeches=args.per_day):
        date = FIRST_DAY + datetime.timedelta(
            days=n * span // max(1, days - 1) if days <= span else n
        )
        meta = DebateMetadata(
            title=rng.choice(TITLES),
            date=date,
            house="lords" if n % 5 == 4 else "commons",
            kind="debate",
        )
        return transcript(rng, pool, speeches), meta

    # Time the index's part of each load: recording the queue rows in the load's transaction
    # (`enqueue`) and draining them after it commits (`drain`). The module's functions are
    # looked up at call time, so replacing the module attributes is enough. Within the
    # drain, the backend's write (reading, preparing documents, adding them, committing).
    spent = {"enqueue": 0.0, "drain": 0.0, "write": 0.0}
    enqueue, drain = indexing.enqueue, indexing.drain
    backend_class = type(connections["default"].get_backend())
    write = backend_class.write

    def clocked(function, name):
        def timed_function(*a, **kw):
            started = time.perf_counter()
            try:
                return function(*a, **kw)
            finally:
                spent[name] += time.perf_counter() - started

        return timed_function

    def timed_write(self, *a, **kw):
        started = time.perf_counter()
        try:
            return write(self, *a, **kw)
        finally:
            spent["write"] += time.perf_counter() - started

    indexing.enqueue, indexing.drain = clocked(enqueue, "enqueue"), clocked(drain, "drain")
    backend_class.write = timed_write
    try:
        load_seconds = 0.0
        with signals.many_writes(sender=None) if args.batched else nullcontext():
            for n in range(days):
                raw, meta = sitting(n, min(args.per_day, args.speeches - n * args.per_day))
                started = time.perf_counter()
                load_file(raw, name=f"day-{n}.txt", metadata=meta)
                load_seconds += time.perf_counter() - started
            started = time.perf_counter()
        load_seconds += time.perf_counter() - started  # the batch's last write
        loaded = dict(spent)
        speeches = Speech.objects.count()
        _, load_segments = index_shape(index_path)

        # Speakers: the MPs, some far busier than others, so that member and party facets
        # have data. Bulk updates send no signals: the rebuild below indexes them.
        members, weights = create_members(rng)
        ids = list(Speech.objects.order_by("id").values_list("id", flat=True))
        speakers = {member.id: [] for member in members}
        for speech_id, member in zip(ids, rng.choices(members, weights, k=len(ids)), strict=True):
            speakers[member.id].append(speech_id)
        for member_id, theirs in speakers.items():
            for start in range(0, len(theirs), 5000):
                chunk = theirs[start : start + 5000]
                Speech.objects.filter(id__in=chunk).update(member_id=member_id)

        started = time.perf_counter()
        call_command("rebuild_index", interactive=False, verbosity=0)
        rebuild_seconds = time.perf_counter() - started
        size_mb, segments = index_shape(index_path)

        dates = sorted(Debate.objects.values_list("date", flat=True))

        # One more sitting day, loaded into the full index (its index write on commit).
        spent.update(enqueue=0.0, drain=0.0, write=0.0)
        raw = transcript(rng, pool, args.per_day)
        date = max(dates) + datetime.timedelta(days=2)
        meta = DebateMetadata(title=rng.choice(TITLES), date=date, house="commons", kind="debate")
        started = time.perf_counter()
        day = load_file(raw, name="one-more-day.txt", metadata=meta)
        day_seconds = time.perf_counter() - started
        day_spent = dict(spent)
        _, day_segments = index_shape(index_path)
    finally:
        indexing.enqueue, indexing.drain, backend_class.write = enqueue, drain, write
    return SimpleNamespace(
        rng=rng,
        pool=pool,
        days=days,
        speeches=speeches,
        members=members,
        dates=dates,
        loaded=loaded,
        load_seconds=load_seconds,
        load_segments=load_segments,
        rebuild_seconds=rebuild_seconds,
        size_mb=size_mb,
        segments=segments,
        day=day,
        day_seconds=day_seconds,
        day_spent=day_spent,
        day_segments=day_segments,
    )


def run(args, workdir):
    sys.path.insert(0, str(ROOT))
    from bench.browse import start_django

    start_django(workdir)
    index_path = os.environ["SEARCH_PATH"]
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from debates.models import Speech
    from search.analysis import stems
    from search.forms import SpeechSearchForm

    corpus = build_corpus(args, index_path)
    pool, days, speeches, members, dates = (
        corpus.pool,
        corpus.days,
        corpus.speeches,
        corpus.members,
        corpus.dates,
    )
    loaded, load_seconds, load_segments = corpus.loaded, corpus.load_seconds, corpus.load_segments
    rebuild_seconds, size_mb, segments = corpus.rebuild_seconds, corpus.size_mb, corpus.segments
    day, day_seconds = corpus.day, corpus.day_seconds
    day_spent, day_segments = corpus.day_spent, corpus.day_segments

    # The query mix: words and facet values that exist in this corpus. The rare word's stem
    # is in three pool sentences (a few speeches; a word in only one is often misspelt).
    sentences_with = Counter(stem for s in pool for stem in set(stems(s)))
    rare = min(
        w
        for s in pool
        for w in re.findall(r"[a-z]{8,}", s)
        if [sentences_with[stem] for stem in stems(w)] == [3]
    )
    party = (
        Speech.objects.filter(member__isnull=False)
        .exclude(member__party="")
        .values_list("member__party")
        .annotate(n=Count("id"))
        .order_by("-n")[0][0]
    )
    year = dates[len(dates) // 2].year
    mix = {
        f"rare word ({rare})": {"q": rare},
        "common word (government)": {"q": "government"},
        'phrase ("the hon. Member")': {"q": '"the hon. Member"'},
        "exclusion (government -minister)": {"q": "government -minister"},
        "government, 2 facets + dates, newest": {
            "q": "government",
            "party": party,
            "year": str(year),
            "date_from": f"{year - 2}-01-01",
            "date_to": f"{year + 2}-12-31",
            "sort": "newest",
        },
        "everything, newest (+year histogram)": {},
    }
    rows = []
    client = Client()
    for label, params in mix.items():

        def search(params=params, label=label):
            form = SpeechSearchForm(params)
            if not form.is_valid():
                raise SystemExit(f"{label}: {form.errors.as_text()}")
            outcome = form.search()
            return outcome.total, [result.object for result in outcome.page]

        def page(params=params, label=label):
            response = client.get("/search/", params)
            if response.status_code != 200:
                raise SystemExit(f"{label}: GET /search/ answered {response.status_code}")

        total, shown = search()
        if len(shown) != min(total, 20) or None in shown:
            print(f"({label}: {total} results but {len(shown)} loaded on the first page)")
        rows.append((label, total, *timed(search, args.repeats), *timed(page, args.repeats)))

    spelling_rows, vocabulary_size = time_spelling(args)
    feature_rows = time_features(args, client)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    how = "in batches (--batched)" if args.batched else "on each commit"

    def rate(label, count, seconds):
        print(f"{label + ':':<36}{count / seconds:>9,.0f} speeches/s  ({seconds:.1f} s)")

    print(
        f"Corpus: {speeches:,} speeches, {days:,} sitting days {dates[0].year}-{dates[-1].year},"
        f" {len(members)} members{'' if MEMBERS_CSV.exists() else ' (made up)'};"
    )
    print(f"        {connection.vendor}, sentence pool {len(pool):,}, index written {how}")
    rate("Load (load_file), all of it", speeches, load_seconds)
    rate("  of which queue rows (enqueue)", speeches, loaded["enqueue"])
    rate("  of which draining the queue", speeches, loaded["drain"])
    rate("    of which backend write", speeches, loaded["write"])
    rate("Full rebuild (rebuild_index)", speeches, rebuild_seconds)
    print(
        f"{'Index after rebuild:':<36}{size_mb:>9,.1f} MB, {segments} segments"
        f"  (after the load: {load_segments})"
    )
    print(
        f"{f'One more day ({day.speech_count} speeches):':<36}{day_seconds:>9.2f} s load,"
        f" of which queue {day_spent['enqueue']:.2f} s, drain {day_spent['drain']:.2f} s"
        f" (write {day_spent['write']:.2f} s);"
        f" {day_segments} segments"
    )
    print(f"{'Peak memory (RSS):':<36}{peak_mb:>9,.0f} MB")
    print()
    print(f"{'query':<44} {'hits':>7} {'search p50':>10} {'p95':>6} {'page p50':>9} {'p95':>6}")
    for label, total, p50, p95, page50, page95 in rows:
        print(f"{label:<44} {total:>7,} {p50:>10.1f} {p95:>6.1f} {page50:>9.1f} {page95:>6.1f}")
    print(f"(2 facets: party={party}, year={year}; dates {year - 2}-01-01 to {year + 2}-12-31;")
    print(f" ms over {args.repeats} runs after a warm-up; search = SpeechSearchForm.search()")
    print(" through Haystack with every facet counted and the page's speeches loaded;")
    print(" page = the whole GET /search/ request through the test client)")
    print()
    print(f"Spelling suggestions ({vocabulary_size:,} words in the vocabulary; each query new):")
    for label, p50, p95 in spelling_rows:
        print(f"{label:<52} {p50:>8.1f} {p95:>6.1f} ms (p50, p95)")
    print()
    print("Related speeches and member suggestions (a different speech or prefix each time):")
    for label, p50, p95 in feature_rows:
        print(f"{label:<52} {p50:>8.1f} {p95:>6.1f} ms (p50, p95)")


def time_features(args, client):
    """ "Related speeches" (more_like_this, five from other debates, loaded) for a speech,
    alone and as its whole page; and the search box's member suggestions endpoint."""
    from debates.models import Member, Speech
    from search.related import related_speeches

    rng = random.Random(args.seed)
    ids = list(Speech.objects.values_list("id", flat=True))
    prefixes = sorted(
        {name.split()[-1][:3].lower() for name in Member.objects.values_list("name", flat=True)}
    )

    def related():
        speech = Speech.objects.with_context().get(pk=rng.choice(ids))
        if len(related_speeches(speech)) > 5:
            raise SystemExit("more than five related speeches")

    def speech_page():
        speech = Speech.objects.select_related("debate").get(pk=rng.choice(ids))
        response = client.get(speech.get_absolute_url())
        if response.status_code != 200:
            raise SystemExit(f"{speech.get_absolute_url()} answered {response.status_code}")

    def suggestions():
        response = client.get("/search/speakers/", {"q": rng.choice(prefixes)})
        if response.status_code != 200:
            raise SystemExit(f"/search/speakers/ answered {response.status_code}")

    return [
        ("related speeches (search.related)", *timed(related, args.repeats)),
        ("a speech's whole page, with them", *timed(speech_page, args.repeats)),
        ("member suggestions (GET /search/speakers/?q=abc)", *timed(suggestions, args.repeats)),
    ]


def time_spelling(args):
    """Suggestions for queries never asked before (the cache would hide the work): one
    misspelt word, and 500 characters of misspelt words; and the first suggestion of a
    process, which reads the vocabulary and files its words by deletion."""
    from haystack import connections

    from search.whoosh.spelling import Vocabulary

    backend = connections["default"].get_backend()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    fresh = Vocabulary(backend.path)
    fresh.suggest("govermnent")
    first = (time.perf_counter() - start) * 1000
    with sqlite3.connect(fresh.path) as db:
        words = [word for (word,) in db.execute("SELECT word FROM word WHERE length(word) >= 6")]

    def misspelt():
        word = rng.choice(words)
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped

    def one_word():
        fresh.suggest(misspelt())

    def long_query():
        fresh.suggest(" ".join(misspelt() for _ in range(90))[:500])

    rows = [("first suggestion of a process", first, first)]
    rows.append(("one misspelt word", *timed(one_word, args.repeats)))
    rows.append(("500 characters of misspelt words (~60 words)", *timed(long_query, args.repeats)))
    return rows, fresh.size()


if __name__ == "__main__":
    main()

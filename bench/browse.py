"""How fast Chamber loads transcripts and serves its browsing pages.

    .venv/bin/python bench/browse.py [--debates 200] [--speeches 100] [--requests 30]

Builds a corpus of plain-text transcripts by recombining real Hansard sentences (the seeds
and fixtures/historic/speeches_sample.json.gz), loads it through
`debates.ingest.loading.load_file` into a temporary SQLite database (or DATABASE_URL) with a
temporary Whoosh index, then times each browsing page through Django's test client and
prints a table. Nothing here is a test: it prints figures.
"""

import argparse
import datetime
import gzip
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORIC = ROOT / "fixtures" / "historic" / "speeches_sample.json.gz"
# Each speech after the first answers a question that ends the one before, as the plain-text
# detector (debates.ingest.importers.turns) recognises a change of speaker.
QUESTIONS = [
    "Will the Minister meet me to discuss this?",
    "Will the Secretary of State look at this again?",
    "Does my right hon. Friend agree that more must be done?",
]
REPLY_OPENINGS = [
    "I thank the hon. Member for his question.",  # bench/search.py's phrase query finds these
    "I thank the hon. Gentleman for his question.",
    "I thank my hon. Friend for his question.",
    "I thank the hon. Lady for her question.",
]


def sentence_pool() -> list[str]:
    pool = []
    for seed in sorted((ROOT / "fixtures" / "seeds").glob("*.txt")):
        pool += [line.strip() for line in seed.read_text().splitlines() if line.strip()]
    for record in json.loads(gzip.decompress(HISTORIC.read_bytes())):
        pool += [s for s in re.split(r"(?<=[.?!])\s+", record["text"]) if 20 < len(s) < 400]
    # A pool sentence must not itself start a turn, or speeches would split where we don't mean.
    from debates.ingest.importers.turns import turn_starts

    return [s for s in pool if turn_starts(["It is so.", s, "It is so."]) == [0]]


def transcript(rng: random.Random, pool: list[str], speeches: int) -> bytes:
    lines = []
    for n in range(speeches):
        if n:
            lines += [rng.choice(QUESTIONS), rng.choice(REPLY_OPENINGS)]
        lines += rng.sample(pool, rng.randint(2, 8))
    return ("\n".join(lines) + "\n").encode()


def start_django(workdir: str) -> None:
    """Django on a fresh database in `workdir` (or DATABASE_URL, which must be empty) with
    a Whoosh index beside it, migrated, as the test client needs it."""
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["SEARCH_PATH"] = f"{workdir}/index"
    os.environ["STATIC_ROOT"] = f"{workdir}/static"  # DEBUG off: hashed names, collected below
    os.environ.update(DEBUG="0", SECRET_KEY="bench-only", ALLOWED_HOSTS="testserver")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no line per request
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "sqlite":
        name = connection.settings_dict["NAME"]
        print(f"Using {connection.vendor} database {name}: it must be empty")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    setup_test_environment()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debates", type=int, default=200)
    parser.add_argument("--speeches", type=int, default=100, help="speeches per debate")
    parser.add_argument("--members", type=int, default=650)
    parser.add_argument("--requests", type=int, default=30, help="requests per page")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="chamber-bench-")
    start_django(workdir)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from debates.ingest.importers import detect
    from debates.ingest.importers.transcript import DebateMetadata
    from debates.ingest.loading import load_file
    from debates.models import Debate, Member, Speech
    from search import indexing as search_indexing

    rng = random.Random(args.seed)
    pool = sentence_pool()
    files = [
        (
            transcript(rng, pool, args.speeches),
            DebateMetadata(
                title=f"Bench debate {n}",
                date=datetime.date(2004, 1, 5) + datetime.timedelta(days=n * 7 % 7300 + n // 1043),
                house="commons",
                kind="debate",
            ),
        )
        for n in range(args.debates)
    ]
    megabytes = sum(len(raw) for raw, _ in files) / 1e6

    started = time.perf_counter()
    parsed = [detect.parse(raw, metadata=meta) for raw, meta in files]
    parse_seconds = time.perf_counter() - started
    speeches = sum(p.speech_count for p in parsed)
    sentences = sum(p.sentence_count for p in parsed)

    # Time the search-index part of each load apart from the database part.
    index_seconds = 0.0
    drain = search_indexing.drain

    def timed_drain(**kwargs):
        nonlocal index_seconds
        started = time.perf_counter()
        try:
            return drain(**kwargs)
        finally:
            index_seconds += time.perf_counter() - started

    search_indexing.drain = timed_drain
    started = time.perf_counter()
    for n, (raw, meta) in enumerate(files):
        load_file(raw, name=f"bench-{n}.txt", metadata=meta)
    load_seconds = time.perf_counter() - started
    search_indexing.drain = drain

    members = Member.objects.bulk_create(
        Member(name=f"Member {n}", sort_name=f"{n:04d}", slug=f"member-{n}")
        for n in range(args.members)
    )
    ids = list(Speech.objects.values_list("id", flat=True))
    busiest = members[0]
    for offset, member in enumerate(members):
        Speech.objects.filter(id__in=ids[offset :: len(members)]).update(member=member)

    debate = Debate.objects.order_by("date").first()
    speech = debate.speeches.get(position=2)
    pages = {
        "home": "/",
        "archive": "/debates/",
        "month": f"/debates/{debate.date.year}/{debate.date.month}/",
        "sitting day": f"/debates/{debate.date.isoformat()}/",
        f"debate ({debate.speeches.count()} speeches)": debate.get_absolute_url(),
        "speech permalink": speech.get_absolute_url(),
        f"members ({len(members)})": "/members/",
        f"member ({busiest.speeches.count()} speeches)": busiest.get_absolute_url(),
        "member, last page": busiest.get_absolute_url() + "?page=9999",
    }
    client = Client()
    rows = []
    for label, url in pages.items():
        client.get(url)  # warm caches
        timings = []
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        rows.append(
            (
                label,
                statistics.median(timings),
                percentile(timings, 0.95),
                len(queries),
                len(response.content),
            )
        )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db_seconds = load_seconds - index_seconds
    print(f"Corpus: {args.debates:,} debates, {speeches:,} speeches, {sentences:,} sentences,")
    print(f"        {megabytes:.1f} MB of text; sentence pool {len(pool):,}; {connection.vendor}")
    for label, seconds in [
        ("Parse (pure importer)", parse_seconds),
        ("Load, all of it", load_seconds),
        ("  of which database writes", db_seconds),
        ("  of which search indexing", index_seconds),
    ]:
        print(f"{label + ':':<32}{speeches / seconds:>10,.0f} speeches/s  ({seconds:.2f} s)")
    print(f"{'Peak memory (RSS):':<32}{peak_mb:>10,.0f} MB")
    print()
    print(f"{'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>8}")
    for label, p50, p95, query_count, size in rows:
        print(f"{label:<28} {p50:>8.1f} {p95:>8.1f} {query_count:>8} {size / 1024:>8.0f}")


if __name__ == "__main__":
    main()

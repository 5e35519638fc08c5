"""Chamber at the scale of a decade of Parliament: each search engine on the same corpus.

    .venv/bin/python bench/scale.py [--speeches 100000] [--engines whoosh,tantivy]
                                    [--repeats 20] [--corpus DIR] [--keep] [--seed 1]

Builds a corpus of N synthetic speeches once: real Hansard sentences recombined (bench/
browse.py's pool), about 760 bytes a speech, in sitting days of 500 from 2001 to 2024 (every
fifth day in the Lords), the 650 MPs of fixtures/members as speakers. It goes straight into
the database with bulk inserts (how fast transcripts load is bench/loading.py's question):
a SQLite file in the corpus folder, or DATABASE_URL (which must be empty).

Then, for each engine, in a process of its own (SEARCH_ENGINE=<engine>, an index folder of
its own): `rebuild_index` (the database read included; for Whoosh, the merges at its end
too), the index's size and segments, one more sitting day of 500 speeches loaded through
`load_file` with its index write, the query mix (rare word, common word, the phrase "the
government", an exclusion, two facets and dates sorted newest, everything with every facet
and the year histogram) through Haystack (`SpeechSearchForm.search()`: every facet counted
and the page's speeches loaded) and as whole GET /search/ pages, and peak memory (RSS).
The engines' figures are printed side by side. With --corpus DIR the corpus in DIR is used
(built there first if DIR is empty), and kept. Nothing here is a test: it prints figures.
"""

import argparse
import datetime
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import (  # noqa: E402
    FIRST_DAY,
    JOINS_NEXT,
    LAST_DAY,
    TITLES,
    create_members,
    index_shape,
    percentile,
)

PER_DAY = 500
DAY_FILE = "one-more-day.txt"  # the sitting day each engine's run adds
ENGINES = ("whoosh", "tantivy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=100_000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per query")
    parser.add_argument("--corpus", help="a folder to build the corpus in, or reuse it from")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine-run", help=argparse.SUPPRESS)  # one engine, in a child
    args = parser.parse_args()
    if args.engine_run:
        return engine_run(args)

    folder = Path(args.corpus) if args.corpus else Path(tempfile.mkdtemp(prefix="chamber-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        corpus = build_corpus(args, folder)
        results = {}
        for engine in args.engines.split(","):
            results[engine] = measure(args, folder, engine.strip())
        report(corpus, results, args)
    finally:
        if args.corpus or args.keep:
            print(f"Corpus kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def django_env(folder: Path, engine: str = "whoosh") -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'corpus.sqlite3'}"),
        "SEARCH_ENGINE": engine,
        "SEARCH_PATH": str(folder / f"index-{engine}"),
        "STATIC_ROOT": str(folder / "static"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }


def start_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


# -- The corpus, once ---------------------------------------------------------------------


def build_corpus(args: argparse.Namespace, folder: Path) -> dict:
    """The corpus in the database (made unless `folder` already has one): its figures."""
    described = folder / "corpus.json"
    if described.exists():
        corpus = json.loads(described.read_text())
        print(f"Reusing the corpus of {corpus['speeches']:,} speeches in {folder}")
        return corpus
    start_django(django_env(folder))
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils.text import slugify

    from bench.browse import sentence_pool
    from debates.models import Debate, Speech

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Speech.objects.exists():
        raise SystemExit("The database already holds speeches: give an empty one.")
    started = time.perf_counter()
    rng = random.Random(args.seed)
    pool = [s for s in sentence_pool() if s[0].isupper() and not JOINS_NEXT.search(s)]
    members, weights = create_members(rng)
    days = -(-args.speeches // PER_DAY)
    span = (LAST_DAY - FIRST_DAY).days
    written = 0
    for n in range(days):
        date = FIRST_DAY + datetime.timedelta(days=n * span // max(1, days - 1))
        title = rng.choice(TITLES)
        count = min(PER_DAY, args.speeches - written)
        with transaction.atomic():
            debate = Debate.objects.create(
                title=title,
                date=date,
                house="lords" if n % 5 == 4 else "commons",
                slug=slugify(title),
                source_reference=f"scale-{n}",
            )
            speakers = rng.choices(members, weights, k=count)
            Speech.objects.bulk_create(
                (
                    Speech(
                        debate=debate,
                        position=position,
                        member=speaker,
                        speaker_name=speaker.name,
                        text="\n".join(rng.sample(pool, rng.randint(3, 8))),
                    )
                    for position, speaker in enumerate(speakers, start=1)
                ),
                batch_size=2000,
            )
        written += count
        if n % 200 == 0:
            print(f"  corpus: {written:,} speeches", file=sys.stderr)
    seconds = time.perf_counter() - started
    text_bytes = sum(len(text.encode()) for text in Speech.objects.values_list("text", flat=True))
    corpus = {
        "speeches": written,
        "days": days,
        "members": len(members),
        "first": str(FIRST_DAY),
        "bytes_per_speech": round(text_bytes / max(1, written)),
        "vendor": connection.vendor,
        "seconds": round(seconds, 1),
        "seed": args.seed,
    }
    described.write_text(json.dumps(corpus))
    return corpus


# -- One engine, in a process of its own --------------------------------------------------


def measure(args: argparse.Namespace, folder: Path, engine: str) -> dict:
    print(f"Measuring {engine}...", file=sys.stderr)
    shutil.rmtree(folder / f"index-{engine}", ignore_errors=True)
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--engine-run",
            engine,
            "--corpus",
            str(folder),
            "--repeats",
            str(args.repeats),
            "--seed",
            str(args.seed),
        ],
        env=django_env(folder, engine),
        capture_output=True,
        text=True,
    )
    if child.returncode:
        raise SystemExit(f"{engine} failed:\n{child.stdout}\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["measured"] = datetime.datetime.now().isoformat(timespec="minutes")
    (folder / f"results-{engine}.json").write_text(json.dumps(figures))  # kept with --corpus
    return figures


def engine_run(args: argparse.Namespace) -> None:
    folder = Path(args.corpus)
    engine = args.engine_run
    start_django(django_env(folder, engine))
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.browse import sentence_pool, transcript
    from debates.ingest.importers.transcript import DebateMetadata
    from debates.ingest.loading import load_file
    from debates.models import Debate, SourceFile, Speech
    from search.analysis import stems
    from search.forms import SpeechSearchForm
    from search.models import IndexTask

    setup_test_environment()
    figures: dict = {"engine": engine}
    # The corpus as it was built: a sitting day an earlier run added goes (the same bytes
    # would not load again).
    Debate.objects.filter(source_file__name=DAY_FILE).delete()
    SourceFile.objects.filter(name=DAY_FILE).delete()
    IndexTask.objects.all().delete()  # the rebuild below covers them

    def everything() -> int:
        form = SpeechSearchForm({})
        assert form.is_valid()
        return int(form.search().total)

    index_path = Path(os.environ["SEARCH_PATH"])

    started = time.perf_counter()
    call_command("rebuild_index", interactive=False, verbosity=0)
    figures["rebuild_seconds"] = time.perf_counter() - started
    figures["speeches"] = Speech.objects.count()
    figures["rebuild_rss_mb"] = peak_rss_mb()
    figures["size_mb"], figures["segments"] = index_shape(index_path)

    # One more sitting day, loaded through load_file: its index write follows the commit.
    rng = random.Random(args.seed + 1)
    pool = [s for s in sentence_pool() if s[0].isupper() and not JOINS_NEXT.search(s)]
    last = Debate.objects.order_by("-date").values_list("date", flat=True).first()
    assert last is not None
    meta = DebateMetadata(
        title="One More Day",
        date=last + datetime.timedelta(days=2),
        house="commons",
        kind="debate",
    )
    before = everything()
    started = time.perf_counter()
    day = load_file(transcript(rng, pool, PER_DAY), name=DAY_FILE, metadata=meta)
    figures["day_seconds"] = time.perf_counter() - started
    figures["day_speeches"] = day.speech_count
    figures["day_segments"] = index_shape(index_path)[1]
    figures["day_searchable"] = everything() - before  # found at once, or not

    # The query mix, on words and values this corpus has. The rare word's stem is in three
    # pool sentences.
    sentences_with = Counter(stem for s in pool for stem in set(stems(s)))
    rare = min(
        w
        for s in pool
        for w in re.findall(r"[a-z]{8,}", s)
        if [sentences_with[stem] for stem in stems(w)] == [3]
    )
    party = (
        Speech.objects.exclude(member__party="")
        .filter(member__isnull=False)
        .values_list("member__party")
        .annotate(n=Count("id"))
        .order_by("-n")[0][0]
    )
    dates = sorted(Debate.objects.values_list("date", flat=True))
    year = dates[len(dates) // 2].year
    mix = {
        f"rare word ({rare})": {"q": rare},
        "common word (government)": {"q": "government"},
        'phrase ("the government")': {"q": '"the government"'},
        "exclusion (government -minister)": {"q": "government -minister"},
        "2 facets + dates, newest": {
            "q": "government",
            "party": party,
            "year": str(year),
            "date_from": f"{year - 2}-01-01",
            "date_to": f"{year + 2}-12-31",
            "sort": "newest",
        },
        "everything, newest (+histogram)": {},
    }
    client = Client()
    rows = []
    for label, params in mix.items():

        def search(params: dict = params, label: str = label) -> int:
            form = SpeechSearchForm(params)
            if not form.is_valid():
                raise SystemExit(f"{label}: {form.errors.as_text()}")
            outcome = form.search()
            loaded = [result.object for result in outcome.page]
            if None in loaded:
                raise SystemExit(f"{label}: a result without its speech")
            return int(outcome.total)

        def page(params: dict = params, label: str = label) -> None:
            response = client.get("/search/", params)
            if response.status_code != 200:
                raise SystemExit(f"{label}: GET /search/ answered {response.status_code}")

        hits = search()
        rows.append([label, hits, *timed(search, args.repeats), *timed(page, args.repeats)])
    figures["queries"] = rows
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))


def timed(function, repeats: int) -> tuple[float, float]:
    """p50 and p95 in ms over `repeats` runs, after one warm-up."""
    function()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.95)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- The report ---------------------------------------------------------------------------


def report(corpus: dict, results: dict[str, dict], args: argparse.Namespace) -> None:
    engines = list(results)
    print()
    print(
        f"Corpus: {corpus['speeches']:,} speeches ({corpus['bytes_per_speech']} bytes each on"
        f" average), {corpus['days']:,} sitting days, {corpus['members']} members;"
        f" {corpus['vendor']}; built in {corpus['seconds']:,.0f} s"
    )
    width = 14
    print()
    print(f"{'':<36}" + "".join(f"{engine:>{width}}" for engine in engines))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:<36}" + "".join(f"{value:>{width}}" for value in values))

    row(
        "rebuild_index, speeches/s",
        [f"{r['speeches'] / r['rebuild_seconds']:,.0f}" for r in results.values()],
    )
    row("rebuild_index, seconds", [f"{r['rebuild_seconds']:,.1f}" for r in results.values()])
    row("index size, MB", [f"{r['size_mb']:,.0f}" for r in results.values()])
    row("segments after the rebuild", [str(r["segments"]) for r in results.values()])
    row(
        "one more day (500), seconds",
        [f"{r['day_seconds']:.2f}" for r in results.values()],
    )
    row("  segments after it", [str(r["day_segments"]) for r in results.values()])
    row("  its speeches found at once", [str(r["day_searchable"]) for r in results.values()])
    row("peak RSS, MB (rebuild)", [f"{r['rebuild_rss_mb']:,.0f}" for r in results.values()])
    row("peak RSS, MB (all)", [f"{r['peak_rss_mb']:,.0f}" for r in results.values()])
    print()
    print(
        f"{'query (p50/p95 ms)':<36}{'hits':>9}"
        + "".join(f"{engine + ' search':>18}{engine + ' page':>18}" for engine in engines)
    )
    first = results[engines[0]]["queries"]
    for i, (label, hits, *_) in enumerate(first):
        cells = []
        for engine in engines:
            _, engine_hits, s50, s95, p50, p95 = results[engine]["queries"][i]
            mark = "" if engine_hits == hits else f" ({engine_hits:,} hits)"
            cells.append(f"{s50:>9.1f}/{s95:<7.1f}{p50:>10.1f}/{p95:<7.1f}{mark}")
        print(f"{label:<36}{hits:>9,}" + "".join(cells))
    print(
        f"(ms over {args.repeats} runs after a warm-up; search = SpeechSearchForm.search()"
        " through Haystack, every facet counted and the page's speeches loaded; page = the"
        " whole GET /search/ through the test client)"
    )


if __name__ == "__main__":
    main()

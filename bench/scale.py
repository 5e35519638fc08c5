"""Chamber at the scale of a decade of Parliament: each search engine on the same corpus.

    .venv/bin/python bench/scale.py [--speeches 100000] [--engines whoosh,tantivy]
                                    [--repeats 20] [--corpus DIR] [--keep] [--seed 1]
                                    [--report-only]

Builds a corpus of N synthetic speeches once: real Hansard sentences recombined (bench/
browse.py's pool), about 760 bytes a speech, in sitting days of 500 from 2001 to 2024 (every
fifth day in the Lords), the 650 MPs of fixtures/members as speakers. It goes straight into
the database with bulk inserts (how fast transcripts load is bench/loading.py's question):
a SQLite file in the corpus folder, or DATABASE_URL (which must be empty).

Engines (--engines, comma-separated): `whoosh`, `tantivy`, `xapian` (one local Xapian
database) and `xapian-N` (Xapian on N shards, each served by its own `xapian-tcpsrv
--writable` on loopback, XAPIAN_SHARDS naming them: `xapian-1`, `xapian-2`). The shard
servers are started here (`ShardServers`, on search.xapian.servers) before the engine's
run, on free ports, each on its own database in index-xapian-N/shard-K/database, and
stopped after it, also when it fails.

Then, for each engine, in a process of its own (SEARCH_ENGINE=<engine>, an index folder of
its own, removed first): `rebuild_index` (the database read included; for Whoosh, the
merges at its end too), the index's size and segments, one more sitting day of 500
speeches loaded through `load_file` with its index write, the query mix (rare word, common
word, the phrase "the government", an exclusion, two facets and dates sorted newest,
everything with every facet and the year histogram) through Haystack
(`SpeechSearchForm.search()`: every facet counted and the page's speeches loaded) and as
whole GET /search/ pages, and peak memory: the web process's peak RSS (its own ru_maxrss:
Django, Haystack and, for the embedded engines, the engine), and for sharded Xapian the
shard servers' (`ServerMemory`: VmHWM of each tcpsrv and of each connection process it
forks, sampled from /proc every 0.2 s while the run lasts). Xapian's index size is every
file under its index folder (its shards' databases included); Xapian has no segments, so
it reports the documents on each database instead.

The engines' figures are printed side by side, with the load average before and after each
run (the runs are wall-clock times). With --corpus DIR the corpus in DIR is used (built
there first if DIR is empty), and kept, as is each engine's results-<engine>.json:
--report-only prints the report of the engines named from those, running nothing. Nothing
here is a test: it prints figures.
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
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from search.xapian.servers import ShardServer

PER_DAY = 500
DAY_FILE = "one-more-day.txt"  # the sitting day each engine's run adds
ENGINES = ("whoosh", "tantivy")  # the default; also xapian, xapian-1, xapian-2 (xapian-N)
SHARDED = re.compile(r"xapian-(?P<shards>[1-9][0-9]*)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=100_000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per query")
    parser.add_argument("--corpus", help="a folder to build the corpus in, or reuse it from")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="print the report from the corpus folder's kept results, running nothing",
    )
    parser.add_argument("--engine-run", help=argparse.SUPPRESS)  # one engine, in a child
    args = parser.parse_args()
    if args.engine_run:
        return engine_run(args)
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    for engine in engines:
        if engine not in ("whoosh", "tantivy", "xapian") and not SHARDED.fullmatch(engine):
            parser.error(f"unknown engine {engine!r}: whoosh, tantivy, xapian or xapian-N")
    if args.report_only:
        if not args.corpus:
            parser.error("--report-only reads the results kept in --corpus DIR")
        folder = Path(args.corpus)
        corpus = json.loads((folder / "corpus.json").read_text())
        kept = {e: json.loads((folder / f"results-{e}.json").read_text()) for e in engines}
        return report(corpus, kept, args)

    folder = Path(args.corpus) if args.corpus else Path(tempfile.mkdtemp(prefix="chamber-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        corpus = build_corpus(args, folder)
        results = {}
        for engine in engines:
            results[engine] = measure(args, folder, engine)
        report(corpus, results, args)
    finally:
        if args.corpus or args.keep:
            print(f"Corpus kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def django_env(folder: Path, engine: str = "whoosh", shards: str = "") -> dict[str, str]:
    """The settings of a run of `engine` ("xapian-N" is SEARCH_ENGINE=xapian on the shard
    servers `shards`, host:port,host:port; plain "xapian" one local database)."""
    environment = {key: value for key, value in os.environ.items() if key != "XAPIAN_SHARDS"}
    if shards:
        environment["XAPIAN_SHARDS"] = shards
    return {
        **environment,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'corpus.sqlite3'}"),
        "SEARCH_ENGINE": "xapian" if SHARDED.fullmatch(engine) else engine,
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
    index = folder / f"index-{engine}"
    shutil.rmtree(index, ignore_errors=True)
    sharded = SHARDED.fullmatch(engine)
    count = int(sharded["shards"]) if sharded else 0
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    shards = [index / f"shard-{n}" for n in range(count)]
    with ShardServers(shards, django_env(folder)) as servers:
        memory = ServerMemory(servers.pids())
        memory.start()
        try:
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
                env=django_env(folder, engine, servers.addresses()),
                capture_output=True,
                text=True,
            )
        finally:
            memory.stop()
        if child.returncode:
            raise SystemExit(f"{engine} failed:\n{child.stdout}\n{child.stderr}{servers.logs()}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["shards"] = count
    if count:
        figures["servers_largest_mb"] = memory.largest_kb / 1024
        figures["servers_together_mb"] = memory.together_kb / 1024
    figures["run_seconds"] = time.perf_counter() - started
    figures["load"] = [load_before, os.getloadavg()[0]]
    figures["measured"] = datetime.datetime.now().isoformat(timespec="minutes")
    (folder / f"results-{engine}.json").write_text(json.dumps(figures))  # kept with --corpus
    return figures


# -- Xapian's shard servers ---------------------------------------------------------------


class ShardServers:
    """For one engine's run: a `xapian-tcpsrv --writable` on loopback for each shard folder
    (search.xapian.servers.ShardServer: its database in <folder>/database, its pidfile and
    log beside it), on free ports, each answering before the run starts; leaving the block
    stops them all (their process groups: the connection processes go with them), also when
    the run failed. No folders: nothing is started."""

    def __init__(self, folders: list[Path], settings: dict[str, str]):
        self.servers: list[ShardServer] = []
        if not folders:
            return
        start_django(settings)  # search.xapian imports Haystack, which reads Django's settings
        from search.xapian import servers

        pairs = zip(folders, servers.free_ports(len(folders)), strict=True)
        self.servers = [servers.ShardServer(folder, "127.0.0.1", port) for folder, port in pairs]

    def __enter__(self) -> "ShardServers":
        try:
            for server in self.servers:
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def addresses(self) -> str:
        return ",".join(server.address for server in self.servers)

    def pids(self) -> list[int]:
        return [pid for server in self.servers if (pid := server.pid()) is not None]

    def logs(self) -> str:
        return "".join(f"\n{s.logfile}:\n{s.log_tail(20)}" for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


class ServerMemory(threading.Thread):
    """The shard servers' memory while a run lasts: every 0.2 s, VmHWM (peak resident set)
    of each tcpsrv and of each connection process it has forked (one a connection: the web
    process's reader and its writer each have one). `largest_kb` is the largest of any one
    process; `together_kb` the largest sum over the processes alive at one sample (an upper
    bound: a forked process shares its parent's pages until it writes them). A connection
    process that ends between two samples is counted as of the sample before."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.largest_kb = 0
        self.together_kb = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(0.2):
            self.sample()

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive():
            self.join()
        self.sample()

    def sample(self) -> None:
        peaks = []
        for pid in self.pids:
            for process in [pid, *children(pid)]:
                peak = vm_hwm_kb(process)
                if peak:
                    peaks.append(peak)
        if peaks:
            self.largest_kb = max(self.largest_kb, *peaks)
            self.together_kb = max(self.together_kb, sum(peaks))


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def vm_hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # it ended
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found[1]) if found else 0


def index_figures(index: Path) -> tuple[float, int | None, list[int] | None]:
    """(MB on disk, segments, documents on each Xapian database) of the index in `index`:
    Whoosh and Tantivy have segments (bench/search.index_shape), Xapian databases (one, or
    one in each shard-K folder), whose files are summed with the rest of its folder (the
    spelling vocabulary, as for the other engines), less the shard servers' logs and
    pidfiles."""
    databases = sorted(marker.parent for marker in index.rglob("iamglass"))
    if not databases:
        size_mb, segments = index_shape(index)
        return size_mb, segments, None
    import xapian

    from search.xapian.servers import LOGFILE, PIDFILE

    size = sum(
        f.stat().st_size
        for f in index.rglob("*")
        if f.is_file() and f.name not in (LOGFILE, PIDFILE)
    )
    documents = []
    for database in databases:
        opened = xapian.Database(str(database))
        documents.append(opened.get_doccount())
        opened.close()
    return size / 1e6, None, documents


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
    figures["size_mb"], figures["segments"], figures["documents"] = index_figures(index_path)

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
    figures["day_segments"] = index_figures(index_path)[1]
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
    """One table of the engines' figures side by side, then one of the queries: three rows
    a query (hits, search, page), a column an engine, so that five engines fit 120 columns."""
    engines = list(results)
    runs = list(results.values())
    print()
    print(
        f"Corpus: {corpus['speeches']:,} speeches ({corpus['bytes_per_speech']} bytes each on"
        f" average), {corpus['days']:,} sitting days, {corpus['members']} members;"
        f" {corpus['vendor']}; built in {corpus['seconds']:,.0f} s"
    )
    width = 16
    print()
    print(f"{'':<36}" + "".join(f"{engine:>{width}}" for engine in engines))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:<36}" + "".join(f"{value:>{width}}" for value in values))

    def each(key: str, shown: str = "{:,.0f}") -> list[str]:
        return ["-" if r.get(key) is None else shown.format(r[key]) for r in runs]

    row("rebuild_index, speeches/s", [f"{r['speeches'] / r['rebuild_seconds']:,.0f}" for r in runs])
    row("rebuild_index, seconds", each("rebuild_seconds", "{:,.1f}"))
    row("index size, MB", each("size_mb"))
    row("segments after the rebuild", each("segments", "{}"))
    row(
        "documents on each database",
        ["/".join(f"{n:,}" for n in r.get("documents") or ()) or "-" for r in runs],
    )
    row("one more day (500), seconds", each("day_seconds", "{:.2f}"))
    row("  segments after it", each("day_segments", "{}"))
    row("  its speeches found at once", each("day_searchable", "{}"))
    row("web process peak RSS, MB (rebuild)", each("rebuild_rss_mb"))
    row("web process peak RSS, MB (all)", each("peak_rss_mb"))
    row("shard servers, MB (largest process)", each("servers_largest_mb"))
    row("shard servers, MB (all at once)", each("servers_together_mb"))
    row("whole run, seconds", each("run_seconds"))
    row(
        "load average before/after",
        [f"{r['load'][0]:.1f}/{r['load'][1]:.1f}" if r.get("load") else "-" for r in runs],
    )
    print()
    print(f"{'query (p50/p95 ms)':<36}" + "".join(f"{engine:>{width}}" for engine in engines))
    for i, (label, *_) in enumerate(runs[0]["queries"]):
        print(label)
        queries = [r["queries"][i] for r in runs]
        row("  hits", [f"{q[1]:,}" for q in queries])
        row("  search", [f"{q[2]:.1f}/{q[3]:.1f}" for q in queries])
        row("  page", [f"{q[4]:.1f}/{q[5]:.1f}" for q in queries])
    print(
        f"(ms over {args.repeats} runs after a warm-up; search = SpeechSearchForm.search()"
        " through Haystack, every facet counted and the page's speeches loaded; page = the"
        " whole GET /search/ through the test client. Web process: its own peak RSS. Shard"
        " servers: VmHWM of each xapian-tcpsrv and of the connection processes it forks,"
        " sampled every 0.2 s; all at once sums those alive together, shared pages counted"
        " in each.)"
    )


if __name__ == "__main__":
    main()

"""How fast `manage.py load_transcripts` loads a folder of ParlParse sitting days.

    .venv/bin/python bench/loading.py [--speeches 100000] [--per-day 500] [--seed 1]
                                      [--database-url postgres://...] [--no-index] [--keep]

Writes --speeches speeches as ParlParse XML files (`debatesYYYY-MM-DDa.xml`), one sitting
day of --per-day speeches each, on consecutive weekdays from 2001: a day is 5-20 debates
(major headings, some with minor headings), and each speech 1-3 paragraphs of real Hansard
sentences (bench/search.py's pool). The 650 MPs of fixtures/members/commons_mps_2024-05-28.csv
are loaded first (`load_members`) and give the speeches, by name and person id, some far
busier than others; a few speeches are the unnamed Speaker ("Mr Speaker") or carry no
speaker at all. Then `load_transcripts FOLDER` loads the folder into a fresh database: a
temporary SQLite file, or --database-url (or DATABASE_URL), which must be empty.

The index queue is recorded in each file's transaction as always, but nothing is delivered
until the load ends; then the end of the run drains the queue into a temporary Whoosh index
(with --no-index it is left queued: the database side alone, for runs too large to index).
It prints speeches/s for the parsing (the importer, timed inside the load), the database
(the rest of the load: reading files, resolving speakers, comparing, writing, recording the
queue), the indexing at the end, and the total; the resident memory after the first tenth
of the files and after the last (flat memory: the two alike), and the peak. Nothing here is
a test: it prints figures.
"""

import argparse
import datetime
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_CSV = ROOT / "fixtures" / "members" / "commons_mps_2024-05-28.csv"
FIRST_DAY = datetime.date(2001, 1, 8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=500, help="speeches per sitting day")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (or DATABASE_URL)")
    parser.add_argument("--no-index", action="store_true", help="leave the index queue undrained")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="chamber-loading-bench-")
    try:
        run(args, Path(workdir))
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> None:
    os.environ["DATABASE_URL"] = (
        args.database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    )
    sys.path.insert(0, str(ROOT))
    from bench.browse import sentence_pool, start_django
    from bench.search import JOINS_NEXT, TITLES, members_from_csv

    start_django(str(workdir))
    from django.core.management import call_command
    from django.db import connection

    from debates.ingest.importers import detect
    from debates.models import Debate, Speech
    from search import indexing

    if Debate.objects.exists():
        raise SystemExit(f"the database {connection.settings_dict['NAME']} is not empty")
    with open(os.devnull, "w") as quiet:
        call_command("load_members", str(MEMBERS_CSV), stdout=quiet, stderr=quiet)

    rng = random.Random(args.seed)
    pool = [s for s in sentence_pool() if s[0].isupper() and not JOINS_NEXT.search(s)]
    mps = [
        (name, person)
        for person, (name, _, _) in zip(person_ids(), members_from_csv(), strict=True)
    ]
    weights = [1 / (rank + 20) for rank in range(len(mps))]
    rng.shuffle(weights)
    folder = workdir / "days"
    folder.mkdir()
    days = -(-args.speeches // args.per_day)
    started = time.perf_counter()
    megabytes = 0.0
    for day, date in zip(range(days), weekdays(FIRST_DAY), strict=False):
        speeches = min(args.per_day, args.speeches - day * args.per_day)
        raw = sitting_day(rng, date, speeches, pool=pool, mps=mps, weights=weights, titles=TITLES)
        (folder / f"debates{date.isoformat()}a.xml").write_bytes(raw)
        megabytes += len(raw) / 1e6
    print(
        f"Wrote {days:,} ParlParse files of {args.per_day} speeches ({megabytes:,.0f} MB)"
        f" in {time.perf_counter() - started:.0f} s; loading into {connection.vendor}"
    )

    # The parse is timed where the load calls it; its calls also sample the memory, once a
    # file. Delivery to the index is held back during the load (the queue rows are still
    # written in each file's transaction) and timed where the run's end drains the queue.
    spent = {"parse": 0.0, "drain": 0.0}
    resident: list[float] = []
    parse, drain, after_commit = detect.parse, indexing.drain, indexing._drain_after_commit

    def timed_parse(*a, **kw):
        resident.append(rss_mb())
        started = time.perf_counter()
        try:
            return parse(*a, **kw)
        finally:
            spent["parse"] += time.perf_counter() - started

    def timed_drain(*a, **kw):
        if args.no_index:
            return indexing.Drained()
        started = time.perf_counter()
        try:
            return drain(*a, **kw)
        finally:
            spent["drain"] += time.perf_counter() - started

    detect.parse, indexing.drain = timed_parse, timed_drain
    indexing._drain_after_commit = lambda ticket: None
    try:
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("load_transcripts", str(folder), stdout=quiet, stderr=quiet)
        total = time.perf_counter() - started
    finally:
        detect.parse, indexing.drain = parse, drain
        indexing._drain_after_commit = after_commit

    speeches = Speech.objects.count()
    database = total - spent["parse"] - spent["drain"]
    rows = [
        ("parsing", spent["parse"]),
        ("database", database),
        ("load (parsing + database)", total - spent["drain"]),
    ]
    if not args.no_index:
        rows += [("indexing (the queue, at the end)", spent["drain"]), ("total", total)]
    print(f"\n{speeches:,} speeches in {Debate.objects.count():,} debates, {days:,} files")
    print(f"{'':<34}{'seconds':>9}{'speeches/s':>12}")
    for label, seconds in rows:
        print(f"{label:<34}{seconds:>9.1f}{speeches / seconds:>12,.0f}")
    tenth = resident[max(0, len(resident) // 10 - 1)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB
    print(
        f"resident memory: {tenth:,.0f} MB after {max(1, len(resident) // 10):,} files,"
        f" {resident[-1]:,.0f} MB at the last; peak {peak:,.0f} MB"
        + ("" if args.no_index else " (with indexing)")
    )


def sitting_day(
    rng: random.Random,
    date: datetime.date,
    speeches: int,
    *,
    pool: list[str],
    mps: list[tuple[str, str]],
    weights: list[float],
    titles: list[str],
) -> bytes:
    """One Commons sitting day in ParlParse XML, as TheyWorkForYou publishes it."""
    prefix = f"uk.org.publicwhip/debate/{date.isoformat()}a"
    lines = ['<publicwhip scraperversion="a" latest="yes">']
    column, item = 1, 0

    def element_id() -> str:
        nonlocal item
        item += 1
        return quoteattr(f"{prefix}.{column}.{item}")

    per_debate = max(1, speeches // rng.randint(5, 20))
    for number in range(speeches):
        if number % per_debate == 0:
            lines.append(
                f"<major-heading id={element_id()}>{escape(rng.choice(titles))}</major-heading>"
            )
        elif rng.random() < 0.02:
            lines.append(
                f"<minor-heading id={element_id()}>{escape(rng.choice(titles))}</minor-heading>"
            )
        if number % 20 == 19:
            column += 1
        chance = rng.random()
        if chance < 0.03:
            who = ' nospeaker="true"'
        elif chance < 0.06:
            who = ' speakername="Mr Speaker"'
        else:
            name, person = rng.choices(mps, weights)[0]
            who = f" speakername={quoteattr(name)} person_id={quoteattr(person)}"
        paragraphs = [
            "<p>" + escape(" ".join(rng.sample(pool, rng.randint(1, 4)))) + "</p>"
            for _ in range(rng.randint(1, 3))
        ]
        lines.append(f"<speech id={element_id()}{who}>{''.join(paragraphs)}</speech>")
    lines.append("</publicwhip>")
    return ("\n".join(lines) + "\n").encode()


def person_ids() -> list[str]:
    """The MPs' ParlParse person ids, in the CSV's order."""
    import csv

    with MEMBERS_CSV.open(newline="", encoding="utf-8") as f:
        return [row["twfy_person_id"] for row in csv.DictReader(f)]


def weekdays(first: datetime.date):
    day = first
    while True:
        if day.weekday() < 5:
            yield day
        day += datetime.timedelta(days=1)


def rss_mb() -> float:
    """The resident memory of this process now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


if __name__ == "__main__":
    main()

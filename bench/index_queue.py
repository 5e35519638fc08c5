"""What the durable index queue costs a bulk load, against the code before it.

    .venv/bin/python bench/index_queue.py [--speeches 100000] [--per-day 500] [--runs 2]
                                    [--baseline e8c75db]

Loads the same corpus (bench/search.py's: real Hansard sentences recombined into sitting
days of --per-day speeches, one transcript each) through `load_file`, one transaction per
file, with the index following in batches as `load_transcripts` writes it: today through
the queue (`debates.signals.many_writes()`), and at --baseline (a commit from before the
queue, checked out in a temporary git worktree) through its in-memory `batched()`. Each
run is a fresh process with a fresh SQLite database and Whoosh index in a temporary
folder; runs of the two alternate, so that a busy machine slows both alike. It prints
each run's rate (speeches/s, loading and indexing together, to the last index commit),
the median of each, and today's as a share of the baseline's. Nothing here is a test.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# The index folder's settings: the bench gives each run its own.
INDEX_PATHS = ("WHOOSH_PATH", "SEARCH_PATH")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2, help="runs of each, alternating")
    parser.add_argument("--baseline", default="e8c75db", help="a commit before the queue")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # the tree to load with
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    base = Path(tempfile.mkdtemp(prefix="chamber-queue-bench-")) / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(base), args.baseline],
        cwd=ROOT,
        check=True,
    )
    try:
        rates: dict[str, list[float]] = {"baseline": [], "queue": []}
        for run in range(args.runs):
            for name, tree in (("baseline", base), ("queue", ROOT)):
                result = load_in(tree, args)
                rates[name].append(result["rate"])
                print(
                    f"run {run + 1} {name:<9} {result['speeches']:>9,} speeches in"
                    f" {result['seconds']:>6.1f} s: {result['rate']:>6,.0f} speeches/s;"
                    f" indexed {result['indexed']:,}",
                    flush=True,
                )
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=True)
        shutil.rmtree(base.parent, ignore_errors=True)
    before, after = (statistics.median(rates[name]) for name in ("baseline", "queue"))
    print(
        f"median: baseline ({args.baseline}) {before:,.0f} speeches/s, queue {after:,.0f}"
        f" speeches/s: {after / before:.1%} of the baseline"
    )


def load_in(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            str(tree),
            "--speeches",
            str(args.speeches),
            "--per-day",
            str(args.per_day),
        ],
        cwd=tree,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", *INDEX_PATHS}},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the load in {tree} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def worker(args: argparse.Namespace) -> None:
    """One load, in the tree given, printing its figures as JSON."""
    tree = args.worker.resolve()
    sys.path.insert(0, str(tree))
    workdir = tempfile.mkdtemp(prefix="chamber-queue-run-")
    try:
        from bench.browse import sentence_pool, start_django, transcript
        from bench.search import FIRST_DAY, JOINS_NEXT, TITLES

        start_django(workdir)
        from contextlib import AbstractContextManager
        from datetime import timedelta

        from haystack.query import SearchQuerySet

        from debates import signals
        from debates.ingest.importers.transcript import DebateMetadata
        from debates.ingest.loading import load_file
        from debates.models import Speech
        from search import indexing

        rng = random.Random(1)
        pool = [s for s in sentence_pool() if s[0].isupper() and not JOINS_NEXT.search(s)]
        days = -(-args.speeches // args.per_day)
        files = []
        for n in range(days):
            meta = DebateMetadata(
                title=rng.choice(TITLES),
                date=FIRST_DAY + timedelta(days=n),
                house="commons",
                kind="debate",
            )
            speeches = min(args.per_day, args.speeches - n * args.per_day)
            files.append((transcript(rng, pool, speeches), meta))
        batched: AbstractContextManager[object]
        if hasattr(signals, "many_writes"):
            batched = signals.many_writes(sender=None)
        else:  # before the queue
            batched = indexing.batched()  # type: ignore[attr-defined]
        started = time.perf_counter()
        with batched:
            for n, (raw, meta) in enumerate(files):
                load_file(raw, name=f"day-{n}.txt", metadata=meta)
        seconds = time.perf_counter() - started
        speeches = Speech.objects.count()
        print(
            json.dumps(
                {
                    "speeches": speeches,
                    "seconds": seconds,
                    "rate": speeches / seconds,
                    "indexed": SearchQuerySet().all().count(),
                }
            )
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

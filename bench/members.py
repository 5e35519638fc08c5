"""How fast load_members loads member lists.

    .venv/bin/python bench/members.py [--repeat 3]

Loads, into a fresh temporary SQLite database (or DATABASE_URL, which must be empty) with a
temporary Whoosh index: the 650-MP CSV of fixtures/members/; then the full ParlParse lists
there (all-members 1997-2009 and 2010-2015 with people_2015-04.xml.gz, unzipped first, 13,216
persons) in one transaction; then each again (an unchanged reload). Prints a table of records
read and members written per second. Nothing here is a test: it prints figures.
"""

import argparse
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "members"
CSV = FIXTURES / "commons_mps_2024-05-28.csv"
PARLPARSE = [
    FIXTURES / "all-members_2009-02-23.xml",
    FIXTURES / "all-members-2010_2015-04.xml",
    FIXTURES / "people_2015-04.xml.gz",
]


def read(path: Path) -> tuple[str, bytes]:
    """A list's name and bytes, unzipped if it is gzipped."""
    if path.suffix == ".gz":
        return path.stem, gzip.decompress(path.read_bytes())
    return path.name, path.read_bytes()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is shown)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="chamber-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["SEARCH_PATH"] = f"{workdir}/index"
    os.environ.update(DEBUG="0", SECRET_KEY="bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from debates.ingest.members import load_members
    from debates.models import Member

    call_command("migrate", verbosity=0)
    print(f"Database: {connection.vendor}")
    cases = [("CSV, 650 MPs", [CSV]), ("ParlParse all-members 1997-2015 + people", PARLPARSE)]
    rows = []
    for label, paths in cases:
        files = [read(path) for path in paths]
        for run in ("first load", "reload, unchanged"):
            best = None
            for _ in range(args.repeat):
                if run == "first load":
                    Member.objects.all().delete()
                started = time.perf_counter()
                result = load_members(files)
                seconds = time.perf_counter() - started
                best = min(best or seconds, seconds)
            records = sum(count for _, _, count in result.files)
            members = result.created + result.updated + result.unchanged
            rows.append((label, run, records, members, best))
    print(f"{'list':42} {'run':18} {'records':>8} {'members':>8} {'s':>6} {'members/s':>10}")
    for label, run, records, members, seconds in rows:
        print(
            f"{label:42} {run:18} {records:8,} {members:8,} {seconds:6.2f}"
            f" {members / seconds:10,.0f}"
        )


if __name__ == "__main__":
    main()

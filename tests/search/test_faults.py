"""Crashes and concurrency, for real: `manage.py load_transcripts` runs as a subprocess on
a database and an index of its own (a SQLite file, or a scratch PostgreSQL database when
the suite runs on PostgreSQL; an index of the engine the tests run with, SEARCH_ENGINE,
unless a subclass names one), is killed with SIGKILL at a chosen moment, and then the
next load must succeed and `check_index` must find the index and the database agree."""

import datetime
import fcntl
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import xapian
from django.conf import settings
from django.test import SimpleTestCase
from psycopg.conninfo import make_conninfo

from search.tantivy.writing import LOCK_FILE as TANTIVY_LOCK
from search.whoosh.writers import HOLDER_FILE, read_holder
from search.xapian.shards import LOCAL_DATABASE
from search.xapian.shards import LOCK_FILE as XAPIAN_LOCK
from search.xapian.shards import Shard as XapianShard

SPEECHES_PER_FILE = 250
# Each engine's write lock in the index folder (an flock).
LOCK_FILES = {"whoosh": "MAIN_WRITELOCK", "tantivy": TANTIVY_LOCK, "xapian": XAPIAN_LOCK}
WORDS = [
    "housing",
    "schools",
    "hospitals",
    "budget",
    "ceasefire",
    "railway",
    "farmers",
    "energy",
    "prices",
    "wages",
    "pensions",
    "borders",
    "courts",
    "police",
    "rivers",
    "climate",
]
SPEAKERS = [
    "Andrew Western (Stretford and Urmston) (Lab):",
    "Dominic Raab (Esher and Walton) (Con):",
]


def write_transcripts(folder: Path, count: int, first: int = 0) -> None:
    """Speaker-labelled Hansard text, one sitting day per file, 250 speeches each."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(first, first + count):
        day = datetime.date(2001, 1, 1) + datetime.timedelta(days=number)
        words = random.Random(number)
        lines = ["House of Commons", f"{day:%A} {day.day} {day:%B %Y}", "", ""]
        lines += [f"Synthetic Debate {number}", ""]
        for position in range(SPEECHES_PER_FILE):
            text = " ".join(words.choice(WORDS) for _ in range(30)).capitalize()
            lines += [SPEAKERS[position % 2], f"{text}.", ""]
        (folder / f"day{number:04}.txt").write_text("\n".join(lines), encoding="utf-8")


class Site:
    """Chamber on a database and an index of its own, driven by manage.py subprocesses."""

    def __init__(self, folder: Path, *, batch: int, engine: str = ""):
        self.folder = folder
        self.engine = engine or settings.SEARCH_ENGINE
        self.index = folder / "index"
        database = settings.DATABASES["default"]
        self.postgres = database["ENGINE"].endswith("postgresql")
        if self.postgres:
            self.params = {
                key.lower(): str(database[key])
                for key in ("USER", "PASSWORD", "HOST", "PORT")
                if database.get(key)
            }
            self.name = f"chamber_faults_{os.getpid()}_{folder.name[-8:].lower()}"
            with self.admin() as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')
            url = "postgres://{user}{password}@{host}{port}/{name}".format(
                user=self.params.get("user", ""),
                password=f":{self.params['password']}" if "password" in self.params else "",
                host=self.params.get("host", ""),
                port=f":{self.params['port']}" if "port" in self.params else "",
                name=self.name,
            )
        else:
            url = f"sqlite:///{folder / 'chamber.sqlite3'}"
        self.env = {
            # An index of the site's own, in its folder: not the suite's Xapian shards.
            **{key: value for key, value in os.environ.items() if key != "XAPIAN_SHARDS"},
            "DATABASE_URL": url,
            "SEARCH_ENGINE": self.engine,
            "SEARCH_PATH": str(self.index),
            "CHAMBER_INDEX_BATCH": str(batch),
            "PYTHONUNBUFFERED": "1",
        }
        self.run("migrate", "--noinput", "-v0")

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(make_conninfo(dbname=database, **self.params), autocommit=True)

    def admin(self) -> psycopg.Connection:
        return self.connect("postgres")

    def close(self) -> None:
        if self.postgres:
            with self.admin() as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def count(self, table: str) -> int:
        """Rows in a table, read straight from the database (a manage.py run is too slow to
        watch a running load with)."""
        if self.postgres:
            with self.connect(self.name) as connection:
                row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
                return int(row[0]) if row else 0
        lite = sqlite3.connect(self.folder / "chamber.sqlite3", timeout=30)
        try:
            return int(lite.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            lite.close()

    # -- What the running process is doing, seen from outside ---------------------------

    def index_locked(self) -> bool:
        path = self.index / LOCK_FILES[self.engine]
        if not path.exists():
            return False
        with open(path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False

    def index_commits(self) -> int:
        # A site made without __init__ (to count an index's commits) reads the suite's.
        shards = getattr(self, "env", os.environ).get("XAPIAN_SHARDS", "")
        if self.engine == "xapian" and shards:
            # Remote shards keep no revision a client can read: the documents they hold
            # (every commit of a load adds some).
            try:
                return sum(XapianShard(one).open().get_doccount() for one in shards.split(","))
            except xapian.Error:
                return -1
        if self.engine == "xapian":  # the local database's revision: one more each commit
            try:
                return int(xapian.Database(str(self.index / LOCAL_DATABASE)).get_revision())
            except xapian.Error:
                return -1
        if self.engine == "tantivy":  # each commit's opstamp is higher; 0 before the first
            try:
                meta = json.loads((self.index / "meta.json").read_text())
            except (OSError, ValueError):
                return -1
            return int(meta["opstamp"]) if meta.get("segments") else 0
        return max(
            (int(p.stem.rsplit("_", 1)[1]) for p in self.index.glob("_MAIN_*.toc")), default=-1
        )

    def writing_to_the_database(self) -> bool:
        """Whether another process has a write transaction open."""
        if self.postgres:
            with self.connect(self.name) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                ).fetchone()
                return bool(row and row[0])
        lite = sqlite3.connect(self.folder / "chamber.sqlite3", timeout=0, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            lite.close()  # rolls back our own empty transaction, if it began
        return False


def wait_for(condition, what: str, timeout: float = 120.0, every: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(every)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except OSError:
        return False


class KilledLoadTests(SimpleTestCase):
    """SIGKILL at three moments of a load; then the same load again leaves everything right."""

    engine = ""  # the engine the tests run with (SEARCH_ENGINE), unless a subclass names one

    def site(self, *, files: int, batch: int) -> tuple[Site, Path]:
        folder = Path(tempfile.mkdtemp(prefix="chamber-faults-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        site = Site(folder, batch=batch, engine=self.engine)
        self.addCleanup(site.close)
        write_transcripts(folder / "transcripts", files)
        return site, folder / "transcripts"

    def kill(self, process: subprocess.Popen[str]) -> str:
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
        self.assertEqual(process.returncode, -signal.SIGKILL)
        return output

    def assert_recovers(self, site: Site, transcripts: Path, files: int) -> None:
        again = site.run("load_transcripts", str(transcripts))
        self.assertIn(f"{files} files:", again.stdout)
        self.assertIn("the queue is empty", again.stdout, again.stderr[-3000:])
        check = site.run("check_index", check=False)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("The search index matches the database.", check.stdout)
        self.assertIn(f"Database: {files * SPEECHES_PER_FILE:,} speeches.", check.stdout)
        self.assertEqual(site.count("search_indextask"), 0)
        # The spelling vocabulary (written just before each index commit) is whole and
        # knows every word the speeches use.
        with sqlite3.connect(site.index / "vocabulary.sqlite3") as vocabulary:
            self.assertEqual(vocabulary.execute("PRAGMA integrity_check").fetchone(), ("ok",))
            known = {word for (word,) in vocabulary.execute("SELECT word FROM word")}
        self.assertLessEqual({word.lower() for word in WORDS}, known)

    def test_killed_while_writing_to_the_database(self):
        site, transcripts = self.site(files=6, batch=500)
        process = site.start("load_transcripts", str(transcripts))
        wait_for(lambda: site.index_commits() >= 1, "a first index commit")
        wait_for(site.writing_to_the_database, "a write transaction", every=0.001)
        self.kill(process)
        loaded = site.count("debates_debate")
        self.assertLess(loaded, 6)  # it was stopped part of the way through
        self.assert_recovers(site, transcripts, 6)

    def test_killed_between_index_batches_leaves_rows_queued_for_the_next_load(self):
        site, transcripts = self.site(files=8, batch=500)
        process = site.start("load_transcripts", str(transcripts))
        # A drain follows every second file (500 rows): after the third file has committed,
        # its 250 rows wait in the queue for the fourth.
        wait_for(
            lambda: site.count("debates_debate") == 3 and not site.index_locked(),
            "the third file loaded between drains",
        )
        self.kill(process)
        self.assertEqual(site.count("search_indextask"), SPEECHES_PER_FILE)  # committed, owed
        behind = site.run("check_index", "--grace", "0", check=False)
        self.assertEqual(behind.returncode, 1, behind.stdout)
        self.assertIn("Queue: 250 speeches waiting", behind.stdout)
        self.assertIn("is anything draining it?", behind.stderr)
        self.assert_recovers(site, transcripts, 8)

    def test_killed_during_an_index_commit_leaves_no_writer_and_no_lock(self):
        # 2,500 rows per drain: bulk writes (on Whoosh, by two child processes; on Tantivy,
        # by two threads of the one process).
        site, transcripts = self.site(files=12, batch=2500)
        process = site.start("load_transcripts", str(transcripts))
        wait_for(site.index_locked, "the index write lock", every=0.001)
        children: list[int] = []
        if site.engine == "whoosh":
            wait_for(
                lambda: (h := read_holder(str(site.index))) is not None and h.children,
                "the writer's children",
            )
            children = [pid for pid, _ in read_holder(str(site.index)).children]
        else:
            wait_for(lambda: read_holder(str(site.index)) is not None, "the holder's record")
        self.kill(process)
        wait_for(lambda: not any(alive(pid) for pid in children), "the children to die", timeout=10)
        self.assertFalse(site.index_locked())
        self.assertTrue((site.index / HOLDER_FILE).exists())  # a record of a dead holder, harmless
        self.assert_recovers(site, transcripts, 12)


class ConcurrentLoadTests(SimpleTestCase):
    def test_three_loads_at_once_all_succeed(self):
        folder = Path(tempfile.mkdtemp(prefix="chamber-concurrent-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        site = Site(folder, batch=10_000)
        self.addCleanup(site.close)
        for number in range(3):
            write_transcripts(folder / f"set{number}", 4, first=number * 4)
        processes = [site.start("load_transcripts", str(folder / f"set{n}")) for n in range(3)]
        outputs = [process.communicate(timeout=300)[0] for process in processes]
        for process, output in zip(processes, outputs, strict=True):
            self.assertEqual(process.returncode, 0, output)
            self.assertIn("4 files: 4 loaded.", output)
        check = site.run("check_index", check=False)
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertIn(f"Database: {12 * SPEECHES_PER_FILE:,} speeches.", check.stdout)

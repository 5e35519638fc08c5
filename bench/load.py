"""Chamber under load: the production server (gunicorn, DEBUG off) driven over loopback.

    .venv/bin/python bench/load.py [--speeches 100000] [--clients 10,20,50] [--duration 60]
                                   [--corpus DIR] [--port 8715] [--workers N] [--keep]

Builds a corpus with bench/search.py (`--speeches N --keep`: sitting days of 500 synthetic
speeches, the 650 MPs as speakers, indexed; its own figures are printed too), or reuses one
that run kept (`--corpus DIR`). Then runs `make serve`'s steps on it (migrate, collectstatic,
gunicorn with config/gunicorn.py) on 127.0.0.1:PORT, and for each number of concurrent
clients sends requests for DURATION seconds, each client one after another: a mix of the
home page, debate pages (any page of a debate), speech permalinks, searches (one to three
words, a third of them with a party or year facet, some sorted newest), the members list
and member pages. By default a client sends its next request as soon as it has an answer
(the server is saturated); with --think it waits that long first. In the middle of the
--upload-at level a clerk logs in to the admin, uploads a ParlParse sitting day and
confirms it, over the same server. It prints, per level: requests, throughput,
p50/p95/p99 latency and errors (any status but 200, or no answer within --timeout), and the
upload's timings. The server is always stopped; the corpus folder is removed unless --keep
or --corpus. Nothing here is a test: it prints figures.
"""

import argparse
import contextlib
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.production import ProductionServer, request  # noqa: E402

UPLOAD = ROOT / "fixtures" / "transcripts" / "parlparse" / "debates2023-03-28d.xml"
WORDS = [
    "government", "minister", "health", "school", "housing", "energy", "defence", "trade",
    "police", "transport", "farmers", "climate", "budget", "hospital", "justice", "europe",
    "taxation", "railway", "pension", "migration", "constituency", "committee", "amendment",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speeches", type=int, default=100_000, help="corpus size to build")
    parser.add_argument("--corpus", help="a folder kept by `bench/search.py --keep` to reuse")
    parser.add_argument("--clients", default="10,20,50", help="concurrent clients per level")
    parser.add_argument("--duration", type=float, default=60, help="seconds per level")
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound per level")
    parser.add_argument("--timeout", type=float, default=30, help="seconds for one answer")
    parser.add_argument("--upload-at", type=int, default=20, help="level with the upload")
    parser.add_argument(
        "--think", type=float, default=0, help="seconds a client waits between requests"
    )
    parser.add_argument("--port", type=int, default=8715)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the corpus folder")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]

    corpus = Path(args.corpus) if args.corpus else build_corpus(args)
    server = None
    try:
        server = Server(corpus, args)
        server.start()
        targets = Targets(corpus, random.Random(args.seed))
        print(
            f"\nServer: gunicorn, {server.workers} workers, DEBUG off, on {server.host};"
            f" corpus {corpus} ({targets.describe()})"
        )
        print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        print(
            f"\n{'clients':>7} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
            f" {'p99 ms':>7} {'max ms':>7} {'errors':>7}"
        )
        rows = []
        for clients in levels:
            upload = Upload(server) if clients == args.upload_at else None
            row = run_level(server, targets, clients, args, upload)
            rows.append(row)
            print(row["line"], flush=True)
            if upload:
                print(f"        {upload.describe()}", flush=True)
        print(
            f"\nLoad average {os.getloadavg()[0]:.1f} at the end. Per page kind, all levels"
            " (p50 / p95 ms, count):"
        )
        kinds: dict[str, list[float]] = {}
        for row in rows:
            for kind, times in row["by_kind"].items():
                kinds.setdefault(kind, []).extend(times)
        for kind, times in sorted(kinds.items()):
            print(
                f"  {kind:<16} {statistics.median(times):>7.0f} {percentile(times, 0.95):>7.0f}"
                f" {len(times):>8,}"
            )
        errors = Counter(e for row in rows for e in row["errors"])
        if errors:
            print("Errors:", ", ".join(f"{what} x{n}" for what, n in errors.most_common(10)))
        slowest = max((t for row in rows for t in row["slowest"]), default=None)
        if slowest:
            print(f"Slowest request: {slowest[0]:.0f} ms  GET {slowest[1]}")
    finally:
        if server:
            server.stop()
        if not args.corpus and not args.keep:
            shutil.rmtree(corpus, ignore_errors=True)
        elif not args.corpus:
            print(f"Kept {corpus}")


def build_corpus(args: argparse.Namespace) -> Path:
    """bench/search.py builds, indexes and keeps the corpus (and prints its own figures)."""
    command = [
        sys.executable,
        str(ROOT / "bench" / "search.py"),
        f"--speeches={args.speeches}",
        f"--seed={args.seed}",
        "--repeats=3",
        "--batched",
        "--keep",
    ]
    print("Building the corpus:", " ".join(command[1:]), flush=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # its own SQLite
    env["LOG_LEVEL"] = "WARNING"
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    print(process.stdout)
    kept = re.search(r"^Kept (.+)$", process.stdout, re.M)
    if process.returncode or not kept:
        raise SystemExit(f"bench/search.py failed:\n{process.stderr[-3000:]}")
    return Path(kept.group(1))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Server(ProductionServer):
    """`make serve` on the corpus (tests/production.py), with a clerk for the upload."""

    def __init__(self, corpus: Path, args: argparse.Namespace):
        self.password = secrets.token_urlsafe(16)
        workers = args.workers or (os.cpu_count() or 1) * 2 + 1  # config/gunicorn.py's default
        super().__init__(
            folder=corpus,
            port=args.port,
            seeds=False,
            DATABASE_URL=f"sqlite:///{corpus / 'bench.sqlite3'}",
            ALLOWED_HOSTS="127.0.0.1",
            LOG_LEVEL="WARNING",  # slow requests and errors only
            WEB_CONCURRENCY=str(workers),
            DJANGO_SUPERUSER_PASSWORD=self.password,
        )

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def workers(self) -> str:
        return self.extra_env["WEB_CONCURRENCY"]

    def start(self) -> None:
        super().start()
        with contextlib.suppress(RuntimeError):  # a reused corpus has its clerk already
            self.manage("createsuperuser", "--noinput", "--username=clerk", "--email=c@example.org")
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            "u = User.objects.get(username='clerk');"
            f"u.set_password('{self.password}'); u.save()",
        )


class Targets:
    """What the clients ask for, drawn from the corpus's own debates, members and parties."""

    def __init__(self, corpus: Path, rng: random.Random):
        import sqlite3

        self.rng = rng
        db = sqlite3.connect(corpus / "bench.sqlite3")
        self.debates = db.execute(
            "SELECT d.date, d.slug, MAX(s.position) FROM debates_debate d"
            " JOIN debates_speech s ON s.debate_id = d.id GROUP BY d.id"
        ).fetchall()
        self.members = [row[0] for row in db.execute("SELECT slug FROM debates_member")]
        self.parties = [
            row[0]
            for row in db.execute("SELECT DISTINCT party FROM debates_member WHERE party != ''")
        ]
        self.years = sorted({date[:4] for date, _, _ in self.debates})
        self.speeches = db.execute("SELECT COUNT(*) FROM debates_speech").fetchone()[0]
        self.per_page = int(os.environ.get("CHAMBER_DEBATE_PAGE_SPEECHES") or 200)
        db.close()

    def describe(self) -> str:
        return (
            f"{self.speeches:,} speeches, {len(self.debates):,} debates,"
            f" {len(self.members)} members"
        )

    def next(self) -> tuple[str, str]:
        """(kind, path) of one request of the mix."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.10:
            return "home", "/"
        if roll < 0.40:
            date, slug, last = rng.choice(self.debates)
            pages = max(1, -(-last // self.per_page))
            page = rng.randint(1, pages)
            return "debate", f"/debates/{date}/{slug}/" + (f"?page={page}" if page > 1 else "")
        if roll < 0.45:
            date, slug, last = rng.choice(self.debates)
            return "speech", f"/debates/{date}/{slug}/{rng.randint(1, last)}/"
        if roll < 0.80:
            params = {"q": " ".join(rng.sample(WORDS, rng.randint(1, 3)))}
            if rng.random() < 0.33:
                if rng.random() < 0.5:
                    params["party"] = rng.choice(self.parties)
                else:
                    params["year"] = rng.choice(self.years)
                kind = "search+facet"
            else:
                kind = "search"
            if rng.random() < 0.2:
                params["sort"] = "newest"
            return kind, f"/search/?{urlencode(params)}"
        if roll < 0.85:
            return "members", f"/members/?page={rng.randint(1, 7)}"
        return "member", f"/members/{rng.choice(self.members)}/"


class Upload(threading.Thread):
    """A clerk's upload over HTTP: log in, upload a ParlParse day, confirm it."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.cookies: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.outcome = "not run"

    def call(self, method: str, path: str, fields=None, files=None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if method == "POST":
            headers["Referer"] = f"http://{self.server.host}{path}"
            headers["Origin"] = f"http://{self.server.host}"
            fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **(fields or {})}
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (filename, raw) in (files or {}).items():
                head = (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
                    f' filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                )
                parts.append(head.encode() + raw + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        status, found, content = request(self.server.port, method, path, body, headers, 300)
        for header in found.get("set-cookie", "").splitlines():
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return status, content.decode("utf-8", "replace")

    def run(self) -> None:
        try:
            self.call("GET", "/admin/login/")
            status, _ = self.call(
                "POST",
                "/admin/login/",
                {"username": "clerk", "password": self.server.password, "next": "/admin/"},
            )
            if status != 302:
                self.outcome = f"login answered {status}"
                return
            upload = "/admin/debates/sourcefile/upload/"
            self.call("GET", upload)
            started = time.perf_counter()
            status, html = self.call(
                "POST", upload, files={"files": (UPLOAD.name, UPLOAD.read_bytes())}
            )
            self.timings["preview"] = time.perf_counter() - started
            token = re.search(r'name="token" value="([^"]+)"', html)
            if status != 200 or not token:
                self.outcome = f"preview answered {status} without a token"
                return
            started = time.perf_counter()
            status, html = self.call(
                "POST", f"{upload}confirm/", {"token": token.group(1), "load": "1"}
            )
            self.timings["confirm"] = time.perf_counter() - started
            if status != 200:
                self.outcome = f"FAILED: the confirmation answered {status}"
                return
            loaded = re.search(r"([\d,]+) speeches", html)
            self.outcome = f"confirmed ({loaded.group(0) if loaded else 'loaded'})"
        except Exception as error:  # reported, not raised: the load goes on
            self.outcome = f"failed: {error!r}"

    def describe(self) -> str:
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items())
        size = UPLOAD.stat().st_size / 1e6
        return f"upload of {UPLOAD.name} ({size:.1f} MB): {self.outcome}; {times}"


def run_level(server, targets, clients, args, upload) -> dict:
    lock = threading.Lock()
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    slowest: list[tuple[float, str]] = []
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + args.duration
    sent = [0]

    def client() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if sent[0] >= args.max_requests:
                    return
                sent[0] += 1
                kind, path = targets.next()
            begun = time.perf_counter()
            try:
                status, _, _ = request(server.port, "GET", path, timeout=args.timeout)
                error = "" if status == 200 else f"{status} {kind}"
            except OSError as exc:
                error = f"{type(exc).__name__} {kind}"
            elapsed = (time.perf_counter() - begun) * 1000
            if args.think:
                stop.wait(args.think)
            with lock:
                times.append(elapsed)
                by_kind.setdefault(kind, []).append(elapsed)
                slowest.append((elapsed, path))
                slowest.sort(reverse=True)
                del slowest[3:]
                if error:
                    errors.append(error)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    if upload:
        time.sleep(args.duration / 2)
        upload.start()
    for thread in threads:
        thread.join(timeout=args.duration + args.timeout + 5)
    stop.set()
    if upload:
        upload.join(timeout=300)
    wall = time.monotonic() - started
    line = (
        f"{clients:>7} {len(times):>9,} {len(times) / wall:>7.1f} {statistics.median(times):>7.0f}"
        f" {percentile(times, 0.95):>7.0f} {percentile(times, 0.99):>7.0f} {max(times):>7.0f}"
        f" {len(errors):>7}"
    )
    return {"line": line, "by_kind": by_kind, "errors": errors, "slowest": slowest}


if __name__ == "__main__":
    main()

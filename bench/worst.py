"""The most expensive requests an anonymous visitor can make, timed one at a time against the
production server (gunicorn, DEBUG off, no other load from this script).

    .venv/bin/python bench/worst.py --corpus DIR [--repeats 3] [--giant-mb 19.5] [--port 8716]

DIR is a corpus kept by `bench/search.py --keep` (or `bench/load.py --keep`). Each request of
a fixed list of bad inputs (long misspelt queries, every OR, every facet selected, the last
page, long highlights, deep pages) is sent --repeats times after a warm-up; it prints the
status, median and worst time of each, worst first. With --giant-mb, a plain-text
transcript of that many megabytes (one speech, as in the report that asked for paging) is
loaded first and its debate page is timed too, with and without ?highlight=. Nothing here
is a test: it prints figures.
"""

import argparse
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browse import sentence_pool  # noqa: E402
from bench.load import Server, request  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--giant-mb", type=float, default=0)
    parser.add_argument("--port", type=int, default=8716)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    rng = random.Random(1)

    db = sqlite3.connect(corpus / "bench.sqlite3")
    loaded = db.execute("SELECT 1 FROM debates_debate WHERE slug = 'a-giant-debate'").fetchone()
    giant = None
    if args.giant_mb:  # loaded once into the corpus; a second run reuses it
        giant = (
            "/debates/2024-12-20/a-giant-debate/"
            if loaded
            else load_giant(corpus, args.giant_mb, rng)
        )
    parties = [
        r[0] for r in db.execute("SELECT DISTINCT party FROM debates_member WHERE party != ''")
    ]
    members = [str(r[0]) for r in db.execute("SELECT id FROM debates_member LIMIT 50")]
    debates = [str(r[0]) for r in db.execute("SELECT id FROM debates_debate LIMIT 50")]
    busiest = db.execute(
        "SELECT m.slug, COUNT(*) n FROM debates_speech s JOIN debates_member m"
        " ON m.id = s.member_id GROUP BY m.id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    longest = db.execute(
        "SELECT d.date, d.slug, MAX(s.position) n FROM debates_debate d JOIN debates_speech s"
        " ON s.debate_id = d.id GROUP BY d.id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    db.close()

    def misspelt(n: int) -> str:
        return " ".join(
            "".join(rng.sample(word, len(word)))
            for word in rng.sample([w for w in WORDS for _ in range(5)], n)
        )

    common = ["government", "minister", "house", "people", "member", "question", "secretary"]
    many_or = " OR ".join(common * 10)[:500]
    requests: dict[str, dict[str, str | list[str]]] = {
        "misspelt 8 words (suggested)": {"q": misspelt(8)},
        "misspelt 90 words (500 chars)": {"q": misspelt(90)[:500]},
        "70 common words OR'd (500 chars, refused)": {"q": many_or},
        "3 common words, every facet x many": {
            "q": "government minister house",
            "party": parties[:50],
            "member": members,
            "debate": debates,
            "year": [str(y) for y in range(2001, 2025)],
            "house": ["commons", "lords"],
        },
        "common word, last page, newest": {"q": "government", "page": "1000000", "sort": "newest"},
        "empty query, every facet, last page": {"page": "1000000"},
        "phrase of 30 common words (refused)": {"q": '"' + " ".join(common * 5)[:480] + '"'},
        "phrase of 12 common words": {"q": '"' + " ".join((common * 2)[:12]) + '"'},
        "20 common words OR'd": {"q": " OR ".join((common * 3)[:20])},
    }
    paths = {
        label: f"/search/?{urlencode(params, doseq=True)}" for label, params in requests.items()
    }
    highlight = urlencode({"highlight": many_or})
    paths[f"longest debate ({longest[2]} speeches), page 1 + 500-char highlight"] = (
        f"/debates/{longest[0]}/{longest[1]}/?{highlight}"
    )
    paths["busiest member, last page"] = f"/members/{busiest[0]}/?page=1000000"
    paths["members list, last page"] = "/members/?page=1000000"
    if giant:
        paths[f"giant debate ({args.giant_mb} MB), page 1"] = giant
        paths[f"giant debate ({args.giant_mb} MB), page 1 + highlight"] = f"{giant}?{highlight}"

    server = Server(corpus, argparse.Namespace(port=args.port, workers=args.workers))
    try:
        server.start()
        rows = []
        for label, path in paths.items():
            times, status, size = [], 0, 0
            for _ in range(args.repeats + 1):
                started = time.perf_counter()
                status, _, body = request(server.port, "GET", path, timeout=args.timeout)
                times.append((time.perf_counter() - started) * 1000)
                size = len(body)
            times = times[1:]
            rows.append((max(times), statistics.median(times), status, size, label))
        print(f"\n{'request':<62} {'status':>6} {'p50 ms':>8} {'max ms':>8} {'KB':>7}")
        for worst, median, status, size, label in sorted(rows, reverse=True):
            print(f"{label:<62} {status:>6} {median:>8.0f} {worst:>8.0f} {size / 1000:>7.0f}")
        print(f"({args.repeats} runs each after a warm-up, {args.workers} gunicorn workers)")
    finally:
        server.stop()


WORDS = [
    "government", "minister", "hospital", "education", "transport", "agriculture",
    "environment", "committee", "amendment", "constituency", "parliament", "economy",
    "security", "community", "department", "investment", "taxation", "employment",
]  # fmt: skip


def load_giant(corpus: Path, megabytes: float, rng: random.Random) -> str:
    """A plain-text transcript of `megabytes` loaded into the corpus; its debate's path."""
    pool = sentence_pool()  # no sentence opens a reply: the file is one speech
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        line = rng.choice(pool)
        lines.append(line)
        size += len(line.encode()) + 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "giant.txt"
        path.write_text("\n".join(lines) + "\n")
        server = Server(corpus, argparse.Namespace(port=0, workers=1))  # for its environment
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "manage.py", "load_transcripts", str(path),
                "--title", "A giant debate", "--date", "2024-12-20",
                "--house", "commons", "--kind", "debate",
            ],
            cwd=ROOT, env=server.env, check=True, capture_output=True,
        )  # fmt: skip
        server.stop()  # never started: nothing to stop, and the corpus folder stays
        print(f"Loaded a {size / 1e6:.1f} MB transcript in {time.perf_counter() - started:.0f} s")
    return "/debates/2024-12-20/a-giant-debate/"


if __name__ == "__main__":
    main()

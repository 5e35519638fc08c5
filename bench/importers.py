"""Parse speed and peak memory of each importer on its sample transcripts.

    .venv/bin/python bench/importers.py [--repeat 5]

Pure importers, so no Django and no database: bytes in, dataclasses out. Peak memory is
tracemalloc's peak of Python allocations during one parse (lxml's C tree is not counted).
Also times the refusal of a "billion laughs" file.
"""

import argparse
import datetime
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from debates.ingest.importers import detect  # noqa: E402
from debates.ingest.importers.transcript import DebateMetadata, ParseError  # noqa: E402

SAMPLES = [
    ROOT / "fixtures/transcripts/parlparse/debates2023-03-28d.xml",
    ROOT / "fixtures/transcripts/parlparse/debates2009-10-26b.xml",
    ROOT / "fixtures/transcripts/hansard_text/hansard_style_commons_2023-03-28.txt",
    ROOT / "fixtures/transcripts/akomantoso/Debate_Bungeni_1995-10-31.xml",
    ROOT / "fixtures/seeds/001_c1147e2eaee32068.txt",
]


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?><!DOCTYPE r [' + "".join(entities) + "]><publicwhip>&lol9;"
        "</publicwhip>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    metadata = DebateMetadata(title="Benchmark", date=datetime.date(2024, 1, 1))
    print(
        f"{'file':44} {'format':13} {'KB':>6} {'speeches':>8} {'ms':>8} {'speeches/s':>11} "
        f"{'MB/s':>6} {'peak MB':>8}"
    )
    for path in SAMPLES:
        raw = path.read_bytes()
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            parsed = detect.parse(raw, metadata=metadata)
            times.append(time.perf_counter() - started)
        best = min(times)
        tracemalloc.start()
        detect.parse(raw, metadata=metadata)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"{path.name:44} {parsed.format:13} {len(raw) / 1024:6.0f} {parsed.speech_count:8} "
            f"{best * 1000:8.1f} {parsed.speech_count / best:11,.0f} "
            f"{len(raw) / best / 1e6:6.1f} {peak / 1e6:8.1f}"
        )
    started = time.perf_counter()
    try:
        detect.parse(billion_laughs())
    except ParseError as error:
        print(f"billion laughs refused in {(time.perf_counter() - started) * 1000:.2f} ms: {error}")


if __name__ == "__main__":
    main()

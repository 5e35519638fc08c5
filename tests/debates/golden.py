"""Golden files: what each sample in fixtures/transcripts/<format>/ parses to.

`python -m tests.debates.golden` (or the test suite with CHAMBER_REGENERATE_GOLDEN=1)
rewrites fixtures/transcripts/expected/<format>/<name>.json on purpose; the tests only ever
compare, so a change in an importer's output shows up as a failing test and a diff to read.

A sample that cannot be parsed without metadata (an Akoma Ntoso file with no title) records
the error a clerk would see, and what it gives with FALLBACK metadata.
"""

import dataclasses
import datetime
import json
import os
from pathlib import Path
from typing import Any

from debates.ingest.importers import detect
from debates.ingest.importers.transcript import DebateMetadata, ParseError

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"
EXPECTED = ROOT / "expected"
FORMATS = ("parlparse", "hansard_text", "akomantoso")
FALLBACK = DebateMetadata(title="Title given on the form", date=datetime.date(2000, 1, 1))
REGENERATE = os.environ.get("CHAMBER_REGENERATE_GOLDEN") == "1"


def samples() -> list[Path]:
    return sorted(
        path for folder in FORMATS for path in (ROOT / folder).iterdir() if path.is_file()
    )


def expected_path(sample: Path) -> Path:
    return EXPECTED / sample.parent.name / f"{sample.stem}.json"


def result_of(sample: Path) -> dict:
    """What the sample parses to, as JSON-ready data."""
    raw = sample.read_bytes()
    result: dict[str, Any] = {"file": f"{sample.parent.name}/{sample.name}"}
    try:
        result["parsed"] = _data(detect.parse(raw))
    except ParseError as error:
        result["error"] = {"message": error.message, "line": error.line}
        try:
            result["with_fallback_metadata"] = _data(detect.parse(raw, metadata=FALLBACK))
        except ParseError as again:
            result["with_fallback_metadata"] = {
                "error": {"message": again.message, "line": again.line}
            }
    return result


def dumps(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=1, default=_iso) + "\n"


def write_all() -> list[Path]:
    written = []
    for sample in samples():
        path = expected_path(sample)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(result_of(sample)), encoding="utf-8")
        written.append(path)
    return written


def _data(parsed) -> dict:
    return dataclasses.asdict(parsed)


def _iso(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a golden file")


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT.parents[1])}")

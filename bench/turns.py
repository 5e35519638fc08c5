"""Where plain text changes speaker: the plain-text importer scored on real debates.

    .venv/bin/python bench/turns.py                 # the detector in this checkout
    .venv/bin/python bench/turns.py --before db5ae1e   # and the importer of a git revision

Each ParlParse day has its speakers stripped and is written as the seeds look (one sentence
per line, lines broken after "hon."), loaded through the real plain-text importer, and its
splits are compared with the real changes of speaker (`turns_evaluation`). The tuning days
are what `bench/train_turns.py` learns from; the held-out days are never used to tune
anything and are reported apart. Pure and deterministic: no Django, no database, and the
same figures on every run.
"""

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from debates.ingest.importers import turns_evaluation  # noqa: E402
from debates.ingest.importers.turns_evaluation import (  # noqa: E402
    CUES,
    KINDS,
    NONE,
    Score,
    Splitter,
    StrippedDebate,
)

DAYS = ROOT / "fixtures" / "transcripts" / "parlparse"
# One version of each sitting day (the newest); the days split once, by date, never re-drawn.
TUNING_DAYS = (DAYS / "debates2009-10-26b.xml", DAYS / "versions" / "debates2009-10-27d.xml")
HELD_OUT_DAYS = (DAYS / "versions" / "debates2009-10-28c.xml", DAYS / "debates2023-03-28d.xml")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.76, 0.8, 0.9, 0.95)


def debates_of(days: tuple[Path, ...]) -> list[StrippedDebate]:
    return [debate for day in days for debate in turns_evaluation.stripped_day(day.read_bytes())]


def importer_at(revision: str) -> Splitter:
    """The plain-text importer as it was at a git revision (its whole `debates` package
    unpacked apart, so today's modules are not mixed in)."""
    folder = Path(tempfile.mkdtemp(prefix="chamber-turns-"))
    package = folder / "chamber_before"
    package.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "debates"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(package)], input=archive, check=True)
    sys.path.insert(0, str(folder))
    module = importlib.import_module("chamber_before.debates.ingest.importers.plaintext")
    return lambda raw, metadata: module.parse(raw, metadata=metadata)


def table(name: str, score: Score) -> list[str]:
    rows = [
        f"{name}: {score.true_positives + score.false_negatives} changes of speaker in "
        f"{score.candidates} sentence starts; {score.true_positives + score.false_positives}"
        f" splits; precision {score.precision:.3f}, recall {score.recall:.3f};"
        f" {score.late} split one sentence late",
        f"  {'real change, by kind':24} {'real':>6} {'found':>6} {'recall':>7}",
    ]
    for kind in KINDS:
        found, real = score.recall_of(kind)
        if real:
            rows.append(f"  {kind:24} {real:6} {found:6} {found / real:7.3f}")
    rows.append(f"  {'split, by cue in text':24} {'splits':>6} {'right':>6} {'prec.':>7}")
    for cue in CUES:
        right, split = score.precision_of(cue)
        if split:
            rows.append(f"  {cue:24} {split:6} {right:6} {right / split:7.3f}")
    columns = [*CUES, NONE]
    rows.append("  confusions: real kind (rows) x cue where split (columns; none = not split)")
    rows.append("  " + " " * 20 + "".join(f"{c[:10]:>11}" for c in columns))
    for kind in [*KINDS, NONE]:
        counts = [score.confusion[(kind, cue)] for cue in columns]
        if any(counts):
            rows.append(f"  {kind:20}" + "".join(f"{n:11}" for n in counts))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", metavar="REVISION", help="also score the importer at this git revision"
    )
    args = parser.parse_args()
    sets = {"tuning": debates_of(TUNING_DAYS), "held-out": debates_of(HELD_OUT_DAYS)}
    detectors: dict[str, Splitter | None] = {}
    if args.before:
        detectors[f"before ({args.before})"] = importer_at(args.before)
    detectors["now"] = None
    for label, parse in detectors.items():
        for name, debates in sets.items():
            print("\n".join(table(f"{label}, {name} days", turns_evaluation.score(debates, parse))))
            print()
    print(f"{'rule (splits unweighed)':24} {'set':9} {'fired':>6} {'right':>6} {'prec.':>6}")
    for name, debates in sets.items():
        for rule, (right, fired) in turns_evaluation.rule_counts(debates).items():
            shown = f"{right / fired:6.3f}" if fired else "     -"
            print(f"{rule:24} {name:9} {fired:6} {right:6} {shown}")
    print()
    print("precision and recall at other thresholds: reported, never used to choose one (the")
    print("model's own threshold is cross-validated on the tuning days by train_turns.py; the")
    print("tuning rows here are in-sample, the model having learned from those days)")
    print(f"{'threshold':>9} {'set':9} {'splits':>6} {'prec.':>6} {'recall':>6}")
    for name, debates in sets.items():
        for threshold, right, split, real in turns_evaluation.curve(debates, THRESHOLDS):
            precision = right / split if split else 1.0
            print(f"{threshold:9.2f} {name:9} {split:6} {precision:6.3f} {right / real:6.3f}")
    print()
    print(f"{'day, now':36} {'set':9} {'real':>5} {'splits':>6} {'prec.':>6} {'recall':>6}")
    for name, days in (("tuning", TUNING_DAYS), ("held-out", HELD_OUT_DAYS)):
        for day in days:
            score = turns_evaluation.score(debates_of((day,)))
            found = score.true_positives + score.false_positives
            real = score.true_positives + score.false_negatives
            print(
                f"{day.name:36} {name:9} {real:5} {found:6} {score.precision:6.3f}"
                f" {score.recall:6.3f}"
            )


if __name__ == "__main__":
    main()

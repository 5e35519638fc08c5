"""Learn the weights of the plain-text turn detector from the tuning days (never the held-out).

    .venv/bin/python bench/train_turns.py          # writes importers/turns_model.json
    .venv/bin/python bench/train_turns.py --check  # prints the figures, writes nothing

A logistic regression over `turns.features`, fitted by plain gradient steps in a fixed order
(no randomness: the same days always give the same file). The threshold is chosen by
cross-validation across the tuning days (fit on one, score the other, both ways) as the
lowest at which the pooled precision reaches `--precision`, since a wrong split costs more
than a missed one; the final weights are then fitted on all the tuning days.
"""

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from turns import TUNING_DAYS  # type: ignore[import-not-found]  # noqa: E402  # bench/turns.py

from debates.ingest.importers import turns, turns_evaluation  # noqa: E402

Example = tuple[list[str], bool]
Debate = tuple[list[str], set[int]]  # sentences, indexes where a real turn starts


def debates_of(day: Path) -> list[Debate]:
    return [
        turns_evaluation.sentences_and_starts(debate)
        for debate in turns_evaluation.stripped_day(day.read_bytes())
    ]


def examples_of(debates: Sequence[Debate]) -> list[Example]:
    """Every sentence start after the first, and whether a real turn starts there."""
    return [
        (turns.features(sentences, index), index in starts)
        for sentences, starts in debates
        for index in range(1, len(sentences))
    ]


def fit(
    examples: Sequence[Example], *, epochs: int, rate: float, l2: float, min_count: int
) -> dict[str, float]:
    """Logistic regression by AdaGrad over the examples in their order, feature by feature
    for those seen at least `min_count` times."""
    counts = Counter(feature for found, _ in examples for feature in set(found))
    kept = [([f for f in found if counts[f] >= min_count], label) for found, label in examples]
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    for _ in range(epochs):
        for found, label in kept:
            p = turns.score(weights, found)
            gradient = p - (1.0 if label else 0.0)
            for feature in found:
                w = weights.get(feature, 0.0)
                g = gradient + l2 * w
                squares[feature] = squares.get(feature, 0.0) + g * g
                weights[feature] = w - rate * g / math.sqrt(squares[feature] + 1e-8)
    return {f: round(w, 4) for f, w in sorted(weights.items()) if abs(w) >= 0.005}


def counts_at(
    debates: Sequence[Debate], weights: dict[str, float], threshold: float
) -> tuple[int, int, int]:
    """(right splits, splits, real turns) decoding as the importer does."""
    right = split = real = 0
    for sentences, starts in debates:
        found = set(turns.turn_starts(sentences, weights, threshold)) - {0}
        real_starts = starts - {0}
        right += len(found & real_starts)
        split += len(found)
        real += len(real_starts)
    return right, split, real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", type=float, default=0.93)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="print figures, write nothing")
    args = parser.parse_args()
    options = dict(epochs=args.epochs, rate=args.rate, l2=args.l2, min_count=args.min_count)
    days = [debates_of(day) for day in TUNING_DAYS]
    folds = []
    for held in range(len(days)):
        train = [debate for i, day in enumerate(days) if i != held for debate in day]
        folds.append((fit(examples_of(train), **options), days[held]))
    thresholds = [round(0.3 + step / 100, 2) for step in range(70)]
    chosen = thresholds[-1]
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7}  (cross-validated on the tuning days)")
    for threshold in thresholds:
        totals = [counts_at(day, weights, threshold) for weights, day in folds]
        right, split, real = (sum(column) for column in zip(*totals, strict=True))
        precision, recall = right / split if split else 1.0, right / real
        if threshold * 100 % 5 == 0:
            print(f"{threshold:9.2f} {precision:9.3f} {recall:7.3f}")
        if precision >= args.precision and chosen == thresholds[-1]:
            chosen = threshold
            print(f"{threshold:9.2f} {precision:9.3f} {recall:7.3f}  <- chosen")
    weights = fit(examples_of([debate for day in days for debate in day]), **options)
    model = {
        "about": "Weights of debates.ingest.importers.turns, written by bench/train_turns.py"
        f" from {', '.join(day.name for day in TUNING_DAYS)} (Contains Parliamentary"
        " information licensed under the Open Parliament Licence v3.0).",
        "options": {**options, "precision": args.precision},
        "threshold": chosen,
        "weights": weights,
    }
    print(f"{len(weights)} weights, threshold {chosen}")
    if not args.check:
        turns.MODEL.write_text(json.dumps(model, indent=0, sort_keys=True) + "\n", "utf-8")
        print(f"wrote {turns.MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

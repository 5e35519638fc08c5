"""How well the plain-text importer finds where the speaker changes, scored on real debates.

A ParlParse day knows who said what. `stripped_debates` takes its speeches, drops the
speakers and writes each debate as the seeds look: one sentence per line, lines broken after
"hon." ("The hon." / "Gentleman makes ..."), no blank lines. `score` loads that text through
the real plain-text importer (`plaintext.parse`) and compares the lines where its speeches
start with the lines where the real ones did: precision, recall, and the confusions by kind
(`GoldKind` of the real change, `turns.Cue` the text shows where the importer split).

Pure: `bench/turns.py` prints the figures, `bench/train_turns.py` learns from them and the
tests hold them on a small fixture.
"""

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from ...choices import SpeechKind
from . import parlparse, plaintext
from .transcript import DebateMetadata, ParsedSpeech, ParsedTranscript
from .turns import Cue, Rule, cue_of, is_question, rule_at, turn_starts


class GoldKind(StrEnum):
    """What a real change of speaker is, read from who spoke (which the text no longer says)."""

    CHAIR = "chair"  # the Chair speaks: "Order.", "I call ..."
    POINT_OF_ORDER = "point-of-order"  # "On a point of order, Mr Speaker, ..."
    INTERVENTION = "intervention"  # "... give way?" / "I give way.", and the speech resuming
    STATEMENT = "statement-questions"  # the first reply to an opening statement or speech
    QUESTION = "question-answer"  # the speech before ends with a question
    NEXT_QUESTION = "next-question"  # a new question (the turn ends with "?") after an answer
    OTHER = "other"


NONE = "none"  # a split where the speaker did not change, or a change that was not found


@dataclass(frozen=True)
class Turn:
    """One real speech: who (for telling turns apart) and its sentences."""

    speaker: str
    sentences: tuple[str, ...]
    chair: bool = False


@dataclass(frozen=True)
class StrippedDebate:
    """A debate as plain text with its real turns: `text` is what the importer reads."""

    title: str
    turns: tuple[Turn, ...]
    text: str
    gold: dict[int, str]  # line where a real turn starts (not the first) -> its GoldKind
    # Every line that starts a sentence: a split can only fall on one of these.
    sentence_lines: tuple[int, ...] = ()


@dataclass
class Score:
    """Counts over one or more debates; precision and recall read from them."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    candidates: int = 0  # places a split could go (sentence starts after the first)
    # Wrong splits one sentence after a real change that was missed: the new speaker's first
    # sentence left with the speech before (each is also a false positive and negative).
    late: int = 0
    # (real kind or NONE, cue at the split or NONE when not split) -> count
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    def add(self, other: "Score") -> None:
        self.true_positives += other.true_positives
        self.false_positives += other.false_positives
        self.false_negatives += other.false_negatives
        self.candidates += other.candidates
        self.late += other.late
        self.confusion.update(other.confusion)

    def recall_of(self, kind: str) -> tuple[int, int]:
        """(found, real) for one GoldKind."""
        real = sum(n for (gold, _), n in self.confusion.items() if gold == kind)
        return real - self.confusion[(kind, NONE)], real

    def precision_of(self, cue: str) -> tuple[int, int]:
        """(right, split) for the splits made where the text shows one Cue."""
        split = sum(n for (_, found), n in self.confusion.items() if found == cue)
        return split - self.confusion[(NONE, cue)], split


# "hon." ends a line as the seeds' sentence splitter left it; the importer rejoins it.
_BREAK_AFTER_HON = re.compile(r"(?<=\bhon\.) ")
_CHAIR = re.compile(r"\b(?:Speaker|Chairman|Chair|Chairwoman)\b")


def turns_of(speeches: Iterable[ParsedSpeech]) -> list[Turn]:
    """Real turns: speeches with words and a speaker, one speaker's consecutive speeches
    (split in the record by a column break, say) joined into one."""
    turns: list[Turn] = []
    for speech in speeches:
        if speech.kind != SpeechKind.SPEECH or not speech.sentences:
            continue  # narrative ("Question put and agreed to.") and divisions: no one's turn
        speaker = speech.member_ref or speech.speaker_name or speech.speaker_role
        if not speaker:
            continue
        chair = bool(_CHAIR.search(speech.speaker_role)) and not speech.speaker_role.startswith(
            ("The Minister", "The Secretary")
        )
        if turns and turns[-1].speaker == speaker:
            previous = turns.pop()
            turns.append(Turn(speaker, previous.sentences + speech.sentences, previous.chair))
        else:
            turns.append(Turn(speaker, speech.sentences, chair))
    return turns


def gold_kind(turns: Sequence[Turn], index: int) -> GoldKind:
    """The kind of the change of speaker from turns[index - 1] to turns[index]."""
    before, turn = turns[index - 1], turns[index]
    if turn.chair:
        return GoldKind.CHAIR
    if "point of order" in turn.sentences[0].casefold():
        return GoldKind.POINT_OF_ORDER
    # "Will the hon. Gentleman give way?" / "I give way.", the intervention, and back.
    near = [*before.sentences[-2:], *turn.sentences[:2]]
    if index >= 2:
        near += [*turns[index - 2].sentences[-2:], *before.sentences[:2]]
    if any("give way" in sentence.casefold() for sentence in near):
        return GoldKind.INTERVENTION
    if index == 1 and len(before.sentences) >= 8:
        return GoldKind.STATEMENT
    if is_question(before.sentences[-1]):
        return GoldKind.QUESTION
    if is_question(turn.sentences[-1]):
        return GoldKind.NEXT_QUESTION
    return GoldKind.OTHER


def stripped_debates(transcript: ParsedTranscript) -> list[StrippedDebate]:
    """Each debate of a parsed transcript with two turns or more, speakers stripped."""
    stripped = []
    for debate in transcript.debates:
        turns = turns_of(debate.speeches)
        if len(turns) < 2:
            continue
        lines: list[str] = []
        gold: dict[int, str] = {}
        starts: list[int] = []
        for index, turn in enumerate(turns):
            if index:
                gold[len(lines) + 1] = gold_kind(turns, index)
            for sentence in turn.sentences:
                starts.append(len(lines) + 1)
                lines.extend(_BREAK_AFTER_HON.split(sentence))
        stripped.append(
            StrippedDebate(
                title=debate.title,
                turns=tuple(turns),
                text="\n".join(lines) + "\n",
                gold=gold,
                sentence_lines=tuple(starts),
            )
        )
    return stripped


def stripped_day(raw: bytes) -> list[StrippedDebate]:
    """The debates of one ParlParse day, stripped."""
    return stripped_debates(parlparse.parse(raw))


Splitter = Callable[[bytes, DebateMetadata], ParsedTranscript]
_METADATA = DebateMetadata(title="Evaluation", date=datetime.date(2000, 1, 1))


def score(debates: Iterable[StrippedDebate], parse: Splitter | None = None) -> Score:
    """Load each debate's text through the plain-text importer and count its splits."""
    parse = parse or (lambda raw, metadata: plaintext.parse(raw, metadata=metadata))
    total = Score()
    for debate in debates:
        total.add(score_one(debate, parse))
    return total


def score_one(debate: StrippedDebate, parse: Splitter) -> Score:
    parsed = parse(debate.text.encode(), _METADATA).debates[0]
    speeches = parsed.speeches
    found = {speech.line: speech for speech in speeches[1:] if speech.line is not None}
    lines = debate.text.splitlines()
    result = Score(candidates=max(len(debate.sentence_lines) - 1, 0))
    for line in sorted(set(found) | set(debate.gold)):
        cue = NONE
        if line in found:
            previous = _sentence_before(lines, line)
            cue = cue_of(previous, found[line].sentences[0])
        kind = debate.gold.get(line, NONE)
        result.confusion[(kind, cue)] += 1
        if kind != NONE and cue != NONE:
            result.true_positives += 1
        elif kind != NONE:
            result.false_negatives += 1
        else:
            result.false_positives += 1
    starts = debate.sentence_lines
    result.late = sum(
        1
        for before, start in pairwise(starts)
        if start in found
        and start not in debate.gold
        and before in debate.gold
        and before not in found
    )
    return result


def _sentence_before(lines: list[str], line: int) -> str:
    """The sentence that ends on the line before `line` (1-based), rejoined if broken."""
    start = line - 1
    while start > 1 and lines[start - 2].endswith(" hon."):
        start -= 1
    return " ".join(lines[start - 1 : line - 1])


KINDS: tuple[str, ...] = tuple(GoldKind)
CUES: tuple[str, ...] = tuple(Cue)
__all__ = ["CUES", "KINDS", "NONE", "GoldKind", "Score", "StrippedDebate", "Turn", "score"]


def rule_counts(debates: Iterable[StrippedDebate]) -> dict[Rule, tuple[int, int]]:
    """For each rule the detector splits by without weighing: (right, fired) over the real
    turns' sentences, so each rule's own precision can be read apart from the model's."""
    counts = {rule: [0, 0] for rule in Rule}
    for debate in debates:
        sentences, starts = sentences_and_starts(debate)
        for index in range(1, len(sentences)):
            rule = rule_at(sentences, index)
            if rule is not None:
                counts[rule][0] += index in starts
                counts[rule][1] += 1
    return {rule: (right, fired) for rule, (right, fired) in counts.items()}


def sentences_and_starts(debate: StrippedDebate) -> tuple[list[str], set[int]]:
    """The debate's sentences in order, and the indexes where a real turn starts."""
    sentences: list[str] = []
    starts: set[int] = set()
    for turn in debate.turns:
        starts.add(len(sentences))
        sentences.extend(turn.sentences)
    return sentences, starts


def curve(
    debates: Iterable[StrippedDebate], thresholds: Sequence[float]
) -> list[tuple[float, int, int, int]]:
    """(threshold, right splits, splits, real changes) of the detector at each threshold,
    splitting the real sentences as the importer does (its rules fire at every threshold)."""
    pairs = [sentences_and_starts(debate) for debate in debates]
    rows = []
    for threshold in thresholds:
        right = split = real = 0
        for sentences, starts in pairs:
            found = set(turn_starts(sentences, threshold=threshold)) - {0}
            right += len(found & starts)
            split += len(found)
            real += len(starts - {0})
        rows.append((threshold, right, split, real))
    return rows

"""Plain text, one sentence per line, no speaker names (the seed transcripts' format).

A blank line, where there is one, ends a paragraph. Lines broken after "hon." and similar
abbreviations are rejoined; the text is split into speeches where the sentences show a
change of speaker (see `turns`), and every speech says its edges were inferred. A speaker is
named only where the text names them (the Chair's "I call Adam Afriyie." before the turn).
Title, date, house and kind come from `DebateMetadata`.
"""

from dataclasses import dataclass

from ...choices import DebateKind, House, SpeechBoundary
from .text import decode, normalise_space, rejoin_broken_lines, split_lines
from .transcript import DebateMetadata, ParsedDebate, ParsedSpeech, ParsedTranscript, ParseError
from .turns import called_by_the_chair, split_into_turns

FORMAT = "plaintext"


@dataclass(frozen=True)
class _Sentence:
    line: int
    text: str
    starts_paragraph: bool


def parse(raw: bytes, *, metadata: DebateMetadata) -> ParsedTranscript:
    _require(metadata)
    assert metadata.date is not None  # _require has seen to it
    sentences = _sentences(decode(raw))
    if not sentences:
        raise ParseError("the file holds no text")
    turns = split_into_turns(sentences, sentence_of=lambda s: s.text)
    speeches = tuple(
        _speech(turn, previous) for turn, previous in zip(turns, [None, *turns[:-1]], strict=True)
    )
    debate = ParsedDebate(
        title=metadata.title,
        date=metadata.date,
        house=metadata.house or House.COMMONS,
        kind=metadata.kind or DebateKind.DEBATE,
        source_reference=metadata.source_reference,
        speeches=speeches,
    )
    return ParsedTranscript(format=FORMAT, debates=(debate,))


def _require(metadata: DebateMetadata) -> None:
    missing = [name for name in ("title", "date") if not getattr(metadata, name)]
    if missing:
        raise ParseError(
            f"plain text carries no {' or '.join(missing)}: give it in the manifest beside the"
            " file or with --title/--date"
        )


def _sentences(text: str) -> list[_Sentence]:
    """Non-blank lines as (line number, text), rejoined, each marked if a paragraph starts."""
    lines, paragraph_starts, after_blank = [], set(), True
    for number, line in enumerate(split_lines(text), start=1):
        line = normalise_space(line)
        if not line:
            after_blank = True
            continue
        if after_blank:
            paragraph_starts.add(number)
            after_blank = False
        lines.append((number, line))
    return [
        _Sentence(
            line=number, text=normalise_space(joined), starts_paragraph=number in paragraph_starts
        )
        for number, joined in rejoin_broken_lines(lines)
    ]


def _speech(turn: list[_Sentence], previous: list[_Sentence] | None) -> ParsedSpeech:
    """A turn as a speech. It names a speaker only if the text does: the Chair calling
    someone ("I call Adam Afriyie.") at the end of the turn before."""
    name, role = called_by_the_chair(previous[-1].text) if previous else ("", "")
    paragraphs: list[list[str]] = []
    for sentence in turn:
        if not paragraphs or sentence.starts_paragraph:
            paragraphs.append([])
        paragraphs[-1].append(sentence.text)
    return ParsedSpeech(
        paragraphs=tuple(map(tuple, paragraphs)),
        line=turn[0].line,
        speaker_name=name,
        speaker_role=role,
        boundary=SpeechBoundary.INFERRED,
    )

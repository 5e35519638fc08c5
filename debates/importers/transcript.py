"""What every importer returns: frozen dataclasses that `debates.loading` writes."""

import datetime
from dataclasses import dataclass, field


class ParseError(ValueError):
    """A transcript that cannot be read, with what a clerk needs to fix it."""

    def __init__(self, message: str, *, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class DebateMetadata:
    """What a file may not say about itself: given by a manifest, a form or command options."""

    title: str = ""
    date: datetime.date | None = None
    house: str = ""
    kind: str = ""
    source_reference: str = ""


@dataclass(frozen=True)
class ParsedSpeech:
    paragraphs: tuple[tuple[str, ...], ...]  # paragraphs of sentences
    speaker_name: str = ""  # as printed; "" when the record names nobody
    speaker_role: str = ""
    member_ref: str = ""  # an id the source gives the speaker ("scheme:value"), if any
    line: int | None = None  # where the speech starts in the source

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(sentence for paragraph in self.paragraphs for sentence in paragraph)


@dataclass(frozen=True)
class ParsedDebate:
    title: str
    date: datetime.date
    house: str
    kind: str
    speeches: tuple[ParsedSpeech, ...]
    source_reference: str = ""


@dataclass(frozen=True)
class ParsedTranscript:
    format: str
    debates: tuple[ParsedDebate, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def speech_count(self) -> int:
        return sum(len(debate.speeches) for debate in self.debates)

    @property
    def sentence_count(self) -> int:
        return sum(len(speech.sentences) for debate in self.debates for speech in debate.speeches)

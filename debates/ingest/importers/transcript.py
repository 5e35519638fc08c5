"""What every importer returns: frozen dataclasses that `debates.ingest.loading` writes."""

import datetime
from dataclasses import dataclass, field

from ...choices import SpeechBoundary, SpeechKind


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
    # The person as the record names them, in full where it can: a repeat speaker printed
    # "Mr Raab:" carries the name found earlier in the debate ("Dominic Raab"). "" when the
    # record names nobody.
    speaker_name: str = ""
    speaker_role: str = ""  # office as printed: "The Secretary of State for Justice"
    speaker_constituency: str = ""  # as printed beside the name, if at all
    speaker_party: str = ""  # as printed beside the name ("Con"), if at all
    member_ref: str = ""  # an id the source gives the speaker ("scheme:value"), if any
    kind: str = SpeechKind.SPEECH
    heading: str = ""  # a section heading (ParlParse minor-heading) printed before this speech
    source_reference: str = ""  # the record's own id for this speech, if any
    line: int | None = None  # where the speech starts in the source
    # RECORDED when the source marks the speech; INFERRED when the importer worked it out.
    boundary: str = SpeechBoundary.RECORDED

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
    # A record issued in several versions (ParlParse's debates2009-10-26a.xml, ...26b.xml):
    # files of one `series` replace each other, the highest `version` winning.
    series: str = ""
    version: str = ""

    @property
    def speech_count(self) -> int:
        return sum(len(debate.speeches) for debate in self.debates)

    @property
    def sentence_count(self) -> int:
        return sum(len(speech.sentences) for debate in self.debates for speech in debate.speeches)

"""Hansard-style text: headings, then speeches under speaker lines.

    House of Commons
    Tuesday 28 March 2023

    Justice

    The Secretary of State was asked—

    Violence against Women and Girls

    Andrew Western (Stretford and Urmston) (Lab):
    What steps his Department is taking to ...

The file is read as records separated by blank lines; inside a record each line is a
paragraph.

- A *speaker line* starts a speech. It is strict: a line of its own, at most 150 characters,
  ending in ":", of one of these shapes:
  ``Name (Constituency) (Party):``, ``Name (Constituency):``,
  ``The Secretary of State for Justice (Dominic Raab):`` (an office, then the name),
  ``Madam Deputy Speaker (Dame Rosie Winterton):``, ``Mr Speaker:`` (a chair's title alone),
  ``Hon. Members:`` / ``Several hon. Members:``, ``Mr Raab:`` (a title and surname: a repeat
  speaker, given the name, constituency and party printed for that surname earlier in the
  debate, else earlier in the file), ``The Secretary of State for Justice:`` (an office
  alone, resolved the same way) and ``Dominic Raab:``. Names, offices and constituencies are
  Capitalised Words (with "of", "for", "and", "the" ...), so a sentence that merely ends
  with a colon ("... as the report states:") is never a speaker line.
- A *heading* is a record of one line of at most 120 characters that does not end like a
  sentence (. , ; : ? ! or a dash) and does not open like the record's own words ("Motion
  made", "Question put", "Ordered", "Resolved", a Standing Order).
- Any other record is narrative ("The Secretary of State was asked—", "Question agreed to.").

Debate (major) or section (minor) heading? The text prints both alike, so:

1. a heading of the shape of a section is minor: "Clause 7 - ...", "New Clause 21 - ...",
   "Schedule 2 - ...", "[2nd Allocated Day]", "Topical Questions";
2. a heading directly after another heading is minor ("Bill Presented" / "Humber2100+
   Project Bill");
3. a heading after a record that runs on into it (ending in ",", ":" or a dash: "The
   Secretary of State was asked—", "Motion made, and Question put forthwith (...),") is
   minor;
4. in question time (a debate whose first record is "... was asked—") headings are minor
   until "Topical Questions", which is always the last section; the heading after it is a
   debate again, and so is a heading whose first speech opens "(Urgent Question)";
5. any other heading starts a debate.

Checked against ParlParse's own markup of the same day (tests/debates/
test_importers_hansard_text.py): the same speeches with the same speakers, and the same
debate titles.

Optional header lines at the top, before any heading: ``Title:``, ``Date:`` (2023-03-28 or
28 March 2023), ``House:`` (commons, lords, westminster-hall, other, or "House of Commons",
...), and the bare lines "House of Commons" and "Tuesday 28 March 2023" as Hansard prints
them. What the file says wins; DebateMetadata fills what it does not say.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...choices import DebateKind, House, SpeechKind
from .text import decode, kind_from, normalise_space, split_lines, split_sentences, unused_heading
from .transcript import (
    DebateMetadata,
    ParsedDebate,
    ParsedSpeech,
    ParsedTranscript,
    ParseError,
)

FORMAT = "hansard-text"

# -- speaker lines -----------------------------------------------------------------------

_PARTICLE = r"(?:of|for|the|and|to|in|on|at|de|da|van|von|der|du|le|la|y|ap|upon|under|with)"
_WORD = r"(?:[A-Z0-9\u00c0-\u00de][\w.'’&+/-]*|[A-Z]\.)"  # Capitalised: O’Brien, Mumby-Croft
_WORDS = rf"{_WORD}(?:,? (?:{_WORD}|{_PARTICLE}))*"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Dame|Lord|Lady|Baroness|Viscount|Earl|Professor|Rev)\.?"
_NAME = rf"(?:{_TITLE} )?{_WORD}(?: (?:{_WORD}|{_PARTICLE}))*"
_PARTY = r"[A-Z][A-Za-z]*(?:[/ -][A-Za-z]+){0,3}"  # Con, LD, Lab/Co-op
_CHAIR = (
    r"(?:Mr|Madam|The)\.? (?:(?:First|Second|Third) )?(?:Deputy )?"
    r"(?:Speaker|Chair|Chairman|Chairman of Ways and Means)"
)
_OFFICE_WORDS = (
    r"Secretary|Minister|Chancellor|Solicitor|Attorney|Advocate|Leader|Paymaster|Lord|"
    r"Speaker|Chair|Chairman|Deputy|President|Treasurer|Comptroller|Whip|Member|Parliamentary"
)
_OFFICE = rf"(?:The|Mr|Madam) (?=[^()]*\b(?:{_OFFICE_WORDS})\b){_WORDS}"

_SPEAKER_PATTERNS = [
    # Name (Constituency) (Party):
    (
        "member",
        re.compile(rf"^(?P<name>{_NAME}) \((?P<constituency>{_WORDS})\) \((?P<party>{_PARTY})\):$"),
    ),
    # The Secretary of State for Justice (Dominic Raab):  Madam Deputy Speaker (Dame Rosie W):
    ("office", re.compile(rf"^(?P<role>{_OFFICE}|{_CHAIR}) \((?P<name>{_NAME})\):$")),
    # Name (Constituency):
    ("member", re.compile(rf"^(?P<name>{_NAME}) \((?P<constituency>{_WORDS})\):$")),
    # Mr Speaker:
    ("chair", re.compile(rf"^(?P<role>{_CHAIR}):$")),
    # Hon. Members:  Several hon. Members:
    ("members", re.compile(r"^(?P<name>(?:(?:Several|Some|An) )?[Hh]on\. Members?):$")),
    # The Secretary of State for Justice:
    ("office", re.compile(rf"^(?P<role>{_OFFICE}):$")),
    # Mr Raab:  Dominic Raab:
    ("name", re.compile(rf"^(?P<name>{_NAME}):$")),
]
_MAX_SPEAKER_LINE = 150

# -- headings and narrative ----------------------------------------------------------------

_MAX_HEADING = 120
_SENTENCE_END = re.compile(r"[.,;:?!—–-]$")
_RECORD_OPENING = re.compile(
    r"^(?:Motion (?:made|for leave)|Question (?:put|proposed|agreed)|Ordered|Resolved)\b"
    r"|Standing Order No"
)
_SECTION = re.compile(
    r"^(?:(?:New )?Clauses? \d|Schedules? \d|Amendments? \d|Part \d|\[.*\]$|Topical Questions$)"
)
_RUNS_ON = re.compile(r"[,:—–-]$")
_WAS_ASKED = re.compile(r"\bwas asked\s*[—–-]?$")
_TOPICAL = re.compile(r"^Topical Questions$")

# -- header lines --------------------------------------------------------------------------

_HEADER = re.compile(r"^(?P<key>Title|Date|House|Kind):\s*(?P<value>.*)$", re.IGNORECASE)
_HOUSE_LINE = re.compile(r"^(?:House of Commons|House of Lords|Westminster Hall)$")
_DATE_LINE = re.compile(
    r"^(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),? )?"
    r"\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}$"
)


@dataclass(frozen=True)
class Speaker:
    name: str = ""
    role: str = ""
    constituency: str = ""
    party: str = ""
    short: bool = False  # "Mr Raab:", "The Secretary of State for Justice:": resolve by earlier


def speaker_line(line: str) -> Speaker | None:
    """The speaker a line names, if the line is a speaker line (see the module docstring)."""
    if len(line) > _MAX_SPEAKER_LINE or not line.endswith(":"):
        return None
    for shape, pattern in _SPEAKER_PATTERNS:
        match = pattern.match(line)
        if not match:
            continue
        found = match.groupdict()
        if shape == "name":
            words = found["name"].split()
            if not 2 <= len(words) <= 5:
                return None
            return Speaker(name=found["name"], short=bool(re.match(_TITLE + "$", words[0])))
        if shape == "office" and "name" not in found:
            return Speaker(role=found["role"], short=True)
        return Speaker(
            name=_without_courtesy_title(found.get("name") or ""),
            role=found.get("role") or "",
            constituency=found.get("constituency") or "",
            party=found.get("party") or "",
        )
    return None


def is_heading(record: list[tuple[int, str]]) -> bool:
    if len(record) != 1:
        return False
    text = record[0][1]
    return (
        len(text) <= _MAX_HEADING
        and any(c.isalpha() for c in text)
        and not _SENTENCE_END.search(text)
        and not _RECORD_OPENING.search(text)
        and speaker_line(text) is None
    )


@dataclass
class _Debate:
    title: str
    line: int | None
    kind: str = ""
    speeches: list[ParsedSpeech] = field(default_factory=list)


def parse(raw: bytes, *, metadata: DebateMetadata = DebateMetadata()) -> ParsedTranscript:
    warnings: list[str] = []
    text = _decode(raw, warnings)
    lines = [(number, normalise_space(line)) for number, line in enumerate(split_lines(text), 1)]
    header, body = _header(lines)
    return _Reader(metadata, header, warnings).read(_records(body))


def _decode(raw: bytes, warnings: list[str]) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("not valid UTF-16 after its byte-order mark") from None
        warnings.append("encoding guessed from the byte-order mark: UTF-16")
        return text
    return decode(raw)


def _header(
    lines: list[tuple[int, str]],
) -> tuple[dict[str, tuple[int, str]], list[tuple[int, str]]]:
    """The header lines at the top (Title:, Date:, House:, "House of Commons", a date) and the
    lines after them."""
    header: dict[str, tuple[int, str]] = {}
    for position, (number, line) in enumerate(lines):
        if not line:
            continue
        match = _HEADER.match(line)
        if match and speaker_line(line) is None:
            header[match["key"].lower()] = (number, match["value"].strip())
        elif _HOUSE_LINE.match(line) and "house" not in header:
            header["house"] = (number, line)
        elif _DATE_LINE.match(line) and "date" not in header:
            header["date"] = (number, line)
        else:
            return header, lines[position:]
    return header, []


def _records(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    records: list[list[tuple[int, str]]] = [[]]
    for number, line in lines:
        if line:
            records[-1].append((number, line))
        elif records[-1]:
            records.append([])
    return [record for record in records if record]


class _Reader:
    def __init__(
        self, metadata: DebateMetadata, header: dict[str, tuple[int, str]], warnings: list[str]
    ):
        self.metadata = metadata
        self.header = header
        self.warnings = warnings
        self.debates: list[_Debate] = []
        self.heading = ""
        self.heading_line: int | None = None
        self.previous = "start"  # what the last record was: start, heading, runs-on, other
        self.question_time = False
        self.after_topicals = False

    def read(self, records: list[list[tuple[int, str]]]) -> ParsedTranscript:
        for position, record in enumerate(records):
            if position == len(records) - 1 and len(record) == 1 and speaker_line(record[0][1]):
                # An excerpt cut after a speaker line: nothing was said yet, nothing is lost.
                self.warnings.append(
                    f"line {record[0][0]}: the file ends after the speaker line {record[0][1]!r};"
                    " skipped"
                )
                continue
            if is_heading(record):
                following = records[position + 1] if position + 1 < len(records) else []
                self._heading(record[0], following)
            else:
                self._record(record)
        self._drop_unused_heading()
        return self._transcript()

    # -- headings ----------------------------------------------------------------------

    def _heading(self, line: tuple[int, str], following: list[tuple[int, str]]) -> None:
        number, text = line
        if self._is_minor(text, following):
            self._drop_unused_heading()
            self.heading, self.heading_line = text, number
            if _TOPICAL.match(text):
                self.after_topicals = True
        else:
            self._drop_unused_heading()
            self.debates.append(_Debate(title=text, line=number))
            self.question_time = self.after_topicals = False
        self.previous = "heading"

    def _is_minor(self, text: str, following: list[tuple[int, str]]) -> bool:
        if not self.debates and not self.heading:
            return False  # the first heading of the file starts a debate
        if _SECTION.match(text) or self.previous in ("heading", "runs-on"):
            return True
        opening = self._opening(following)
        if opening.startswith("(Urgent Question)"):
            return False
        return self.question_time and not self.after_topicals

    @staticmethod
    def _opening(record: list[tuple[int, str]]) -> str:
        """The first words of a record's speech (after its speaker line, if any)."""
        if record and speaker_line(record[0][1]) is not None:
            record = record[1:]
        return record[0][1] if record else ""

    def _drop_unused_heading(self) -> None:
        if self.heading:
            self.warnings.append(unused_heading(self.heading_line, self.heading))
            self.heading = ""

    # -- speeches ----------------------------------------------------------------------

    def _record(self, record: list[tuple[int, str]]) -> None:
        first_line, first = record[0]
        speaker = speaker_line(first)
        body = record[1:] if speaker else record
        if speaker and not body:
            raise ParseError(
                f"the speaker line {first!r} has no speech after it; put what was said on the"
                " lines below it, before the next blank line",
                line=first_line,
            )
        if not self.debates:
            self.debates.append(_Debate(title="", line=first_line))
        debate = self.debates[-1]
        if speaker:
            speaker = self._resolve(speaker, debate)
        paragraphs = tuple(split_sentences(text) for _, text in body)
        speech = ParsedSpeech(
            paragraphs=paragraphs,
            speaker_name=speaker.name if speaker else "",
            speaker_role=speaker.role if speaker else "",
            speaker_constituency=speaker.constituency if speaker else "",
            speaker_party=speaker.party if speaker else "",
            kind=SpeechKind.SPEECH if speaker else SpeechKind.NARRATIVE,
            heading=self.heading,
            line=first_line,
        )
        self.heading = ""
        if not debate.speeches:
            opening = speech.sentences[0]
            if not speaker and _WAS_ASKED.search(body[-1][1]):
                debate.kind = DebateKind.ORAL_QUESTIONS
                self.question_time = True
            else:
                debate.kind = kind_from(debate.title, opening)
        debate.speeches.append(speech)
        self.previous = "runs-on" if _RUNS_ON.search(record[-1][1]) else "other"

    def _resolve(self, speaker: Speaker, debate: _Debate) -> Speaker:
        """A speaker printed without constituency ("Mr Raab:", "The Secretary of State for
        Justice (Dominic Raab):", "The Minister for X:") as named in full earlier: in this
        debate first, then earlier in the file."""
        if speaker.constituency or not (speaker.name or speaker.short):
            return speaker  # printed in full, or a chair's title alone
        if speaker.name:
            earlier = self._earlier(lambda s: _same_person(s, speaker.name), debate)
        else:
            earlier = self._earlier(lambda s: _key(s.speaker_role) == _key(speaker.role), debate)
        if earlier is None:
            if speaker.short:
                self.warnings.append(
                    f"{speaker.name or speaker.role!r} is not named in full earlier in the file;"
                    " kept as printed"
                )
            return replace(speaker, short=False)
        return Speaker(
            name=earlier.speaker_name if speaker.short else speaker.name,
            role=speaker.role,
            constituency=earlier.speaker_constituency,
            party=earlier.speaker_party,
        )

    def _earlier(
        self, test: Callable[[ParsedSpeech], bool], debate: _Debate
    ) -> ParsedSpeech | None:
        for candidates in (debate.speeches, *(d.speeches for d in reversed(self.debates))):
            for speech in reversed(candidates):
                if speech.speaker_name and test(speech):
                    return speech
        return None

    # -- the whole ---------------------------------------------------------------------

    def _transcript(self) -> ParsedTranscript:
        date = self._date()
        house = self._house()
        title = self._given("title") or self.metadata.title
        debates = []
        for debate in self.debates:
            if not debate.speeches:
                self.warnings.append(unused_heading(debate.line, debate.title))
                continue
            if not (debate.title or title):
                raise ParseError(
                    "the speeches before the first heading have no title: put a heading or a"
                    " 'Title:' line at the top, or give the title with the form or --title",
                    line=debate.line,
                )
            debates.append(
                ParsedDebate(
                    title=debate.title or title,
                    date=date,
                    house=house,
                    kind=debate.kind
                    or self._given("kind")
                    or self.metadata.kind
                    or DebateKind.DEBATE,
                    speeches=tuple(debate.speeches),
                    source_reference=self.metadata.source_reference
                    if len(self.debates) == 1
                    else "",
                )
            )
        if not debates:
            raise ParseError("the file holds headings but no speeches")
        return ParsedTranscript(
            format=FORMAT, debates=tuple(debates), warnings=tuple(self.warnings)
        )

    def _given(self, key: str) -> str:
        return self.header[key][1] if key in self.header else ""

    def _date(self) -> datetime.date:
        if "date" not in self.header:
            if self.metadata.date:
                return self.metadata.date
            raise ParseError(
                "the file does not say its date: add a line 'Date: 2023-03-28' at the top, or"
                " give the date with the form or --date"
            )
        number, value = self.header["date"]
        for form in ("%Y-%m-%d", "%A %d %B %Y", "%A, %d %B %Y", "%d %B %Y"):
            try:
                return datetime.datetime.strptime(value, form).date()
            except ValueError:
                continue
        raise ParseError(
            f"{value!r} is not a date: write it as 2023-03-28 or 28 March 2023", line=number
        )

    def _house(self) -> str:
        if "house" not in self.header:
            return self.metadata.house or House.COMMONS
        number, value = self.header["house"]
        house = House.named(value)
        if house is None:
            raise ParseError(
                f"unknown house {value!r}: expected one of {', '.join(House.values)}", line=number
            )
        return house


def _key(text: str) -> str:
    """Names compared as a reader would: case, dots and curly apostrophes ignored."""
    return re.sub(r"[.\s]+", " ", text.replace("’", "'").replace("‘", "'")).strip().casefold()


def _surname(name: str) -> str:
    words = _key(name).split()
    return words[-1] if words else ""


def _same_person(speech: ParsedSpeech, printed: str) -> bool:
    """Does "Mr Raab" (or "Dominic Raab") name the speaker of `speech`? By surname, and by
    the whole name when the printed form has no title."""
    words = printed.split()
    titled = re.match(_TITLE + "$", words[0]) is not None
    if not titled:
        return _key(speech.speaker_name) == _key(printed)
    return _surname(speech.speaker_name) == _surname(printed)


def _without_courtesy_title(name: str) -> str:
    """ "Mr Andrew Mitchell" -> "Andrew Mitchell"; "Dame Rosie Winterton" and "Mr Raab" stay
    (an honour is part of the name; a title before a surname alone is all there is)."""
    words = name.split()
    if len(words) >= 3 and re.match(r"^(?:Mr|Mrs|Ms|Miss|Mx)\.?$", words[0]):
        return " ".join(words[1:])
    return name

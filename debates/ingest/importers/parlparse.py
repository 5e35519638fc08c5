"""ParlParse XML (TheyWorkForYou's ``debates*.xml``): one sitting day, many debates.

The file is a flat run of elements under ``<publicwhip>``:

- ``major-heading`` starts a debate: its text is the title, its id the debate's reference.
- ``minor-heading`` is a section inside the debate: it becomes the ``heading`` of the speech
  that follows it.
- ``oral-heading`` ("Oral Answers to Questions") opens question time. Each department's
  questions are a major heading whose first record is "The Secretary of State was asked—"
  (or "The Prime Minister was asked—", ...); the first major heading after it that does not
  open that way (an urgent question, a statement) ends question time. So the debates of
  question time get the kind "oral-questions" and no other debate does.
- ``speech`` carries ``speakername`` and ``person_id`` (2023) or ``speakerid`` (2009,
  "unknown" when ParlParse could not match the name); ``nospeaker="true"`` records ("Question
  put and agreed to.") are kept as narrative. ``<p>`` elements are paragraphs, inline
  elements (``<i>``, ``<phrase>``) included; a ``<table>`` gives one paragraph per row.
- ``division`` becomes a record of kind "division": number, time, counts and tellers
  (the lists of names stay in the source).
- ``gidredirect`` (ids moved between versions) carries no text and is skipped with a warning
  that counts them.

Records before the first major heading are never dropped: they make a debate titled by the
first minor heading among them, else by the metadata's title, else "Proceedings of <date>".

Date, house, series and version come from the ids (``uk.org.publicwhip/debate/2023-03-28d.
809.4``: house by prefix, date, version letter) and the root's ``scrapeversion`` /
``scraperversion`` attribute, never from the file name.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from lxml import etree

from ...choices import DebateKind, House, IdentifierScheme, SpeechKind
from .text import collapse_space, kind_from, name_and_role, split_sentences, unused_heading
from .transcript import (
    DebateMetadata,
    ParsedDebate,
    ParsedSpeech,
    ParsedTranscript,
    ParseError,
)
from .xmlsafe import local_name, parse_xml

FORMAT = "parlparse"

_ID = re.compile(
    r"^uk\.org\.publicwhip/(?P<prefix>[a-z]+)/(?P<date>\d{4}-\d{2}-\d{2})(?P<letter>[a-z]?)\."
)
# The House a day file is of, by its name: debates2023-03-28d.xml, westminhall..., lords...
HOUSES = {"debate": House.COMMONS, "westminhall": House.WESTMINSTER_HALL, "lords": House.LORDS}
# "The Secretary of State was asked—", "The Minister for the Cabinet Office was asked-"
_WAS_ASKED = re.compile(r"\bwas asked\s*[—–-]?$")


@dataclass
class _Debate:
    title: str
    source_reference: str
    line: int | None
    oral_candidate: bool = False
    kind: str = ""
    speeches: list[ParsedSpeech] = field(default_factory=list)


def parse(raw: bytes, *, metadata: DebateMetadata = DebateMetadata()) -> ParsedTranscript:
    root = parse_xml(raw)
    if local_name(root) != "publicwhip":
        raise ParseError(
            f"a ParlParse file has the root element <publicwhip>, not <{local_name(root)}>",
            line=root.sourceline,
        )
    return _Reader(metadata).read(root)


class _Reader:
    def __init__(self, metadata: DebateMetadata):
        self.metadata = metadata
        self.debates: list[_Debate] = []
        self.warnings: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.heading = ""  # the minor heading waiting for its first speech
        self.heading_line: int | None = None
        self.question_time = False
        self.ids: list[re.Match[str]] = []

    def read(self, root: etree._Element) -> ParsedTranscript:
        for element in root:
            name = local_name(element)
            if not name:
                continue  # a comment or processing instruction
            match = _ID.match(element.get("id", ""))
            if match:
                self.ids.append(match)
            if name == "major-heading":
                self._major_heading(element)
            elif name == "minor-heading":
                self._minor_heading(element)
            elif name == "oral-heading":
                self.question_time = True
            elif name == "speech":
                self._add(self._speech(element), element)
            elif name == "division":
                self._add(self._division(element), element)
            else:
                self.skipped[name] += 1
        return self._transcript(root)

    # -- headings ----------------------------------------------------------------------

    def _major_heading(self, element: etree._Element) -> None:
        self._drop_unused_heading()
        self.debates.append(
            _Debate(
                title=_text(element),
                source_reference=element.get("id", ""),
                line=element.sourceline,
                oral_candidate=self.question_time,
            )
        )

    def _minor_heading(self, element: etree._Element) -> None:
        self._drop_unused_heading()
        self.heading, self.heading_line = _text(element), element.sourceline

    def _drop_unused_heading(self) -> None:
        if self.heading:
            self.warnings.append(unused_heading(self.heading_line, self.heading))
            self.heading = ""

    # -- records -----------------------------------------------------------------------

    def _add(self, speech: ParsedSpeech | None, element: etree._Element) -> None:
        if speech is None:
            return
        if not self.debates:
            self.debates.append(_Debate(title="", source_reference="", line=element.sourceline))
        debate = self.debates[-1]
        if not debate.title and self.heading:
            debate.title = self.heading  # records before any major heading
        if not debate.speeches:
            self._decide_kind(debate, speech)
        if self.heading:
            speech = replace(speech, heading=self.heading)
            self.heading = ""
        debate.speeches.append(speech)

    def _decide_kind(self, debate: _Debate, first: ParsedSpeech) -> None:
        opening = first.sentences[0] if first.paragraphs else ""
        if debate.oral_candidate:
            if first.kind == SpeechKind.NARRATIVE and _WAS_ASKED.search(opening):
                debate.kind = DebateKind.ORAL_QUESTIONS
                return
            self.question_time = False  # the first debate after question time
        debate.kind = kind_from(debate.title, opening)

    def _speech(self, element: etree._Element) -> ParsedSpeech | None:
        texts: list[str] = []
        if collapse_space(element.text or ""):
            texts.append(collapse_space(element.text or ""))
        for child in element:
            name = local_name(child)
            if name == "table":
                texts.extend(
                    " ".join(_text(cell) for cell in row if local_name(cell) in ("td", "th"))
                    for row in child.iter("{*}tr")
                )
            elif name:
                texts.append(_text(child))
            if collapse_space(child.tail or ""):
                texts.append(collapse_space(child.tail or ""))
        split = [split_sentences(text) for text in texts]
        paragraphs = tuple(p for p in split if p)
        if not paragraphs:
            self.warnings.append(
                f"line {element.sourceline}: speech {element.get('id', '')} holds no text; skipped"
            )
            return None
        nospeaker = element.get("nospeaker") == "true"
        name, role = name_and_role(element.get("speakername", ""))
        return ParsedSpeech(
            paragraphs=paragraphs,
            speaker_name=name,
            speaker_role=collapse_space(element.get("speakeroffice", "")) or role,
            member_ref=_member_ref(element),
            kind=SpeechKind.NARRATIVE if nospeaker and not name and not role else SpeechKind.SPEECH,
            source_reference=element.get("id", ""),
            line=element.sourceline,
        )

    def _division(self, element: etree._Element) -> ParsedSpeech:
        number = element.get("divnumber", "").strip()
        time = _clock(element.get("time", ""))
        first = "Division" + (f" No. {number}" if number else "") + (f" at {time}" if time else "")
        paragraphs = [(first + ".",)]
        count = next((c for c in element if local_name(c) == "divisioncount"), None)
        if count is not None:
            paragraphs.append((f"Ayes {count.get('ayes', '?')}, Noes {count.get('noes', '?')}.",))
        else:
            self.warnings.append(f"line {element.sourceline}: division {number} has no counts")
        for vote, side in (("aye", "Ayes"), ("no", "Noes")):
            tellers = [
                _text(mp)
                for mp in element.iter("{*}mpname")
                if mp.get("vote") == vote and mp.get("teller") == "yes"
            ]
            if tellers:
                paragraphs.append((f"Tellers for the {side}: {' and '.join(tellers)}.",))
        return ParsedSpeech(
            paragraphs=tuple(paragraphs),
            kind=SpeechKind.DIVISION,
            source_reference=element.get("id", ""),
            line=element.sourceline,
        )

    # -- the whole ---------------------------------------------------------------------

    def _transcript(self, root: etree._Element) -> ParsedTranscript:
        self._drop_unused_heading()
        if self.skipped:
            self.warnings.append(
                "skipped elements that carry no debate text: "
                + ", ".join(f"{count} <{name}>" for name, count in sorted(self.skipped.items()))
            )
        if not any(debate.speeches for debate in self.debates):
            raise ParseError(
                "the file holds no speeches (only headings or redirects): it may be an"
                " incomplete version of the day; load a later version"
            )
        prefix, date, letter = self._identity()
        house = HOUSES.get(prefix, "") or self.metadata.house or House.OTHER
        debates = []
        for debate in self.debates:
            if not debate.speeches:
                self.warnings.append(unused_heading(debate.line, debate.title))
                continue
            title = debate.title or self.metadata.title
            if not title:
                title = f"Proceedings of {date.day} {date:%B %Y}"
                self.warnings.append(
                    f"line {debate.line}: {len(debate.speeches)} speeches come before any"
                    f" heading; they are kept as a debate titled {title!r}"
                )
            debates.append(
                ParsedDebate(
                    title=title,
                    date=date,
                    house=house,
                    kind=debate.kind or self.metadata.kind or DebateKind.DEBATE,
                    speeches=tuple(debate.speeches),
                    source_reference=debate.source_reference,
                )
            )
        version = root.get("scrapeversion") or root.get("scraperversion") or letter
        return ParsedTranscript(
            format=FORMAT,
            debates=tuple(debates),
            warnings=tuple(self.warnings),
            series=f"parlparse:{prefix}:{date.isoformat()}" if prefix else "",
            version=version,
        )

    def _identity(self) -> tuple[str, datetime.date, str]:
        """Id prefix, date and version letter, from the first id that has them."""
        if not self.ids:
            if self.metadata.date:
                return "", self.metadata.date, ""
            raise ParseError(
                "no id in the file gives the date (uk.org.publicwhip/debate/YYYY-MM-DD...);"
                " give the date with the form or --date"
            )
        first = self.ids[0]
        try:
            date = datetime.date.fromisoformat(first["date"])
        except ValueError:
            raise ParseError(f"the id {first.string!r} holds no real date") from None
        others = {match["date"] for match in self.ids} - {first["date"]}
        if others:
            self.warnings.append(
                f"ids name other dates than {first['date']}: {', '.join(sorted(others))}"
            )
        return first["prefix"], date, first["letter"]


def _text(element: etree._Element) -> str:
    return collapse_space("".join(element.itertext()))


def _member_ref(element: etree._Element) -> str:
    person = element.get("person_id", "").strip()
    if person:
        return IdentifierScheme.PARLPARSE_PERSON.ref(person)
    member = element.get("speakerid", "").strip()
    if member and member != "unknown":
        return IdentifierScheme.PARLPARSE_MEMBER.ref(member)
    return ""


def _clock(value: str) -> str:
    """ "022:00:00" (2009 ParlParse pads the hour) or "19:30:00" -> "22:00" / "19:30"."""
    match = re.match(r"^0*(\d{1,2}):(\d{2})", value.strip())
    return f"{int(match[1]):02d}:{match[2]}" if match else ""

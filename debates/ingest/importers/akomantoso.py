"""Akoma Ntoso (OASIS LegalDocML) debate records, namespaces 2.0 and 3.0 (or none).

One file is one debate. An Akoma Ntoso ``<debate>`` is one document with one ``docTitle``,
one ``docDate`` and one FRBR identity, the record of a sitting or of one debate; its
``debateSection``s (and the named sections: ``prayers``, ``papers``, ``questions``,
``adjournment`` ...) are the parts of that record, often holding nothing but a heading
("PRAYERS"). Making each top-level section a debate would give debates with no speeches and
titles that are not the record's, so sections become the ``heading`` of their first speech
instead: nested headings are joined outermost first ("ORAL ANSWERS TO QUESTIONS — BANDITRY
MENACE IN GALOLE"); a heading with nothing under it is reported in the warnings.

- ``speech``, ``question`` and ``answer`` are speeches. The speaker is ``by="#ref"``
  resolved through ``<references>`` (``TLCPerson`` ``showAs``, its ``href`` as member_ref
  "akn-person:<href>"), else the printed ``<from>``; ``as="#ref"`` names the role
  (``TLCRole`` ``showAs``). Blank ``by`` and no ``<from>`` make a speech with no speaker.
- ``narrative``, ``scene``, ``summary`` and ``other`` are narrative.
- ``<p>`` is a paragraph, and so is each ``<li>`` of a list.
- Title: ``docTitle`` (in the preface), else the metadata's title, else the preface's
  masthead (``<p class="heading">``/``"subheading"``), with a warning. Date: ``docDate@date``,
  else the meta ``FRBRWork/FRBRdate@date``, else the metadata's date. When none gives one,
  a ParseError says what is missing and how to give it (Title/Date on the form, --title/
  --date on the command).
"""

import datetime
from dataclasses import replace

from lxml import etree

from ...choices import DebateKind, House, SpeechKind
from .text import collapse_space, name_and_role, split_sentences
from .transcript import (
    DebateMetadata,
    ParsedDebate,
    ParsedSpeech,
    ParsedTranscript,
    ParseError,
)
from .xmlsafe import local_name, parse_xml

FORMAT = "akomantoso"

_SPEECHES = {"speech", "question", "answer"}
_NARRATIVE = {"narrative", "scene", "summary", "other"}
_NOT_CONTENT = {"heading", "num", "subheading", "from", "noteRef", "recordedTime", "eol", "meta"}


def parse(raw: bytes, *, metadata: DebateMetadata = DebateMetadata()) -> ParsedTranscript:
    root = parse_xml(raw)
    if local_name(root) != "akomaNtoso":
        raise ParseError(
            f"an Akoma Ntoso file has the root element <akomaNtoso>, not <{local_name(root)}>",
            line=root.sourceline,
        )
    debate = _child(root, "debate")
    if debate is None:
        found = ", ".join(f"<{local_name(c)}>" for c in root if local_name(c)) or "nothing"
        raise ParseError(
            f"<akomaNtoso> holds {found}; a debate record is an <akomaNtoso><debate>",
            line=root.sourceline,
        )
    return _Reader(debate, metadata).read()


class _Reader:
    def __init__(self, debate: etree._Element, metadata: DebateMetadata):
        self.debate = debate
        self.metadata = metadata
        self.warnings: list[str] = []
        self.pending: list[tuple[int, str, int | None]] = []  # (depth, heading, line)
        self.speeches: list[ParsedSpeech] = []
        self.people, self.roles = self._references()

    def read(self) -> ParsedTranscript:
        body = _child(self.debate, "debateBody")
        if body is None:
            raise ParseError(
                "the <debate> has no <debateBody>, where its speeches belong",
                line=self.debate.sourceline,
            )
        self._section(body, depth=0)
        for _, heading, line in self.pending:
            self._unused(heading, line)
        if not self.speeches:
            raise ParseError(
                "the file holds no speeches: its <debateBody> has no <speech>, <question>,"
                " <answer> or <narrative> with text",
                line=body.sourceline,
            )
        title, date = self._title(), self._date()
        missing = [what for what, value in (("title", title), ("date", date)) if not value]
        if missing:
            raise ParseError(self._missing_message(missing))
        assert date is not None  # in `missing` otherwise
        reference = self._frbr("FRBRWork", "FRBRthis", "value")
        return ParsedTranscript(
            format=FORMAT,
            debates=(
                ParsedDebate(
                    title=title,
                    date=date,
                    house=self.metadata.house or House.OTHER,
                    kind=self.metadata.kind or DebateKind.DEBATE,
                    speeches=tuple(self.speeches),
                    source_reference=reference or self.metadata.source_reference,
                ),
            ),
            warnings=tuple(self.warnings),
        )

    # -- the body ----------------------------------------------------------------------

    def _section(self, section: etree._Element, depth: int) -> None:
        heading = _child(section, "heading")
        if heading is not None and collapse_space("".join(heading.itertext())):
            for _, unused, line in [p for p in self.pending if p[0] >= depth]:
                self._unused(unused, line)
            self.pending = [p for p in self.pending if p[0] < depth]
            self.pending.append(
                (depth, collapse_space("".join(heading.itertext())), heading.sourceline)
            )
        for child in section:
            name = local_name(child)
            if name in _SPEECHES:
                self._add(self._speech(child, SpeechKind.SPEECH))
            elif name in _NARRATIVE:
                self._add(self._speech(child, SpeechKind.NARRATIVE))
            elif name in _NOT_CONTENT or not name:
                continue
            elif name in ("p", "ul", "ol", "blockList"):
                self.warnings.append(
                    f"line {child.sourceline}: text directly in <{local_name(section)}>, outside"
                    " any speech, is kept as narrative"
                )
                self._add(self._speech(child, SpeechKind.NARRATIVE, whole=True))
            else:
                self._section(child, depth + 1)

    def _add(self, speech: ParsedSpeech | None) -> None:
        if speech is None:
            return
        if self.pending:
            speech = replace(speech, heading=" — ".join(h for _, h, _ in self.pending))
            self.pending = []
        self.speeches.append(speech)

    def _unused(self, heading: str, line: int | None) -> None:
        self.warnings.append(f"line {line}: the heading {heading!r} has no speech under it")

    def _speech(
        self, element: etree._Element, kind: str, *, whole: bool = False
    ) -> ParsedSpeech | None:
        split = [split_sentences(text) for text in _paragraphs(element, whole=whole)]
        paragraphs = tuple(p for p in split if p)
        if not paragraphs:
            self.warnings.append(
                f"line {element.sourceline}: <{local_name(element)}> holds no text; skipped"
            )
            return None
        name = role = member_ref = ""
        if kind == SpeechKind.SPEECH:
            name, role, member_ref = self._speaker(element)
        return ParsedSpeech(
            paragraphs=paragraphs,
            speaker_name=name,
            speaker_role=role,
            member_ref=member_ref,
            kind=kind,
            source_reference=element.get("eId") or element.get("id") or "",
            line=element.sourceline,
        )

    def _speaker(self, element: etree._Element) -> tuple[str, str, str]:
        from_ = _child(element, "from")
        printed = collapse_space("".join(from_.itertext())) if from_ is not None else ""
        name, role = name_and_role(printed)
        member_ref = ""
        by = element.get("by", "").strip().lstrip("#")
        if by:
            person = self.people.get(by)
            if person:
                name, member_ref = person
                if not role and printed and not name_and_role(printed)[0]:
                    role = printed
            else:
                self.warnings.append(
                    f'line {element.sourceline}: by="#{by}" names no TLCPerson in'
                    " <references>; the printed <from> is used"
                )
        as_ = element.get("as", "").strip().lstrip("#")
        if as_ and as_ in self.roles:
            role = self.roles[as_]
        return name, role, member_ref

    # -- meta and preface --------------------------------------------------------------

    def _references(self) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        people: dict[str, tuple[str, str]] = {}
        roles: dict[str, str] = {}
        meta = _child(self.debate, "meta")
        for element in meta.iter() if meta is not None else ():
            key = element.get("eId") or element.get("id")
            if not key:
                continue
            if local_name(element) == "TLCPerson":
                href = element.get("href", "")
                people[key] = (
                    collapse_space(element.get("showAs", "")),
                    f"akn-person:{href}" if href else "",
                )
            elif local_name(element) == "TLCRole":
                roles[key] = collapse_space(element.get("showAs", ""))
        return people, roles

    def _title(self) -> str:
        title = _find(self.debate, "docTitle")
        text = collapse_space("".join(title.itertext())) if title is not None else ""
        if text or self.metadata.title:
            return text or self.metadata.title
        # No docTitle: the record's own masthead ("NATIONAL ASSEMBLY", "OFFICIAL REPORT").
        preface = _child(self.debate, "preface")
        masthead = [
            collapse_space("".join(p.itertext()))
            for p in (preface if preface is not None else ())
            if local_name(p) == "p" and p.get("class") in {"heading", "subheading"}
        ]
        masthead = [line for line in masthead if line]
        if masthead:
            self.warnings.append(
                "the file has no <docTitle>: titled from its preface; give a title to replace it"
            )
        return " — ".join(line.title() if line.isupper() else line for line in masthead)

    def _date(self) -> datetime.date | None:
        doc_date = _find(self.debate, "docDate")
        if doc_date is not None and doc_date.get("date", "").strip():
            return _iso_date(doc_date.get("date", ""), line=doc_date.sourceline, where="docDate")
        frbr = self._frbr("FRBRWork", "FRBRdate", "date")
        if frbr:
            return _iso_date(frbr, line=None, where="FRBRWork/FRBRdate")
        return self.metadata.date

    def _frbr(self, level: str, name: str, attribute: str) -> str:
        meta = _child(self.debate, "meta")
        work = _find(meta, level) if meta is not None else None
        element = _child(work, name) if work is not None else None
        return element.get(attribute, "").strip() if element is not None else ""

    @staticmethod
    def _missing_message(missing: list[str]) -> str:
        said = {
            "title": "its <docTitle> is empty or absent",
            "date": "it has no <docDate date=...> and no FRBRdate",
        }
        how = " and ".join(f"the {what.capitalize()} field" for what in missing)
        options = " and ".join(f"--{what}" for what in missing)
        return (
            f"the file gives no {' and no '.join(missing)}: "
            + "; ".join(said[what] for what in missing)
            + f". Give it with {how} of the upload form, or {options} on the command"
        )


_BLOCKS = {"p", "li", "blockList", "table", "tr", "blockQuote", "embeddedStructure"}
_LISTS = {"ul", "ol", "blockList", "table", "tbody"}
_SKIPPED = {"from", "heading", "num", "subheading"}  # said elsewhere: speaker, heading


def _paragraphs(element: etree._Element, *, whole: bool = False) -> list[str]:
    """Paragraph texts of a speech: each <p>, each <li> of a list; text and inline elements
    between them (a <narrative>'s own text around <recordedTime>) run together as one."""
    if whole and local_name(element) not in _LISTS:
        return [collapse_space("".join(element.itertext()))]
    paragraphs: list[str] = []
    inline = [element.text or ""]
    for child in element:
        name = local_name(child)
        if name in _BLOCKS or name in _LISTS:
            paragraphs.append(collapse_space("".join(inline)))
            inline = []
            if name in _LISTS:
                paragraphs.extend(_paragraphs(child))
            else:
                paragraphs.append(collapse_space("".join(child.itertext())))
        elif name and name not in _SKIPPED:
            inline.append("".join(child.itertext()))
        inline.append(child.tail or "")
    paragraphs.append(collapse_space("".join(inline)))
    return [paragraph for paragraph in paragraphs if paragraph]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if local_name(c) == name), None)


def _find(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element.iter() if local_name(c) == name), None)


def _iso_date(value: str, *, line: int | None, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ParseError(
            f"{where} date {value!r} is not a date in the form YYYY-MM-DD", line=line
        ) from None

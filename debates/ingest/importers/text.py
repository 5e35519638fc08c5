"""Text helpers shared by the importers: decoding, whitespace and the clean-up of lines that
a sentence splitter broke after an abbreviation."""

import re

from ...choices import DebateKind
from .transcript import ParseError

# Abbreviations that never end a sentence in Hansard. A line ending in one of them was broken
# by a sentence splitter: "The hon." / "Gentleman makes a plea ..." is one sentence.
_BROKEN_AFTER = re.compile(r"(?:\b(?:hon|Hon|Mr|Mrs|Ms|Dr|Rt|St|Prof)\.)$")
_SPACES = re.compile(r"[ \t\u00a0\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" +([.,;:?!)\]])")


def decode(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); anything else is refused with the line."""
    if b"\x00" in raw[:8192]:
        raise ParseError("this looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # utf-8-sig reports offsets after the byte-order mark it skipped.
        offset = error.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:offset].count(b"\n") + 1
        raise ParseError(
            f"not valid UTF-8 (byte 0x{raw[offset]:02x}); save the file as UTF-8",
            line=line,
        ) from None


def split_lines(text: str) -> list[str]:
    """Lines as a reader counts them: at LF, CRLF or CR only (str.splitlines also breaks at
    form feeds and Unicode separators, which would put line numbers out of step)."""
    return re.split(r"\r\n|\r|\n", text)


def normalise_space(text: str) -> str:
    """One space between words, none before closing punctuation, none at the ends."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def collapse_space(text: str) -> str:
    """normalise_space, line breaks included: for text that wraps inside one paragraph (XML)."""
    return normalise_space(" ".join(text.split()))


# Titles of the chair, not names: "Mr. Speaker", "Madam Deputy Speaker", "The Chairman".
_PRESIDING = re.compile(
    r"^(?:Mr\.?|Madam|The)\s+(?:(?:First|Second|Third)\s+)?(?:Deputy\s+)?"
    r"(?:Speaker|Chairman|Chair|Chairman of Ways and Means)$"
)
# "The Secretary of State for Justice (Dominic Raab)": an office with the name in brackets.
_ROLE_AND_NAME = re.compile(r"^(?P<role>.+?)\s*\((?P<name>[^()]+)\)$")


def name_and_role(printed: str) -> tuple[str, str]:
    """(name, role) from a speaker as an XML record names them. Usually just the name; a
    chair's title ("Mr. Speaker") is a role; "The Office (Name)" is both."""
    printed = collapse_space(printed)
    if _PRESIDING.match(printed):
        return "", printed
    match = _ROLE_AND_NAME.match(printed)
    if match and (_PRESIDING.match(match["role"]) or match["role"].startswith("The ")):
        return match["name"].strip(), match["role"]
    return printed, ""


# How a debate's title or first words tell its kind (see transcript.DebateMetadata.kind).
_BILL = re.compile(r"\bbill(?:\s*\[(?:lords|hl)\])?$")


def kind_from(title: str, opening: str) -> str:
    """ "urgent-question", "point-of-order", "petition", "bill" (a debate on a bill: "Illegal
    Migration Bill", "Procurement Bill [Lords]"), or "" when nothing tells."""
    title = title.casefold().strip()
    if opening.startswith("(Urgent Question)"):
        return DebateKind.URGENT_QUESTION
    if title.startswith(("point of order", "points of order")):
        return DebateKind.POINT_OF_ORDER
    if title.startswith("petition"):
        return DebateKind.PETITION
    if _BILL.search(title):
        return DebateKind.BILL
    return ""


def ends_with_unfinished_abbreviation(line: str) -> bool:
    return bool(_BROKEN_AFTER.search(line))


def rejoin_broken_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join each line that ends with an abbreviation such as "hon." to the line after it.

    Takes and returns (line number, text) pairs; a joined sentence keeps the number of the
    line it starts on.
    """
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, text in lines:
        if pending is not None:
            number, text = pending[0], f"{pending[1]} {text}"
            pending = None
        if ends_with_unfinished_abbreviation(text):
            pending = (number, text)
        else:
            joined.append((number, text))
    if pending is not None:
        joined.append(pending)
    return joined


# Words that end with a full stop but not a sentence: "the hon. Member", "Mr. Speaker",
# "Standing Order No. 83D", "St. Helens", "p.m.", "i.e.". Compared case-sensitively where case
# tells them apart ("No." the number, not "no." ending a sentence: "I said no. Then").
_ABBREVIATIONS = frozenset(
    [
        "hon",
        "Hon",
        "Mr",
        "Mrs",
        "Ms",
        "Messrs",
        "Dr",
        "Rt",
        "rh",
        "St",
        "Prof",
        "Sir",
        "Rev",
        "Revd",
        "Col",
        "Gen",
        "Lt",
        "Capt",
        "Maj",
        "Cllr",
        "Gov",
        "No",
        "Nos",
        "no",
        "nos",
        "Art",
        "Arts",
        "Cl",
        "Sch",
        "Ch",
        "Vol",
        "Vols",
        "Co",
        "Cos",
        "Ltd",
        "Bros",
        "Ref",
        "ref",
        "cf",
        "viz",
        "vs",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "approx",
        "c",
        "ca",
        "etc",
    ]
)
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?\.?$")  # p.m. a.m. i.e. e.g. U.S. R.A.F.
# A sentence ends at . ? ! (and closing quotes or brackets after it) before a space and a
# word that can open a sentence.
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*\s+(?=[\"'“‘(\[]*[A-Z0-9£$€])")


def split_sentences(paragraph: str) -> tuple[str, ...]:
    """The sentences of one paragraph, in order; joined with spaces they give back the
    paragraph (whitespace normalised), so no word is lost or moved."""
    text = collapse_space(paragraph)
    if not text:
        return ()
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_with_abbreviation(text[start : match.start() + 1]):
            continue
        sentences.append(text[start : match.end()].rstrip())
        start = match.end()
    sentences.append(text[start:])
    return tuple(sentences)


def _ends_with_abbreviation(candidate: str) -> bool:
    if not candidate.endswith("."):
        return False
    word = candidate.rsplit(None, 1)[-1].lstrip("(\"'“‘[")
    bare = word[:-1]
    return (
        bare in _ABBREVIATIONS
        or (
            len(bare) == 1 and bare.isalpha() and bare.isupper()
        )  # an initial: "Stuart C. McDonald"
        or bool(_DOTTED.match(word))
    )


def unused_heading(line: int | None, heading: str) -> str:
    """The warning for a heading with no speech under it, which an importer leaves out."""
    return f"line {line}: the heading {heading!r} has no speech under it; skipped"

"""Choose the importer for a file by its content, never by its name.

XML is told apart by its root element (<publicwhip>: ParlParse; <akomaNtoso> in any Akoma
Ntoso namespace, or none: Akoma Ntoso); text by whether it has Hansard speaker lines
("Dominic Raab (Esher and Walton) (Con):" on a line of its own).
"""

import re

from . import akomantoso, hansard_text, parlparse, plaintext
from .text import split_lines
from .transcript import DebateMetadata, ParsedTranscript, ParseError

SUPPORTED = {
    parlparse.FORMAT: "ParlParse XML as TheyWorkForYou publishes it, root <publicwhip>",
    akomantoso.FORMAT: "Akoma Ntoso (OASIS LegalDocML) debate XML, root <akomaNtoso>",
    hansard_text.FORMAT: "Hansard-style text: headings and speaker lines ending in ':'",
    plaintext.FORMAT: "plain text, one sentence per line",
}
IMPORTERS = {
    parlparse.FORMAT: parlparse.parse,
    akomantoso.FORMAT: akomantoso.parse,
    hansard_text.FORMAT: hansard_text.parse,
    plaintext.FORMAT: plaintext.parse,
}
_ROOT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_SAMPLE = 256 * 1024  # enough text to meet the first speaker lines


def detect_format(raw: bytes) -> str:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ParseError("the file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _text_format(raw[:_SAMPLE].decode("utf-16", errors="replace"))
    if b"\x00" in raw[:8192]:
        raise ParseError(
            "this looks like a binary file (a PDF, Word document or image?), not a transcript;"
            f" {_supported()}"
        )
    if head.startswith(b"<"):
        return _xml_format(raw)
    return _text_format(raw[:_SAMPLE].decode("utf-8", errors="replace"))


def _xml_format(raw: bytes) -> str:
    # The root is the first element after the declaration, comments and DOCTYPE (whose
    # internal subset may be long: ParlParse declares its entities there).
    body = raw[: 1024 * 1024]
    doctype_end = body.find(b"]>") if b"<!DOCTYPE" in body[:4096] and b"[" in body else -1
    match = _ROOT.search(body, doctype_end + 2 if doctype_end >= 0 else 0)
    root = match[1].decode("ascii", "replace") if match else ""
    if root == "publicwhip":
        return parlparse.FORMAT
    if root == "akomaNtoso":
        return akomantoso.FORMAT
    raise ParseError(
        f"XML with the root element <{root or '?'}> is not a transcript format Chamber reads;"
        f" {_supported()}"
    )


def _text_format(text: str) -> str:
    lines = split_lines(text)
    for position, line in enumerate(lines):
        line = line.strip()
        following = lines[position + 1].strip() if position + 1 < len(lines) else ""
        if following and hansard_text.speaker_line(line) is not None:
            return hansard_text.FORMAT
    return plaintext.FORMAT


def parse(raw: bytes, *, metadata: DebateMetadata = DebateMetadata()) -> ParsedTranscript:
    fmt = detect_format(raw)
    return IMPORTERS[fmt](raw, metadata=metadata)


def _supported() -> str:
    return "supported formats: " + ", ".join(f"{name} ({what})" for name, what in SUPPORTED.items())

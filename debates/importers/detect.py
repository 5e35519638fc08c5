"""Choose the importer for a file by its content."""

from . import plaintext
from .transcript import DebateMetadata, ParsedTranscript, ParseError

SUPPORTED = {plaintext.FORMAT: "plain text, one sentence per line"}


def detect_format(raw: bytes) -> str:
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ParseError("the file is empty")
    if head.startswith(b"<"):
        raise ParseError(f"XML transcripts are not supported yet; {_supported()}")
    return plaintext.FORMAT


def parse(raw: bytes, *, metadata: DebateMetadata = DebateMetadata()) -> ParsedTranscript:
    fmt = detect_format(raw)
    if fmt == plaintext.FORMAT:
        return plaintext.parse(raw, metadata=metadata)
    raise ParseError(f"unknown format {fmt!r}; {_supported()}")  # pragma: no cover


def _supported() -> str:
    return "supported formats: " + ", ".join(f"{name} ({what})" for name, what in SUPPORTED.items())

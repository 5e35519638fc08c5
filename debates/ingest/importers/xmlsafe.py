"""Parsing XML from outside without trusting it: the one way the XML importers read bytes.

lxml (libxml2 2.14) is configured so that a file can only ever describe itself:

- ``resolve_entities="internal"``: entities declared in the document's own internal subset
  (ParlParse declares ``&ndash;``, ``&eacute;`` ... there) are expanded; external ones
  (``<!ENTITY x SYSTEM "file:///etc/passwd">`` or ``"http://..."``) are never fetched and are
  refused outright, before lxml sees the file, with a message that says so;
- ``load_dtd=False``, ``dtd_validation=False``, ``attribute_defaults=False``: an external
  DTD named in ``<!DOCTYPE ... SYSTEM "...">`` is not loaded;
- ``no_network=True``: nothing is fetched over the network, whatever else happens;
- ``huge_tree=False``: libxml2 keeps its limits on text node size and depth, and its
  entity amplification limit, so "billion laughs" fails at once (libxml2 raises "Maximum
  entity amplification factor exceeded");
- ``max_bytes``: a file larger than this is refused before parsing.
"""

import re

from lxml import etree

from .transcript import ParseError

MAX_BYTES = 50 * 1024 * 1024

# An external entity declaration in an internal subset: <!ENTITY name SYSTEM "...">,
# <!ENTITY % name PUBLIC "..." "...">.
_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?[^\s>]+\s+(?:SYSTEM|PUBLIC)\b")


def parse_xml(raw: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """The root element of `raw`, or a ParseError naming the line that is wrong."""
    if len(raw) > max_bytes:
        raise ParseError(
            f"the file is {len(raw):,} bytes; XML transcripts may be at most {max_bytes:,} bytes"
        )
    doctype_start, doctype = _doctype(raw)
    external = _EXTERNAL_ENTITY.search(doctype)
    if external:
        raise ParseError(
            "the file declares an external entity (SYSTEM or PUBLIC), which is never read;"
            " declare entities with their text in the file itself",
            line=raw[: doctype_start + external.start()].count(b"\n") + 1,
        )
    parser = etree.XMLParser(
        resolve_entities="internal",
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        # lxml ends its message with ", line N, column M": the line is given once, by ParseError.
        message = re.sub(r", line \d+, column \d+$", "", error.msg)
        raise ParseError(f"not well-formed XML: {message}", line=error.lineno or None) from None
    if root is None:  # pragma: no cover - lxml raises for an empty document
        raise ParseError("the file holds no XML element")
    return root


def _doctype(raw: bytes) -> tuple[int, bytes]:
    """Where the document type declaration starts, and it with its internal subset."""
    start = raw.find(b"<!DOCTYPE", 0, 4096)
    if start < 0:
        return 0, b""
    end = raw.find(b"]>", start)
    return start, raw[start : end + 2 if end >= 0 else start + 4096]


def local_name(element: etree._Element) -> str:
    """The tag without its namespace: "speech" for "{http://.../akn/3.0}speech"."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def text_of(element: etree._Element) -> str:
    """All the text inside `element`, inline elements (<i>, <phrase>) included, spaces
    normalised."""
    return " ".join("".join(element.itertext()).split())

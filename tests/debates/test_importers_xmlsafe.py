"""xmlsafe: XML from outside can describe itself and nothing else."""

import time

from django.test import SimpleTestCase

from debates.ingest.importers import detect
from debates.ingest.importers.transcript import ParseError
from debates.ingest.importers.xmlsafe import parse_xml, text_of


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    subset = "\n".join(entities)
    return f'<?xml version="1.0"?>\n<!DOCTYPE r [\n{subset}\n]>\n<r>&lol{levels - 1};</r>'.encode()


class XmlSafetyTests(SimpleTestCase):
    def test_internal_entities_are_expanded(self):
        raw = (
            b'<!DOCTYPE r [<!ENTITY ndash "&#8211;"><!ENTITY eacute "&#233;">]>'
            b"<r>a&ndash;b caf&eacute;</r>"
        )
        self.assertEqual(text_of(parse_xml(raw)), "a–b café")

    def test_an_external_file_entity_is_never_read(self):
        for target in ("file:///etc/passwd", "/etc/passwd", "http://127.0.0.1:9/secret"):
            raw = (
                f'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY x SYSTEM "{target}">\n]>'
                "<publicwhip>&x;</publicwhip>"
            ).encode()
            with self.subTest(target=target), self.assertRaises(ParseError) as caught:
                detect.parse(raw)
            self.assertIn("external entity", caught.exception.message)
            self.assertEqual(caught.exception.line, 3)
            self.assertNotIn("root:", str(caught.exception))

    def test_an_external_parameter_entity_is_never_read(self):
        raw = b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>'
        with self.assertRaisesMessage(ParseError, "external entity"):
            parse_xml(raw)

    def test_lxml_itself_does_not_resolve_external_entities(self):
        """Even past the pre-check (an entity declared after 4 KB of padding), lxml is
        configured not to read the file."""
        raw = (
            b"<?xml version='1.0'?>" + b" " * 5000 + b"<!DOCTYPE r [<!ENTITY x SYSTEM "
            b'"file:///etc/passwd">]><r>&x;</r>'
        )
        try:
            root = parse_xml(raw)
        except ParseError as error:
            self.assertNotIn("root:", str(error))
        else:
            self.assertNotIn("root:", text_of(root))

    def test_an_external_dtd_is_not_loaded(self):
        raw = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r>text</r>'
        self.assertEqual(text_of(parse_xml(raw)), "text")

    def test_billion_laughs_fails_fast_with_a_clear_error(self):
        started = time.perf_counter()
        with self.assertRaises(ParseError) as caught:
            parse_xml(billion_laughs())
        elapsed = time.perf_counter() - started
        self.assertIn("not well-formed XML", caught.exception.message)
        self.assertIn("amplification", caught.exception.message)
        # Not a benchmark (bench/importers.py reports the time): a guard against expanding
        # 10**9 copies, which would take minutes and gigabytes.
        self.assertLess(elapsed, 5)

    def test_size_limit(self):
        with self.assertRaisesMessage(ParseError, "at most 100 bytes"):
            parse_xml(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)

    def test_malformed_xml_names_the_line(self):
        with self.assertRaises(ParseError) as caught:
            parse_xml(b"<publicwhip>\n<speech>\n<p>text</speech>\n</publicwhip>")
        self.assertEqual(caught.exception.line, 3)
        self.assertIn("not well-formed XML", str(caught.exception))

    def test_truncated_xml_names_the_line(self):
        raw = b'<publicwhip>\n<speech id="uk.org.publicwhip/debate/2023-03-28d.1.1">\n<p>Half a'
        with self.assertRaises(ParseError) as caught:
            detect.parse(raw)
        self.assertEqual(caught.exception.line, 3)
        self.assertTrue(str(caught.exception).startswith("line 3: not well-formed XML"))

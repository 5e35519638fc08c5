"""Hansard-style text, cross-checked against ParlParse's markup of the same day."""

import datetime
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from debates.choices import SpeechKind
from debates.ingest.importers import detect, hansard_text, parlparse
from debates.ingest.importers.text import normalise_space
from debates.ingest.importers.transcript import DebateMetadata, ParseError

TRANSCRIPTS = Path(settings.BASE_DIR) / "fixtures" / "transcripts"
SAMPLE = TRANSCRIPTS / "hansard_text" / "hansard_style_commons_2023-03-28.txt"
SAME_DAY = TRANSCRIPTS / "parlparse" / "debates2023-03-28d.xml"


def parse(text: str, metadata: DebateMetadata = DebateMetadata()):
    return hansard_text.parse(text.encode(), metadata=metadata)


def speeches(parsed):
    return [speech for debate in parsed.debates for speech in debate.speeches]


class CrossCheckTests(SimpleTestCase):
    """The text and ParlParse's XML of 28 March 2023 are the same record: the importers must
    agree. (The text prints no divisions, so ParlParse's five division records are left out;
    it names the Speaker only as "Mr Speaker", where ParlParse gives his name.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.text = hansard_text.parse(SAMPLE.read_bytes())
        cls.xml = parlparse.parse(SAME_DAY.read_bytes())
        cls.xml_speeches = [s for s in speeches(cls.xml) if s.kind != SpeechKind.DIVISION]

    def test_same_speech_count(self):
        self.assertEqual(len(speeches(self.text)), 467)
        self.assertEqual(len(self.xml_speeches), 467)

    def test_same_speakers_in_the_same_order(self):
        chair_only = 0
        for text, xml in zip(speeches(self.text), self.xml_speeches, strict=True):
            with self.subTest(line=text.line, xml=xml.source_reference):
                if text.speaker_role == "Mr Speaker" and not text.speaker_name:
                    self.assertEqual(xml.speaker_name, "Lindsay Hoyle")
                    chair_only += 1
                else:
                    self.assertEqual(text.speaker_name, xml.speaker_name)
                self.assertEqual(text.kind, xml.kind)
        self.assertEqual(chair_only, 15)

    def test_same_words_in_each_speech(self):
        differ = []
        for text, xml in zip(speeches(self.text), self.xml_speeches, strict=True):
            if text.paragraphs != xml.paragraphs:
                differ.append(xml.source_reference)
        # The text leaves out the one <table> of the day (an amendment's two cells).
        self.assertEqual(differ, ["uk.org.publicwhip/debate/2023-03-28d.980.1"])

    def test_same_debates_and_sections(self):
        self.assertEqual(
            [(d.title, d.kind, len(d.speeches)) for d in self.text.debates],
            [
                (d.title, d.kind, len([s for s in d.speeches if s.kind != SpeechKind.DIVISION]))
                for d in self.xml.debates
            ],
        )
        self.assertEqual(
            [s.heading for s in speeches(self.text)], [s.heading for s in self.xml_speeches]
        )

    def test_date_and_house_from_the_top_lines(self):
        debate = self.text.debates[0]
        self.assertEqual((debate.date, debate.house), (datetime.date(2023, 3, 28), "commons"))

    def test_every_line_of_text_is_kept(self):
        kept = (
            {" ".join(paragraph) for s in speeches(self.text) for paragraph in s.paragraphs}
            | {d.title for d in self.text.debates}
            | {s.heading for s in speeches(self.text)}
        )
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()[2:]
        for number, line in enumerate(lines, start=3):
            line = normalise_space(line)
            if line and hansard_text.speaker_line(line) is None:
                with self.subTest(line=number):
                    self.assertIn(line, kept)


class SpeakerLineTests(SimpleTestCase):
    def test_speaker_line_shapes(self):
        for line, expected in [
            (
                "Dominic Raab (Esher and Walton) (Con):",
                ("Dominic Raab", "", "Esher and Walton", "Con"),
            ),
            (
                "Stella Creasy (Walthamstow) (Lab/Co-op):",
                ("Stella Creasy", "", "Walthamstow", "Lab/Co-op"),
            ),
            ("Jamie Wallis (Bridgend):", ("Jamie Wallis", "", "Bridgend", "")),
            (
                "The Secretary of State for Justice (Dominic Raab):",
                ("Dominic Raab", "The Secretary of State for Justice", "", ""),
            ),
            (
                "The Minister of State, Foreign, Commonwealth and Development Office"
                " (Mr Andrew Mitchell):",
                (
                    "Andrew Mitchell",
                    "The Minister of State, Foreign, Commonwealth and Development Office",
                    "",
                    "",
                ),
            ),
            ("Mr Speaker:", ("", "Mr Speaker", "", "")),
            (
                "Madam Deputy Speaker (Dame Rosie Winterton):",
                ("Dame Rosie Winterton", "Madam Deputy Speaker", "", ""),
            ),
            ("Hon. Members:", ("Hon. Members", "", "", "")),
            ("Mr Raab:", ("Mr Raab", "", "", "")),
        ]:
            with self.subTest(line=line):
                speaker = hansard_text.speaker_line(line)
                self.assertEqual(
                    (speaker.name, speaker.role, speaker.constituency, speaker.party), expected
                )

    def test_a_sentence_ending_in_a_colon_is_not_a_speaker_line(self):
        for line in [
            "The petition states:",
            "The UNHCR has said:",
            "The Minister said:",
            "and it sets all the alarm bells ringing. Subsection (4) states:",
            "With this it will be convenient to discuss the following:",
            "Hamas:",
            "Scotland’s Children and Young People’s Commissioner, Bruce Adamson, has said:",
        ]:
            with self.subTest(line=line):
                self.assertIsNone(hansard_text.speaker_line(line))


TEXT = """Title: Justice questions
Date: 2023-03-28
House: Commons

Dominic Raab (Esher and Walton) (Con):
The Government are taking a zero-tolerance approach.

Neil O'Brien (Harborough) (Con):
A question from the hon. Member.

Mr Raab:
An answer.

Mr O’Brien:
Thank you.

The Secretary of State for Justice (Dominic Raab):
More.
"""


class RepeatSpeakerTests(SimpleTestCase):
    def test_repeat_speakers_get_the_full_name(self):
        parsed = parse(TEXT)
        found = [
            (s.speaker_name, s.speaker_role, s.speaker_constituency, s.speaker_party)
            for s in speeches(parsed)
        ]
        self.assertEqual(
            found[2:],
            [
                ("Dominic Raab", "", "Esher and Walton", "Con"),
                ("Neil O'Brien", "", "Harborough", "Con"),
                ("Dominic Raab", "The Secretary of State for Justice", "Esher and Walton", "Con"),
            ],
        )
        debate = parsed.debates[0]
        self.assertEqual(
            (debate.title, debate.date, debate.house),
            ("Justice questions", datetime.date(2023, 3, 28), "commons"),
        )

    def test_unknown_repeat_speaker_is_kept_as_printed_with_a_warning(self):
        parsed = parse(
            "Mr Nobody:\nWords.\n", DebateMetadata(title="T", date=datetime.date(2024, 1, 1))
        )
        self.assertEqual(speeches(parsed)[0].speaker_name, "Mr Nobody")
        self.assertIn("not named in full earlier", parsed.warnings[0])

    def test_line_numbers(self):
        lines = [s.line for s in speeches(parse(TEXT))]
        self.assertEqual(lines, [5, 8, 11, 14, 17])


class HansardTextErrorTests(SimpleTestCase):
    def test_missing_date_says_how_to_give_it(self):
        with self.assertRaisesMessage(ParseError, "add a line 'Date: 2023-03-28'"):
            parse("Heading\n\nA B (C) (Lab):\nWords.\n")

    def test_metadata_fills_what_the_file_does_not_say(self):
        metadata = DebateMetadata(title="Given", date=datetime.date(2024, 1, 2), house="lords")
        debate = parse("A B (C) (Lab):\nWords.\n", metadata).debates[0]
        self.assertEqual(
            (debate.title, debate.date, debate.house), ("Given", datetime.date(2024, 1, 2), "lords")
        )

    def test_file_wins_over_metadata(self):
        metadata = DebateMetadata(title="Given", date=datetime.date(2024, 1, 2))
        debate = parse(TEXT, metadata).debates[0]
        self.assertEqual(
            (debate.title, debate.date), ("Justice questions", datetime.date(2023, 3, 28))
        )

    def test_bad_header_values_name_the_line(self):
        for text, line, message in [
            ("Date: 2023-02-30\n\nA B (C) (Lab):\nW.\n", 1, "is not a date"),
            (
                "Date: 2023-03-28\nHouse: Senate\n\nA B (C) (Lab):\nW.\n",
                2,
                "unknown house 'Senate'",
            ),
        ]:
            with self.subTest(message=message), self.assertRaises(ParseError) as caught:
                parse(text)
            self.assertEqual(caught.exception.line, line)
            self.assertIn(message, caught.exception.message)

    def test_speaker_line_with_no_speech(self):
        with self.assertRaises(ParseError) as caught:
            parse("Date: 2023-03-28\nTitle: T\n\nA B (C) (Lab):\n\nMore.\n")
        self.assertEqual(caught.exception.line, 4)

    def test_a_speaker_line_at_the_very_end_is_skipped_with_a_warning(self):
        parsed = parse("Date: 2023-03-28\nTitle: T\n\nA B (C) (Lab):\nWords.\n\nC D (E) (Con):\n")
        self.assertEqual(parsed.speech_count, 1)
        self.assertIn("line 7: the file ends after the speaker line", parsed.warnings[0])

    def test_upload_excerpt(self):
        raw = (TRANSCRIPTS / "uploads" / "hansard_commons_2023-03-28_justice.txt").read_bytes()
        parsed = detect.parse(raw)
        self.assertEqual([len(d.speeches) for d in parsed.debates], [1, 5])
        self.assertEqual(parsed.warnings, ())
        self.assertEqual(parsed.debates[1].kind, "oral-questions")

    def test_non_utf8_is_refused_with_line_and_byte(self):
        with self.assertRaises(ParseError) as caught:
            hansard_text.parse(b"Date: 2023-03-28\nA B (C) (Lab):\nCaf\xe9.\n")
        self.assertEqual(caught.exception.line, 3)
        self.assertIn("0xe9", caught.exception.message)

    def test_utf16_with_a_byte_order_mark_is_read_with_a_warning(self):
        parsed = detect.parse(TEXT.encode("utf-16"))
        self.assertEqual(parsed.format, "hansard-text")
        self.assertEqual(parsed, parsed.__class__(**{**parsed.__dict__}))
        self.assertIn("encoding guessed from the byte-order mark", parsed.warnings[0])
        self.assertEqual(speeches(parsed)[0].speaker_name, "Dominic Raab")


class DetectTests(SimpleTestCase):
    def test_formats_by_content(self):
        self.assertEqual(detect.detect_format(SAMPLE.read_bytes()), "hansard-text")
        self.assertEqual(detect.detect_format(SAME_DAY.read_bytes()), "parlparse")
        self.assertEqual(
            detect.detect_format(
                (TRANSCRIPTS / "parlparse" / "debates2009-10-26b.xml").read_bytes()
            ),
            "parlparse",
        )
        for path in (TRANSCRIPTS / "akomantoso").glob("*.xml"):
            with self.subTest(path=path.name):
                self.assertEqual(detect.detect_format(path.read_bytes()), "akomantoso")
        self.assertEqual(
            detect.detect_format(b"One sentence.\nThe Minister said:\nYes.\n"), "plaintext"
        )

    def test_supported_lists_all_four(self):
        self.assertEqual(
            set(detect.SUPPORTED), {"parlparse", "akomantoso", "hansard-text", "plaintext"}
        )

    def test_binary_and_empty(self):
        with self.assertRaisesMessage(ParseError, "binary"):
            detect.parse(b"%PDF-1.7\n\x00\x01")
        with self.assertRaisesMessage(ParseError, "the file is empty"):
            detect.parse(b"")

"""ParlParse XML: debates by major heading, speakers by person or member id, divisions."""

import datetime
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase
from lxml import etree

from debates.choices import SpeechKind
from debates.ingest.importers import detect, parlparse
from debates.ingest.importers.text import collapse_space
from debates.ingest.importers.transcript import ParseError

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "parlparse"
# More versions of 27 and 28 October 2009, kept out of SAMPLES so they get no golden files.
VERSIONS = SAMPLES / "versions"


def parse_sample(name: str):
    return parlparse.parse((SAMPLES / name).read_bytes())


def speeches(parsed):
    return [speech for debate in parsed.debates for speech in debate.speeches]


class ParlParse2023Tests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.parsed = parse_sample("debates2023-03-28d.xml")

    def test_identity(self):
        self.assertEqual(self.parsed.format, "parlparse")
        self.assertEqual(self.parsed.series, "parlparse:debate:2023-03-28")
        self.assertEqual(self.parsed.version, "d")
        for debate in self.parsed.debates:
            self.assertEqual((debate.date, debate.house), (datetime.date(2023, 3, 28), "commons"))

    def test_every_speech_and_division_is_kept(self):
        kinds = [speech.kind for speech in speeches(self.parsed)]
        self.assertEqual(kinds.count(SpeechKind.DIVISION), 5)
        self.assertEqual(len(kinds) - kinds.count(SpeechKind.DIVISION), 467)

    def test_debates_are_the_major_headings_with_speeches(self):
        self.assertEqual(
            [(debate.title, debate.kind) for debate in self.parsed.debates],
            [
                ("Business Before Questions", "debate"),
                ("Justice", "oral-questions"),
                ("Strip Searching of Children", "urgent-question"),
                ("Afghan Resettlement Update", "debate"),
                ("Bill Presented", "debate"),
                ("Bus Services (Consultation)", "debate"),
                ("Illegal Migration Bill", "bill"),
                ("Delegated Legislation", "debate"),
                ("Home Affairs", "debate"),
                ("Justice", "debate"),
                ("Petition - Anglian Water", "petition"),
                (
                    "Pro-Innovation Regulation of Technologies Review and the Computer Misuse"
                    " Act 1990",
                    "debate",
                ),
            ],
        )
        self.assertEqual(
            self.parsed.debates[1].source_reference, "uk.org.publicwhip/debate/2023-03-28d.809.4"
        )
        self.assertIn(
            "'Business without Debate' has no speech under it", " ".join(self.parsed.warnings)
        )

    def test_minor_heading_is_the_heading_of_the_next_speech(self):
        justice = self.parsed.debates[1].speeches
        self.assertEqual(justice[0].sentences, ("The Secretary of State was asked—",))
        self.assertEqual(justice[0].kind, SpeechKind.NARRATIVE)
        self.assertEqual(justice[1].heading, "Violence against Women and Girls")
        self.assertEqual(justice[2].heading, "")

    def test_speaker_by_person_id(self):
        speech = self.parsed.debates[1].speeches[1]
        self.assertEqual(speech.speaker_name, "Andrew Western")
        self.assertEqual(speech.member_ref, "parlparse-person:uk.org.publicwhip/person/26120")
        self.assertEqual(speech.source_reference, "uk.org.publicwhip/debate/2023-03-28d.809.7")
        self.assertGreater(speech.line, 1)

    def test_inline_elements_are_part_of_the_paragraph(self):
        first = self.parsed.debates[0].speeches[0]
        self.assertIn("dated 28 March 2023, in respect of a painting", first.paragraphs[1][0])

    def test_division_gives_number_time_counts_and_tellers(self):
        division = next(s for s in speeches(self.parsed) if s.kind == SpeechKind.DIVISION)
        self.assertEqual(
            division.paragraphs,
            (
                ("Division No. 203 at 19:30.",),
                ("Ayes 242, Noes 309.",),
                ("Tellers for the Ayes: Marion Fellows and Gavin Newlands.",),
                ("Tellers for the Noes: Julie Marson and Mike Wood.",),
            ),
        )
        self.assertNotIn("Diane Abbott", " ".join(division.sentences))

    def test_table_rows_are_paragraphs(self):
        speech = next(s for s in speeches(self.parsed) if s.source_reference.endswith("d.980.1"))
        self.assertEqual(speech.paragraphs[1], ("“immigration officer section 7(12)”",))

    def test_round_trip_keeps_every_paragraph_and_word(self):
        root = etree.parse(str(SAMPLES / "debates2023-03-28d.xml")).getroot()
        source = {
            element.get("id"): [
                collapse_space("".join(p.itertext())) for p in element if p.tag == "p"
            ]
            for element in root
            if element.tag == "speech"
        }
        for speech in speeches(self.parsed):
            if speech.kind == SpeechKind.DIVISION:
                continue
            with self.subTest(id=speech.source_reference):
                joined = [" ".join(paragraph) for paragraph in speech.paragraphs]
                # table rows are extra paragraphs; every <p> is there, in order
                self.assertEqual(
                    [p for p in joined if p in source[speech.source_reference]],
                    source[speech.source_reference],
                )
                for sentence in speech.sentences:
                    self.assertNotIn("\n", sentence)
                    self.assertEqual(sentence, sentence.strip())


class ParlParse2009Tests(SimpleTestCase):
    def test_member_ids_and_unknown_speakers(self):
        parsed = parse_sample("debates2009-10-26b.xml")
        all_speeches = speeches(parsed)
        hillier = next(s for s in all_speeches if s.speaker_name == "Meg Hillier")
        self.assertEqual(hillier.member_ref, "parlparse-member:uk.org.publicwhip/member/1605")
        unknown = next(s for s in all_speeches if s.source_reference.endswith("b.130.4"))
        self.assertEqual((unknown.speaker_name, unknown.member_ref), ("Hon. Members", ""))

    def test_speaker_title_is_a_role(self):
        speaker = next(
            s
            for s in speeches(parse_sample("debates2009-10-26b.xml"))
            if s.speaker_role == "Mr. Speaker"
        )
        self.assertEqual(speaker.speaker_name, "")
        self.assertEqual(speaker.member_ref, "parlparse-member:uk.org.publicwhip/member/40031")

    def test_speakeroffice_is_the_role(self):
        campbell = next(
            s
            for s in speeches(parse_sample("debates2009-10-26a.xml"))
            if s.speaker_name == "Alan Campbell"
        )
        self.assertEqual(
            campbell.speaker_role,
            "The Parliamentary Under-Secretary of State for the Home Department",
        )

    def test_dtd_entities_and_latin1_decode(self):
        text = " ".join(
            s
            for speech in speeches(parse_sample("debates2009-10-26a.xml"))
            for s in speech.sentences
        )
        self.assertIn("The £5 million small retailers capital grants fund", text)
        self.assertIn("raisons d'être", text)
        self.assertIn("Animals in Research—NC3Rs—to reduce", text)
        self.assertNotRegex(text, r"&[a-z]+;")  # no entity left unexpanded

    def test_version_from_scrapeversion_and_nospeaker_narrative(self):
        parsed = parse_sample("debates2009-10-26b.xml")
        self.assertEqual((parsed.series, parsed.version), ("parlparse:debate:2009-10-26", "b"))
        first = parsed.debates[0].speeches[0]
        self.assertEqual(
            (first.kind, first.heading), (SpeechKind.NARRATIVE, "Committee of Selection")
        )
        self.assertEqual(first.sentences[0], "Ordered,")

    def test_speeches_before_any_heading_are_kept(self):
        parsed = parse_sample("debates2009-10-26a.xml")
        self.assertEqual(parsed.debates[0].title, "Proceedings of 26 October 2009")
        self.assertEqual(parsed.speech_count, 173)
        self.assertIn("173 speeches come before any heading", " ".join(parsed.warnings))
        self.assertIn("519 <gidredirect>", " ".join(parsed.warnings))

    def test_file_without_speeches_is_refused(self):
        with self.assertRaisesMessage(ParseError, "the file holds no speeches"):
            parse_sample("debates2009-10-27c.xml")

    def test_oral_questions_end_at_the_first_debate_not_asked(self):
        parsed = parse_sample("debates2009-10-26b.xml")
        self.assertEqual(
            [d.kind for d in parsed.debates[:3]], ["debate", "oral-questions", "debate"]
        )

    def test_house_by_id_prefix(self):
        for prefix, house in [("westminhall", "westminster-hall"), ("lords", "lords")]:
            raw = (
                f'<publicwhip><major-heading id="uk.org.publicwhip/{prefix}/2023-03-28a.1.0">T'
                f'</major-heading><speech id="uk.org.publicwhip/{prefix}/2023-03-28a.1.1"'
                ' speakername="A B"><p>Words.</p></speech></publicwhip>'
            ).encode()
            with self.subTest(prefix=prefix):
                parsed = detect.parse(raw)
                self.assertEqual(parsed.debates[0].house, house)
                self.assertEqual(parsed.version, "a")
                self.assertEqual(parsed.series, f"parlparse:{prefix}:2023-03-28")

    def test_wrong_root_is_refused(self):
        with self.assertRaisesMessage(ParseError, "root element <publicwhip>"):
            parlparse.parse(b"<debates/>")


class EveryDayFileTests(SimpleTestCase):
    def test_every_day_file_parses_or_fails_clearly(self):
        files = sorted([*SAMPLES.glob("*.xml"), *VERSIONS.glob("*.xml")], key=lambda p: p.name)
        self.assertEqual(len(files), 10)
        refused = []
        for path in files:
            with self.subTest(file=path.name):
                try:
                    parsed = detect.parse(path.read_bytes())
                except ParseError as error:
                    self.assertIn("holds no speeches", error.message)
                    refused.append(path.name)
                    continue
                self.assertEqual(parsed.format, "parlparse")
                self.assertTrue(parsed.series.endswith(path.name[7:17]))
                self.assertEqual(parsed.version, path.name[17])
                self.assertGreater(parsed.speech_count, 0)
        self.assertEqual(refused, ["debates2009-10-27c.xml", "debates2009-10-28b.xml"])

"""Akoma Ntoso: one file, one debate; every edge-case sample parses or fails clearly."""

import datetime
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from debates.choices import SpeechKind
from debates.ingest.importers import akomantoso, detect
from debates.ingest.importers.transcript import DebateMetadata, ParseError

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "akomantoso"
GIVEN = DebateMetadata(title="Given title", date=datetime.date(2024, 1, 10))


def parse(name: str, metadata: DebateMetadata = DebateMetadata()):
    return akomantoso.parse((SAMPLES / name).read_bytes(), metadata=metadata)


class BungeniTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.debate = parse("Debate_Bungeni_1995-10-31.xml", GIVEN).debates[0]

    def test_no_doc_title_is_titled_from_the_preface_with_a_warning(self):
        parsed = parse("Debate_Bungeni_1995-10-31.xml")
        self.assertEqual(parsed.debates[0].title, "National Assembly — Official Report")
        self.assertIn("titled from its preface", parsed.warnings[-1])

    def test_date_from_doc_date_wins_over_metadata(self):
        self.assertEqual(self.debate.date, datetime.date(1995, 10, 31))
        self.assertEqual(self.debate.title, "Given title")
        self.assertEqual(self.debate.source_reference, "/ak/debaterecord/1995-10-31/main")

    def test_by_resolves_through_tlcperson_and_as_through_tlcrole(self):
        speaker = next(s for s in self.debate.speeches if s.speaker_name == "Mr Smith")
        self.assertEqual(speaker.speaker_role, "Mr. Speaker")
        self.assertEqual(speaker.member_ref, "akn-person:/ontology/person/akn/parliament/JohnSmith")
        answer = next(s for s in self.debate.speeches if s.speaker_name == "Mr. Cameroon")
        self.assertEqual(answer.speaker_role, "Minister of State, Office of the President")

    def test_questions_answers_narrative_and_scene(self):
        kinds = [(s.kind, s.speaker_name) for s in self.debate.speeches]
        self.assertEqual(kinds[0], (SpeechKind.NARRATIVE, ""))  # the scene
        self.assertIn((SpeechKind.SPEECH, "Mr. Adam"), kinds)  # a question
        question = next(s for s in self.debate.speeches if s.speaker_name == "Mr. Adam")
        self.assertEqual(len(question.paragraphs), 4)  # the <p> and each <li>
        self.assertEqual(question.heading, "ORAL ANSWERS TO QUESTIONS — BANDITRY MENACE IN GALOLE")

    def test_narrative_text_around_inline_elements_is_one_paragraph(self):
        last = self.debate.speeches[-1]
        self.assertEqual(
            last.paragraphs,
            (("At 6:30 pm the House stood adjourned until 1st November, 1995 at 9.00 a.m.",),),
        )

    def test_heading_with_nothing_under_it_is_warned(self):
        parsed = parse("Debate_Bungeni_1995-10-31.xml", GIVEN)
        self.assertIn("'PRAYERS' has no speech under it", " ".join(parsed.warnings))


class EdgeCaseTests(SimpleTestCase):
    def test_blank_speakers(self):
        speeches = parse("test_blank_speakers.xml", GIVEN).debates[0].speeches
        self.assertEqual(
            [(s.speaker_name, bool(s.member_ref)) for s in speeches],
            [("", False), ("Speaker", True), ("Speaker", False), ("Speaker", True)],
        )

    def test_no_title_and_no_date_say_what_to_give(self):
        for name in ("test_blank_speakers.xml", "test_unicode_character.xml"):
            with self.subTest(name=name), self.assertRaises(ParseError) as caught:
                parse(name)
            message = caught.exception.message
            self.assertIn("the file gives no title and no date", message)
            self.assertIn("Title field and the Date field of the upload form", message)
            self.assertIn("--title and --date", message)

    def test_empty_title_takes_the_metadata_title(self):
        with self.assertRaisesMessage(ParseError, "its <docTitle> is empty or absent"):
            parse("test_empty_title.xml")
        debate = parse("test_empty_title.xml", GIVEN).debates[0]
        self.assertEqual((debate.title, debate.date), ("Given title", datetime.date(2014, 7, 24)))
        self.assertEqual([s.heading for s in debate.speeches], ["", "", "Conclusions"])

    def test_empty_body_is_refused(self):
        with self.assertRaisesMessage(ParseError, "the file holds no speeches"):
            parse("test_empty_docDate.xml", GIVEN)

    def test_unicode(self):
        speech = parse("test_unicode_character.xml", GIVEN).debates[0].speeches[0]
        self.assertEqual(speech.sentences, ("£1,000,000 is thrown into the air",))
        self.assertEqual(speech.kind, SpeechKind.NARRATIVE)

    def test_speech_directly_in_the_body(self):
        debate = parse("test_xpath.xml").debates[0]
        self.assertEqual(
            (debate.title, debate.date), ("This is the title", datetime.date(2014, 7, 24))
        )
        self.assertEqual(debate.speeches[0].sentences, ("Hello",))


class NamespaceTests(SimpleTestCase):
    def test_akoma_ntoso_3_0(self):
        raw = b"""<?xml version="1.0"?>
<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><debate name="hansard">
<meta><identification source="#x"><FRBRWork><FRBRthis value="/akn/uk/debate/2023-03-28/1"/>
<FRBRdate date="2023-03-28" name="sitting"/></FRBRWork></identification>
<references source="#x">
<TLCPerson eId="raab" href="/person/24815" showAs="Dominic Raab"/>
</references>
</meta>
<preface><docTitle>Justice</docTitle></preface>
<debateBody><debateSection eId="s1"><heading>Legal Aid</heading>
<speech by="#raab" eId="sp1"><from>Mr Raab</from><p>An answer. Mr. Speaker agrees.</p></speech>
</debateSection></debateBody></debate></akomaNtoso>"""
        self.assertEqual(detect.detect_format(raw), "akomantoso")
        debate = detect.parse(raw).debates[0]
        self.assertEqual((debate.title, debate.date), ("Justice", datetime.date(2023, 3, 28)))
        speech = debate.speeches[0]
        self.assertEqual(
            (speech.speaker_name, speech.member_ref, speech.heading, speech.source_reference),
            ("Dominic Raab", "akn-person:/person/24815", "Legal Aid", "sp1"),
        )
        self.assertEqual(speech.sentences, ("An answer.", "Mr. Speaker agrees."))

    def test_not_a_debate(self):
        raw = b'<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act/></akomaNtoso>'
        with self.assertRaisesMessage(ParseError, "a debate record is an <akomaNtoso><debate>"):
            detect.parse(raw)

"""The vocabulary is defined once (debates.choices): the models take it as their fields'
choices, and what the importers write stays within it."""

import datetime
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

from debates.choices import TITLES, DebateKind, House, IdentifierScheme, SpeechKind
from debates.ingest.importers import detect, member_lists, parlparse
from debates.ingest.importers.transcript import DebateMetadata, ParseError
from debates.ingest.speakers import name_key
from debates.models import Debate, Member, MemberIdentifier, Speech
from debates.words import plural, size

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


class ModelChoicesTests(SimpleTestCase):
    def test_each_field_offers_exactly_its_vocabulary(self):
        fields = [
            (Debate, "house", House),
            (Member, "house", House),
            (Debate, "kind", DebateKind),
            (Speech, "kind", SpeechKind),
            (MemberIdentifier, "scheme", IdentifierScheme),
        ]
        for model, name, choices in fields:
            with self.subTest(field=f"{model.__name__}.{name}"):
                field = model._meta.get_field(name)
                self.assertEqual(list(field.choices), choices.choices)
                self.assertLessEqual(max(map(len, choices.values)), field.max_length)

    def test_a_speech_of_each_kind_shows_its_label(self):
        for kind in SpeechKind:
            with self.subTest(kind=kind):
                self.assertEqual(Speech(kind=kind).get_kind_display(), kind.label)


class ImportersStayWithinTheVocabularyTests(SimpleTestCase):
    """Every sample transcript and member list parses to values the models accept."""

    def test_every_sample_transcript(self):
        samples = sorted((FIXTURES / "transcripts").rglob("*.xml"))
        samples += sorted((FIXTURES / "transcripts").rglob("*.txt"))
        samples += sorted((FIXTURES / "seeds").glob("*.txt"))
        self.assertGreaterEqual(len(samples), 12)
        given = DebateMetadata(title="A debate", date=datetime.date(2024, 3, 26))
        parsed_count = 0
        for path in samples:
            with self.subTest(sample=path.name):
                try:
                    parsed = detect.parse(path.read_bytes(), metadata=given)
                except ParseError:
                    continue  # the edge cases that are refused are tested elsewhere
                parsed_count += 1
                for debate in parsed.debates:
                    self.assertIn(debate.house, House.values)
                    self.assertIn(debate.kind, DebateKind.values)
                    self.assertTrue({s.kind for s in debate.speeches} <= set(SpeechKind.values))
        self.assertGreaterEqual(parsed_count, 10)

    def test_every_member_list(self):
        lists = [p for p in sorted((FIXTURES / "members").iterdir()) if p.suffix != ".gz"]
        self.assertGreaterEqual(len(lists), 4)
        for path in lists:
            with self.subTest(members=path.name):
                parsed = member_lists.parse(path.read_bytes())
                members = parsed.members
                self.assertTrue(members or parsed.people)
                for member in members:
                    self.assertIn(member.house, House.values)
                    for identifier in member.identifiers:
                        self.assertIn(identifier.scheme, IdentifierScheme.values)


class ImporterConstantsTests(SimpleTestCase):
    """The importers' own tables of source names map into the vocabulary."""

    def test_the_tables_name_only_values_the_models_accept(self):
        self.assertLessEqual(set(parlparse.HOUSES.values()), set(House.values))
        self.assertLessEqual(
            set(member_lists.POPOLO_SCHEMES.values()), set(IdentifierScheme.values)
        )

    def test_speaker_ids_in_transcripts_use_a_scheme_members_are_stored_under(self):
        schemes = set()
        for name in ("debates2009-10-26b.xml", "debates2023-03-28d.xml"):  # speakerid, person_id
            day = FIXTURES / "transcripts" / "parlparse" / name
            schemes |= {
                speech.member_ref.split(":", 1)[0]
                for debate in detect.parse(day.read_bytes()).debates
                for speech in debate.speeches
                if speech.member_ref
            }
        self.assertEqual(schemes, {"parlparse-member", "parlparse-person"})
        self.assertLessEqual(schemes, set(IdentifierScheme.values))


class HouseNamesTests(SimpleTestCase):
    def test_the_names_sources_and_readers_give(self):
        for name, house in [
            ("commons", House.COMMONS),
            ("House of Commons", House.COMMONS),
            ("HC", House.COMMONS),
            ("house of lords", House.LORDS),
            ("HL", House.LORDS),
            ("westminster-hall", House.WESTMINSTER_HALL),
            ("Westminster  Hall", House.WESTMINSTER_HALL),
            ("other", House.OTHER),
        ]:
            with self.subTest(name=name):
                self.assertEqual(House.named(name), house)
        self.assertIsNone(House.named("Senate"))

    def test_labels_and_citations(self):
        self.assertEqual(House.label_of("lords"), "House of Lords")
        self.assertEqual(House.label_of("senate"), "senate")  # not ours: shown as it is
        self.assertEqual(House.COMMONS.citation_prefix, "HC")
        self.assertEqual(House.OTHER.citation_prefix, "")
        self.assertEqual(House.COMMONS, "commons")  # a StrEnum: compares as its value

    def test_titles_are_left_out_of_names_compared(self):
        self.assertIn("sir", TITLES)
        self.assertEqual(name_key("The Rt Hon. Sir Keir Starmer"), "keir starmer")
        self.assertEqual(name_key("Mr Raab"), "raab")


class WordsTests(SimpleTestCase):
    def test_plural(self):
        self.assertEqual(plural(1, "speech"), "1 speech")
        self.assertEqual(plural(2431, "speech"), "2,431 speeches")
        self.assertEqual(plural(0, "debate"), "0 debates")

    def test_size(self):
        self.assertEqual(size(240), "240 bytes")
        self.assertEqual(size(12_500), "12.5 kB")
        self.assertEqual(size(20_000_000), "20.0 MB")

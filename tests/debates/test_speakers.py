import datetime

from django.test import TestCase

from debates.ingest import speakers
from debates.ingest.importers.transcript import ParsedDebate, ParsedSpeech, ParsedTranscript
from debates.models import MemberIdentifier
from tests.factories import make_member


class ResolveByIdTests(TestCase):
    def test_speakers_resolve_to_members_by_the_id_the_source_gives(self):
        member = make_member(name="Andrew Mitchell")
        MemberIdentifier.objects.create(
            member=member, scheme="parlparse-person", value="uk.org.publicwhip/person/10427"
        )
        parsed = ParsedTranscript(
            format="test",
            debates=(
                ParsedDebate(
                    title="Resolved",
                    date=datetime.date(2024, 3, 26),
                    house="commons",
                    kind="statement",
                    speeches=(
                        ParsedSpeech(
                            paragraphs=(("Known.",),),
                            speaker_name="Mr Andrew Mitchell",
                            member_ref="parlparse-person:uk.org.publicwhip/person/10427",
                        ),
                        ParsedSpeech(
                            paragraphs=(("Unknown.",),),
                            speaker_name="Someone Else",
                            member_ref="parlparse-person:uk.org.publicwhip/person/99999",
                        ),
                        ParsedSpeech(
                            paragraphs=(("Same value, other scheme.",),),
                            member_ref="mnis:uk.org.publicwhip/person/10427",
                        ),
                    ),
                ),
            ),
        )
        self.assertEqual(speakers.resolve(parsed.debates), [[member.id, None, None]])


def debate(*speeches, date=datetime.date(2023, 3, 28), house="commons"):
    return ParsedDebate(
        title="A debate", date=date, house=house, kind="debate", speeches=tuple(speeches)
    )


def speech(name="", constituency="", ref=""):
    return ParsedSpeech(
        paragraphs=(("Text.",),),
        speaker_name=name,
        speaker_constituency=constituency,
        member_ref=ref,
    )


class ResolveByNameTests(TestCase):
    def test_name_and_constituency_as_printed_ignoring_case_apostrophes_titles_and_ampersands(
        self,
    ):
        ryan = make_member(name="Stephen O’Brien", constituency="Hackney North & Stoke Newington")
        make_member(name="Stephen O'Brien", constituency="Eddisbury")
        parsed = debate(speech("Mr Stephen O'Brien", "hackney north and stoke newington"))
        unknown_seat = debate(speech("Stephen O'Brien", "Elsewhere"))  # two of that name serve
        self.assertEqual(speakers.resolve([parsed, unknown_seat]), [[ryan.id], [None]])

    def test_name_alone_among_members_serving_in_the_house_on_the_day(self):
        raab = make_member(name="Dominic Raab", start_date=datetime.date(2010, 5, 6))
        make_member(name="Dominic Raab", end_date=datetime.date(2001, 1, 1))  # gone by then
        make_member(name="Dominic Raab", house="lords")  # another house
        lone = make_member(name="Jim Shannon")
        parsed = debate(speech("Dr Dominic Raab"), speech("Mr Shannon"), speech("Ms Nobody"))
        self.assertEqual(speakers.resolve([parsed]), [[raab.id, lone.id, None]])
        in_hall = debate(speech("Dominic Raab"), house="westminster-hall")
        self.assertEqual(speakers.resolve([in_hall]), [[raab.id]])
        before = debate(speech("Dominic Raab"), date=datetime.date(2005, 1, 1))
        self.assertEqual(speakers.resolve([before]), [[None]])

    def test_a_name_printed_with_the_rt_hon_resolves_like_the_plain_name(self):
        starmer = make_member(name="Keir Starmer", constituency="Holborn and St Pancras")
        printed = debate(
            speech("The Rt Hon. Sir Keir Starmer", "Holborn and St Pancras"),
            speech("Rt Hon Keir Starmer"),
        )
        self.assertEqual(speakers.resolve([printed]), [[starmer.id, starmer.id]])

    def test_two_serving_members_of_one_name_resolve_neither(self):
        make_member(name="David Davies", constituency="Monmouth")
        make_member(name="David Davies", constituency="Haltemprice and Howden")
        self.assertEqual(speakers.resolve([debate(speech("David Davies"))]), [[None]])

    def test_a_name_resolved_once_in_a_debate_resolves_the_same_elsewhere_in_it(self):
        first = make_member(name="Stephen Kinnock")
        make_member(name="Stephen Kinnock", constituency="Elsewhere")
        MemberIdentifier.objects.create(member=first, scheme="parlparse-person", value="p/1")
        parsed = debate(
            speech("Stephen Kinnock", ref="parlparse-person:p/1"),
            speech("Mr Stephen Kinnock"),
        )
        other = debate(speech("Stephen Kinnock"))  # another debate: still ambiguous
        self.assertEqual(speakers.resolve([parsed, other]), [[first.id, first.id], [None]])

    def test_an_unknown_id_falls_back_to_the_name(self):
        member = make_member(name="Theresa May")
        parsed = debate(speech("Theresa May", ref="parlparse-person:unknown"))
        self.assertEqual(speakers.resolve([parsed]), [[member.id]])

    def test_offices_and_the_house_together_resolve_to_nobody(self):
        make_member(name="Lindsay Hoyle")
        make_member(name="Ann Speaker")  # a surname is not an office
        names = [
            "Mr Speaker",
            "Madam Deputy Speaker",
            "Mr Deputy Speaker",
            "The Chairman",
            "Hon. Members",
            "Several hon. Members",
            "An hon. Member",
        ]
        self.assertTrue(all(speakers.is_role_only(name) for name in names))
        self.assertFalse(speakers.is_role_only("Ann Speaker"))
        self.assertFalse(speakers.is_role_only("Lindsay Hoyle"))
        parsed = debate(*(speech(name) for name in names))
        self.assertEqual(speakers.resolve([parsed]), [[None] * len(names)])

    def test_the_speaker_unnamed_resolves_to_the_member_listed_as_speaker_on_the_day(self):
        hoyle = make_member(
            name="Lindsay Hoyle", party="Speaker", start_date=datetime.date(2019, 11, 4)
        )
        make_member(name="John Bercow", party="Speaker", end_date=datetime.date(2019, 11, 4))
        as_role = ParsedSpeech(paragraphs=(("Order.",),), speaker_role="Mr Speaker")
        parsed = debate(speech("Mr Speaker"), as_role, speech("Madam Deputy Speaker"))
        self.assertEqual(speakers.resolve([parsed]), [[hoyle.id, hoyle.id, None]])
        lords = debate(speech("Mr Speaker"), house="lords")
        self.assertEqual(speakers.resolve([lords]), [[None]])
        # In 2019 both served in one year, but each on his own days.
        bercow_day = debate(speech("Mr Speaker"), date=datetime.date(2019, 10, 1))
        self.assertNotEqual(speakers.resolve([bercow_day]), [[hoyle.id]])

    def test_queries_do_not_grow_with_the_speeches(self):
        for n in range(30):
            make_member(name=f"Member Number{n}", constituency=f"Seat {n}")
        parsed = debate(*(speech(f"Member Number{n}", f"Seat {n}") for n in range(30)))
        with self.assertNumQueries(1):  # no ids: only the members named
            ids = speakers.resolve([parsed])
        self.assertNotIn(None, ids[0])


class MemberCacheTests(TestCase):
    """A run of files shares one MemberCache: each member is read once a run, and every file
    resolves as it would alone."""

    def setUp(self):
        self.raab = make_member(name="Dominic Raab", constituency="Esher and Walton")
        self.kinnock = make_member(name="Stephen Kinnock")
        make_member(name="Stephen Kinnock", constituency="Elsewhere")
        self.hoyle = make_member(name="Lindsay Hoyle", party="Speaker")
        MemberIdentifier.objects.create(member=self.raab, scheme="parlparse-person", value="p/1")
        self.days = [
            [debate(speech("Dominic Raab", ref="parlparse-person:p/1"), speech("Mr Speaker"))],
            [debate(speech("Mr Raab"), speech("Stephen Kinnock"), speech("Ms Nobody"))],
            [debate(speech("Kinnock"), speech("Dr Dominic Raab", "Esher & Walton"))],
            [debate(speech("Someone", ref="parlparse-person:p/2"), speech("Mr Speaker"))],
        ]

    def test_every_file_resolves_as_it_would_alone(self):
        alone = [speakers.resolve(day) for day in self.days]
        members = speakers.MemberCache()
        self.assertEqual([speakers.resolve(day, members) for day in self.days], alone)
        self.assertEqual(alone[0], [[self.raab.id, self.hoyle.id]])
        self.assertEqual(alone[1], [[self.raab.id, None, None]])  # two Stephen Kinnocks

    def test_what_was_read_for_one_file_is_not_read_again(self):
        members = speakers.MemberCache()
        for day in self.days:
            speakers.resolve(day, members)
        with self.assertNumQueries(0):
            again = [speakers.resolve(day, members) for day in self.days]
        self.assertEqual(again, [speakers.resolve(day) for day in self.days])
        with self.assertNumQueries(1):  # only the name not read before
            speakers.resolve([debate(speech("Theresa May"))], members)

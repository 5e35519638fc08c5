"""Members and the search index: attributing unresolved speakers in the admin, and the party
facet once a transcript's speakers resolve to loaded members (a real Whoosh index)."""

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from lxml import etree

from debates.ingest import loading
from debates.ingest.members import load_members
from debates.models import Member, Speech
from tests.factories import make_debate, make_member, make_speech

from .test_search import IndexTestCase, facet_counts, indexed_ids

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
CSV = FIXTURES / "members" / "commons_mps_2024-05-28.csv"
DAY_2023 = FIXTURES / "transcripts" / "parlparse" / "debates2023-03-28d.xml"


class UnresolvedSpeakersAdminTests(IndexTestCase):
    url = reverse("admin:debates_speech_unresolved_speakers")

    def setUp(self):
        super().setUp()
        self.debate = make_debate(date=datetime.date(2023, 3, 28))
        self.other = make_debate(date=datetime.date(2023, 3, 29))
        self.speeches = [
            make_speech(debate=self.debate, speaker_name="Jo Bloggs", text="Housing matters."),
            make_speech(debate=self.other, speaker_name="Jo Bloggs", text="Schools matter."),
            make_speech(
                debate=self.other,
                speaker_name="Jo Bloggs",
                speaker_constituency="Bloggs West",
                text="Roads matter.",
            ),
            make_speech(debate=self.debate, speaker_name="Mr Speaker", text="Order."),
        ]
        self.index_everything()
        self.member = make_member(name="Jo Bloggs", party="Green Party")
        self.clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
        self.clerk.user_permissions.add(Permission.objects.get(codename="change_speech"))
        self.client.force_login(self.clerk)

    def test_the_page_lists_names_with_counts_dates_constituencies_and_examples(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Jo Bloggs")
        self.assertContains(response, "Bloggs West")
        self.assertContains(response, "29 Mar 2023")
        self.assertContains(response, self.speeches[0].get_debate_url())
        listed = reverse("admin:debates_speech_changelist")
        listed += "?speaker_name=Jo+Bloggs&member__isnull=True"
        self.assertContains(response, listed.replace("&", "&amp;"))
        self.assertContains(self.client.get(listed), "3 speeches")
        self.assertNotContains(response, '<th scope="row">Mr Speaker')  # an office
        changelist = self.client.get(reverse("admin:debates_speech_changelist"))
        self.assertContains(changelist, self.url)

    def test_attributing_a_name_updates_the_speeches_and_the_index(self):
        self.assertEqual(indexed_ids(party_exact__exact="Green Party"), set())
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                self.url, {"speaker_name": "Jo Bloggs", "member": self.member.id}
            )
        self.assertRedirects(response, self.url)
        ids = {speech.id for speech in self.speeches[:3]}
        self.assertEqual(
            set(Speech.objects.filter(member=self.member).values_list("id", flat=True)), ids
        )
        self.assertEqual(indexed_ids(party_exact__exact="Green Party"), ids)
        self.assertEqual(indexed_ids(member__exact=str(self.member.id)), ids)
        self.assertEqual(indexed_ids(content="housing", speaker="Bloggs"), {self.speeches[0].id})

    def test_attributing_within_one_debate_only(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                self.url,
                {"speaker_name": "Jo Bloggs", "member": self.member.id, "debate": self.other.id},
            )
        self.assertEqual(
            set(Speech.objects.filter(member=self.member).values_list("id", flat=True)),
            {self.speeches[1].id, self.speeches[2].id},
        )
        self.assertEqual(
            indexed_ids(party_exact__exact="Green Party"),
            {self.speeches[1].id, self.speeches[2].id},
        )

    def test_bad_input_is_a_400_with_a_message_and_changes_nothing(self):
        cases = [
            ({"speaker_name": "Jo Bloggs", "member": 999999}, "Member: Select a valid choice"),
            ({"speaker_name": "Jo Bloggs"}, "Member: This field is required"),
            ({"speaker_name": "Nobody", "member": self.member.id}, "No unresolved speeches"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self.client.post(self.url, data)
                self.assertContains(response, message, status_code=400)
        self.assertFalse(Speech.objects.filter(member__isnull=False).exists())

    def test_only_staff_who_may_change_speeches_and_only_with_a_csrf_token(self):
        self.client.force_login(User.objects.create_user("viewer", password="pw", is_staff=True))
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)  # to the login page
        csrf_client = self.client_class(enforce_csrf_checks=True)
        csrf_client.force_login(self.clerk)
        response = csrf_client.post(
            self.url, {"speaker_name": "Jo Bloggs", "member": self.member.id}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Speech.objects.filter(member__isnull=False).exists())


HANSARD_TEXT = b"""Title: Prisons
Date: 2023-03-28
House: Commons

Dominic Raab (Esher and Walton) (Con):
Prisons are full.

Alison Thewliss (Glasgow Central) (SNP):
Prisons are failing.

Mr Speaker:
Order.
"""


class PartyFacetTests(IndexTestCase):
    def test_the_party_facet_fills_once_speakers_resolve_to_loaded_members(self):
        load_members([(CSV.name, CSV.read_bytes())])
        with self.captureOnCommitCallbacks(execute=True):
            result = loading.load_file(HANSARD_TEXT, name="prisons.txt")
        self.assertEqual(result.speech_count, 3)
        response = self.client.get(reverse("search:results"), {"q": "prisons"})
        self.assertEqual(
            facet_counts(response, "party"),
            {"Conservative": 1, "Scottish National Party": 1},
        )


class ParlParseDayResolvesTests(IndexTestCase):
    def test_every_speech_with_a_person_id_resolves_to_that_person(self):
        load_members([(CSV.name, CSV.read_bytes())])
        with self.captureOnCommitCallbacks(execute=True):
            loading.load_file(DAY_2023.read_bytes(), name=DAY_2023.name)
        tree = etree.parse(str(DAY_2023))
        expected = {
            element.get("id"): element.get("person_id")
            for element in tree.iter("speech")
            if element.get("person_id")
        }
        self.assertGreater(len(expected), 400)
        speeches = Speech.objects.filter(source_reference__in=list(expected)).select_related(
            "member"
        )
        got = {}
        for speech in speeches:
            person = (
                speech.member.identifiers.get(scheme="parlparse-person").value
                if speech.member
                else None
            )
            got[speech.source_reference] = person
        self.assertEqual(got, expected)
        response = self.client.get(reverse("search:results"), {"q": "prison"})
        self.assertIn("Conservative", facet_counts(response, "party"))
        self.assertTrue(Member.objects.filter(speeches__isnull=False).exists())


class ParlParse2009DayResolvesTests(IndexTestCase):
    def test_every_speech_with_a_speakerid_resolves_to_that_members_person(self):
        terms = FIXTURES / "members" / "all-members_2009-02-23.xml"
        people = FIXTURES / "members" / "people_2009-10-26.xml"
        day = FIXTURES / "transcripts" / "parlparse" / "debates2009-10-26b.xml"
        load_members([(path.name, path.read_bytes()) for path in (terms, people)])
        loading.load_file(day.read_bytes(), name=day.name)
        # Read independently: each speech's member id, and the person holding that id.
        speakerids = {
            element.get("id"): element.get("speakerid")
            for element in etree.parse(str(day)).iter("speech")
            if element.get("speakerid", "unknown") != "unknown"
        }
        person_of = {
            office.get("id"): person.get("id")
            for person in etree.parse(str(people)).iter("person")
            for office in person.iter("office")
        }
        self.assertGreater(len(speakerids), 400)
        speeches = Speech.objects.filter(source_reference__in=list(speakerids)).select_related(
            "member"
        )
        got = {
            speech.source_reference: speech.member
            and speech.member.identifiers.get(scheme="parlparse-person").value
            for speech in speeches
        }
        expected = {ref: person_of[member_id] for ref, member_id in speakerids.items()}
        self.assertEqual(got, expected)

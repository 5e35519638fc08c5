"""Member lists: the pure parser (all formats, errors naming file and record), the atomic
writer (re-loading updates, lists join into persons in any order) and load_members."""

import datetime
import gzip
import io
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext

from debates.ingest.importers import member_lists as parser
from debates.ingest.importers.transcript import ParseError
from debates.ingest.members import MemberLoadError, load_members
from debates.models import Member, Speech
from search.models import IndexTask
from tests.factories import make_debate, make_member, make_speech

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "members"
CSV = FIXTURES / "commons_mps_2024-05-28.csv"
TERMS_2009 = FIXTURES / "all-members_2009-02-23.xml"
TERMS_2010 = FIXTURES / "all-members-2010_2015-04.xml"
PEOPLE_2015 = FIXTURES / "people_2015-04.xml.gz"  # ParlParse's whole people file, 3.7 MB unzipped
PEOPLE_2009 = FIXTURES / "people_2009-10-26.xml"
POPOLO = FIXTURES / "commons_2019-2024.popolo.json"

GENERIC = b"""name,party,constituency,house,person_id,start_date,end_date
Jane Example,Lab,Example North,commons,99901,2019-12-12,
Lord Sample,Crossbench,,lords,,,
"""


def files(*paths):
    return [(path.name, path.read_bytes()) for path in paths]


def person_of(member):
    return member.identifiers.get(scheme="parlparse-person").value


class ParseTests(SimpleTestCase):
    def test_the_commons_csv_takes_the_2019_24_seat_and_the_latest_party(self):
        parsed = parser.parse(CSV.read_bytes())
        self.assertEqual(parsed.format, "commons-mps-csv")
        self.assertEqual(len(parsed.members), 650)
        by_name = {member.name: member for member in parsed.members}
        bim = by_name["Bim Afolami"]  # constituency_ge2024 is "Hitchin", a new seat
        self.assertEqual(bim.constituency, "Hitchin and Harpenden")
        self.assertEqual(bim.sort_name, "Afolami, Bim")
        self.assertEqual(
            bim.identifiers,
            (
                parser.Identifier("parlparse-person", "uk.org.publicwhip/person/25661"),
                parser.Identifier("mnis", "4639"),
            ),
        )
        self.assertEqual(by_name["Christian Wakeford"].party, "Labour")  # party_ge2024
        self.assertEqual(by_name["Adam Afriyie"].party, "Conservative")  # stood down: 2019's
        self.assertEqual(by_name["Lindsay Hoyle"].sort_name, "Hoyle, Lindsay")  # "Sir" dropped
        self.assertEqual(
            by_name["Alison Thewliss"].party, "Scottish National Party"
        )  # one spelling
        self.assertNotIn("DUP", {member.party for member in parsed.members})

    def test_a_generic_csv_with_optional_columns(self):
        jane, lord = parser.parse(GENERIC).members
        self.assertEqual(
            (jane.party, jane.constituency, jane.house), ("Labour", "Example North", "commons")
        )
        self.assertEqual(jane.start_date, datetime.date(2019, 12, 12))
        self.assertEqual(jane.ids("parlparse-person"), ["uk.org.publicwhip/person/99901"])
        self.assertEqual((lord.house, lord.party, lord.identifiers), ("lords", "Crossbench", ()))

    def test_parlparse_terms_carry_their_dates_and_short_party_names_are_spelled_out(self):
        parsed = parser.parse(TERMS_2009.read_bytes())
        self.assertEqual(parsed.format, "parlparse-members")
        first = parsed.members[0]
        self.assertEqual(first.name, "Diane Abbott")
        self.assertEqual(first.constituency, "Hackney North & Stoke Newington")
        self.assertEqual(first.party, "Labour")
        self.assertEqual(first.where, "line 38")
        self.assertEqual(
            first.identifiers,
            (
                parser.Identifier(
                    "parlparse-member",
                    "uk.org.publicwhip/member/1",
                    datetime.date(1997, 5, 1),
                    datetime.date(2001, 5, 14),
                ),
            ),
        )
        last = parsed.members[-1]  # todate 9999-12-31: still serving
        self.assertEqual((last.name, last.end_date), ("Bob Spink", None))

    def test_people_keep_seat_terms_and_leave_out_offices(self):
        parsed = parser.parse(PEOPLE_2009.read_bytes())
        self.assertEqual(parsed.format, "parlparse-people")
        self.assertEqual(len(parsed.people), 100)
        for person in parsed.people:
            self.assertTrue(person.person_id.startswith("uk.org.publicwhip/person/"))
            self.assertTrue(
                all("/moffice/" not in m and "/Member/" not in m for m in person.member_ids)
            )

    def test_popolo_takes_the_latest_membership_and_maps_schemes(self):
        parsed = parser.parse(POPOLO.read_bytes())
        self.assertEqual(parsed.format, "popolo")
        wakeford = parsed.members[-1]
        self.assertEqual((wakeford.party, wakeford.constituency), ("Labour", "Bury South"))
        self.assertEqual(wakeford.start_date, datetime.date(2019, 12, 12))
        hoyle = parsed.members[1]
        self.assertEqual(hoyle.ids("parlparse-person"), ["uk.org.publicwhip/person/10295"])
        self.assertEqual(hoyle.ids("mnis"), ["467"])

    def test_errors_say_where(self):
        cases = [
            (b"", "the file is empty"),
            (b"name,party\nA,B\n", "line 1: not a member list"),
            (b"name,party,constituency\nA,Lab,X\n,Lab,Y\n", "line 3: no name"),
            (b"name,party,constituency\nA,Lab\n", "line 2: 2 columns where the header has 3"),
            (
                b"name,party,constituency,start_date\nA,Lab,X,26/03/2024\n",
                "line 2: start_date '26/03/2024' is not a date",
            ),
            (b"name,party,constituency,house\nA,Lab,X,senate\n", "line 2: unknown house"),
            (b'<publicwhip>\n<member id="x"\n', "not well-formed XML"),
            (
                b'<publicwhip>\n<member id="m/1" firstname="A"/>\n</publicwhip>',
                "line 2: member m/1 has no lastname",
            ),
            (b"<other/>", "no <member> or <person> elements"),
            (  # read as safely as a transcript (importers.xmlsafe)
                b'<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<publicwhip/>',
                "line 1: the file declares an external entity",
            ),
            (b'{"persons": [{"id": "p"}]}', "persons[0]: a person needs a name"),
            (
                b'{"persons": [{"name": "A", "identifiers":'
                b' [{"scheme": "parlparse", "identifier": "x"}]}]}',
                "persons[0].identifiers[0]: person id 'x'",
            ),
            (b"{not json", "line 1: not valid JSON"),
            (b"name,party,constituency\n\xff\n", "line 2: not UTF-8"),
        ]
        for raw, message in cases:
            with self.subTest(message=message), self.assertRaises(ParseError) as caught:
                parser.parse(raw)
            self.assertIn(message, str(caught.exception))


class LoadMembersTests(TestCase):
    def test_the_csv_loads_650_members_and_again_changes_nothing(self):
        result = load_members(files(CSV))
        self.assertEqual((result.created, result.updated, result.unchanged), (650, 0, 0))
        self.assertEqual(result.identifiers_added, 650 + 499)  # person ids, MNIS ids
        raab = Member.objects.get(identifiers__value="uk.org.publicwhip/person/24815")
        self.assertEqual(
            (raab.name, raab.party, raab.constituency, raab.slug),
            ("Dominic Raab", "Conservative", "Esher and Walton", "dominic-raab"),
        )
        again = load_members(files(CSV))
        self.assertEqual((again.created, again.updated, again.unchanged), (0, 0, 650))
        self.assertEqual(Member.objects.count(), 650)

    def test_a_changed_row_updates_the_member_and_its_speeches_index(self):
        load_members(files(CSV))
        raab = Member.objects.get(identifiers__value="uk.org.publicwhip/person/24815")
        speech = make_speech(debate=make_debate(), member=raab)
        IndexTask.objects.all().delete()
        text = CSV.read_text().replace(",Dominic Raab,", ",Dominic Raab,", 1)
        text = text.replace(
            "Esher and Walton,,,,Conservative", "Esher and Walton,Independent,,,Conservative"
        )
        with self.captureOnCommitCallbacks() as callbacks:
            result = load_members([("edited.csv", text.encode())])
        self.assertEqual((result.created, result.updated), (0, 1))
        self.assertEqual(result.reindexed_member_ids, [raab.id])
        self.assertEqual(len(callbacks), 1)  # the index is written after the commit
        self.assertEqual(list(IndexTask.objects.values_list("speech_id", flat=True)), [speech.id])
        raab.refresh_from_db()
        self.assertEqual(raab.party, "Independent")

    def test_speeches_loaded_before_their_members_resolve_when_members_load(self):
        debate = make_debate(date=datetime.date(2023, 3, 28))
        by_id = make_speech(
            debate=debate, member_ref="parlparse-person:uk.org.publicwhip/person/24815"
        )
        by_name = make_speech(
            debate=debate,
            speaker_name="Diane Abbott",
            speaker_constituency="Hackney North and Stoke Newington",
        )
        nobody = make_speech(debate=debate, speaker_name="Jane Nobody")
        with self.captureOnCommitCallbacks(execute=False):
            result = load_members(files(CSV))
        self.assertEqual(result.speeches_resolved, 2)
        names = {s.id: s.member and s.member.name for s in Speech.objects.select_related("member")}
        self.assertEqual(
            names, {by_id.id: "Dominic Raab", by_name.id: "Diane Abbott", nobody.id: None}
        )
        self.assertEqual(load_members(files(CSV)).speeches_resolved, 0)

    def test_members_without_ids_match_by_name_and_constituency(self):
        existing = make_member(name="Jane Example", constituency="Example North", party="")
        result = load_members([("members.csv", GENERIC)])
        self.assertEqual((result.created, result.updated), (1, 1))  # the lord is new
        existing.refresh_from_db()
        self.assertEqual(existing.party, "Labour")
        self.assertEqual(person_of(existing), "uk.org.publicwhip/person/99901")

    def test_slugs_stay_unique(self):
        make_member(name="Jane Example")
        load_members([("members.csv", GENERIC.replace(b"Example North", b"Elsewhere"))])
        self.assertTrue(Member.objects.filter(slug="jane-example-elsewhere").exists())

    def test_terms_and_people_join_into_one_member_per_person_in_any_order(self):
        states = []
        for orders in (
            [[TERMS_2009, PEOPLE_2009]],
            [[PEOPLE_2009], [TERMS_2009]],
            [[TERMS_2009], [PEOPLE_2009]],
        ):
            with self.subTest(orders=[[p.name for p in o] for o in orders]):
                Member.objects.all().delete()
                for order in orders:
                    load_members(files(*order))
                states.append(self.state())
        self.assertEqual(states[0], states[1])
        self.assertEqual(states[0], states[2])
        self.assertEqual(len(states[0]), 100)
        # Aberdeen Central 1997-2005, then Aberdeen North: the latest term speaks.
        doran = states[0]["uk.org.publicwhip/person/10174"]
        self.assertEqual(
            doran[:5],
            ("Frank Doran", "Labour", "Aberdeen North", datetime.date(1997, 5, 1), None),
        )
        self.assertEqual(len(doran[5]), 5)

    def state(self):
        return {
            person_of(member): (
                member.name,
                member.party,
                member.constituency,
                member.start_date,
                member.end_date,
                sorted(
                    member.identifiers.filter(scheme="parlparse-member").values_list(
                        "value", flat=True
                    )
                )[:5],
            )
            for member in Member.objects.filter(identifiers__scheme="parlparse-person")
        }

    def test_people_loaded_after_the_terms_move_speeches_to_the_person(self):
        load_members(files(TERMS_2009))
        doran = list(Member.objects.filter(name="Frank Doran").order_by("id"))
        self.assertEqual(  # one member per seat: nothing says they are one person
            [member.constituency for member in doran], ["Aberdeen Central", "Aberdeen North"]
        )
        debate = make_debate()
        for member in doran:
            make_speech(debate=debate, member=member)
        with self.captureOnCommitCallbacks() as callbacks:
            result = load_members(files(PEOPLE_2009))
        person = Member.objects.get(identifiers__value="uk.org.publicwhip/person/10174")
        self.assertEqual(Member.objects.filter(name="Frank Doran").get(), person)
        self.assertEqual((person.constituency, person.slug), ("Aberdeen North", doran[0].slug))
        self.assertEqual(Speech.objects.filter(member=person).count(), 2)
        self.assertEqual(person.identifiers.filter(scheme="parlparse-member").count(), 5)
        self.assertIn(person.id, result.reindexed_member_ids)
        self.assertEqual(len(callbacks), 1)

    def test_terms_reloaded_with_a_new_id_give_it_to_the_person_they_joined(self):
        # Two seat-terms of one person (joined by the people file), then the terms alone
        # again with an MNIS id on the first: both terms match the one member, and the new
        # id goes to it (it once crashed: the first term's group had no member to write to).
        def terms(first_extra: str = "") -> bytes:
            return (
                "<publicwhip>"
                '<member id="uk.org.publicwhip/member/901" house="commons" firstname="Ann"'
                ' lastname="Example" constituency="Old Seat" party="Lab" fromdate="1997-05-01"'
                f' todate="2005-05-05"{first_extra}/>'
                '<member id="uk.org.publicwhip/member/902" house="commons" firstname="Ann"'
                ' lastname="Example" constituency="New Seat" party="Lab" fromdate="2005-05-05"'
                ' todate="9999-12-31"/>'
                "</publicwhip>"
            ).encode()

        people = (
            b'<publicwhip><person id="uk.org.publicwhip/person/90001" latestname="Ann Example">'
            b'<office id="uk.org.publicwhip/member/901"/>'
            b'<office id="uk.org.publicwhip/member/902"/></person></publicwhip>'
        )
        load_members([("terms.xml", terms()), ("people.xml", people)])
        ann = Member.objects.get()
        result = load_members([("terms.xml", terms(' datadotparl_id="4242"'))])
        self.assertEqual((result.created, result.identifiers_added), (0, 1))
        self.assertEqual(Member.objects.get(), ann)
        self.assertEqual(
            Member.objects.get(identifiers__scheme="mnis", identifiers__value="4242"), ann
        )

    def test_an_older_list_loaded_after_a_newer_one_changes_nothing(self):
        load_members(files(TERMS_2009, PEOPLE_2009, CSV))
        abbott = Member.objects.get(identifiers__value="uk.org.publicwhip/person/10001")
        self.assertEqual(abbott.constituency, "Hackney North and Stoke Newington")  # the CSV's
        result = load_members(files(TERMS_2009))
        self.assertEqual(result.updated, 0)
        abbott.refresh_from_db()
        self.assertEqual(abbott.constituency, "Hackney North and Stoke Newington")

    def test_popolo_after_the_csv_updates_the_same_members(self):
        load_members(files(CSV))
        result = load_members(files(POPOLO))
        self.assertEqual((result.created, result.unchanged + result.updated), (0, 5))
        creasy = Member.objects.get(identifiers__value="uk.org.publicwhip/person/24949")
        self.assertEqual(creasy.party, "Labour/Co-operative")
        self.assertEqual(creasy.end_date, datetime.date(2024, 5, 30))

    def test_a_bad_file_writes_nothing_and_names_itself(self):
        with self.assertRaises(MemberLoadError) as caught:
            load_members([*files(CSV), ("broken.csv", b"name,party,constituency\n,Lab,X\n")])
        self.assertEqual(str(caught.exception), "broken.csv: line 2: no name")
        self.assertFalse(Member.objects.exists())

    def test_lists_that_disagree_about_who_is_who_are_refused(self):
        load_members(files(CSV))
        clash = b"name,party,constituency,person_id,mnis_id\nDiane Abbott,Lab,Hackney,10002,172\n"
        with self.assertRaises(MemberLoadError) as caught:
            load_members([("clash.csv", clash)])
        self.assertIn("clash.csv, line 2", str(caught.exception))

    def test_loading_reads_in_a_fixed_number_of_queries(self):
        """Three reads (members, identifiers, and the debates with unresolved speeches) however
        long the list, and one more for the speeches of members whose indexed details
        changed (for the search index); writes go in batches."""
        for paths in [(POPOLO,), (CSV,), (TERMS_2009, PEOPLE_2009)]:
            with self.subTest(paths=paths), CaptureQueriesContext(connection) as queries:
                result = load_members(files(*paths))
            reads = [q for q in queries if q["sql"].startswith("SELECT")]
            self.assertEqual(len(reads), 3 + bool(result.reindexed_member_ids))


class LoadMembersCommandTests(TestCase):
    def test_prints_counts(self):
        out, err = io.StringIO(), io.StringIO()
        call_command("load_members", str(CSV), str(POPOLO), stdout=out, stderr=err)
        self.assertIn("Loading members from 2 files", err.getvalue())
        self.assertIn(
            "Read commons_mps_2024-05-28.csv: commons-mps-csv, 650 records", out.getvalue()
        )
        self.assertIn(
            "Members: 650 created, 0 updated, 0 unchanged; 1,150 identifiers added", out.getvalue()
        )

    def test_a_bad_file_is_a_command_error_naming_it(self):
        bad = Path(self.enterContext(__import__("tempfile").TemporaryDirectory())) / "bad.json"
        bad.write_bytes(b'{"persons": 3}')
        with self.assertRaisesMessage(
            CommandError, 'bad.json: not Popolo JSON: no "persons" list; nothing was written'
        ):
            call_command(
                "load_members", str(CSV), str(bad), stdout=io.StringIO(), stderr=io.StringIO()
            )
        self.assertFalse(Member.objects.exists())
        with self.assertRaisesMessage(CommandError, "missing.csv: No such file"):
            call_command("load_members", "missing.csv", stdout=io.StringIO(), stderr=io.StringIO())


class FullParlParseListsTests(TestCase):
    def test_the_full_lists_make_one_member_per_person(self):
        lists = [
            *files(TERMS_2009, TERMS_2010),
            (PEOPLE_2015.stem, gzip.decompress(PEOPLE_2015.read_bytes())),
        ]
        result = load_members(lists)
        self.assertEqual(result.created, 13216)  # person/14101 is listed twice
        abbott = Member.objects.get(identifiers__value="uk.org.publicwhip/person/10001")
        self.assertEqual(
            (abbott.start_date, abbott.end_date),
            (datetime.date(1997, 5, 1), datetime.date(2015, 3, 30)),
        )
        self.assertEqual(abbott.identifiers.filter(scheme="parlparse-member").count(), 6)
        again = load_members(lists)
        self.assertEqual((again.created, again.updated), (0, 0))

import datetime

from django.contrib.auth.models import User
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debates.choices import DebateKind, House
from debates.models import SourceFile
from tests.factories import make_debate, make_member, make_speech

DAY = datetime.date(2023, 12, 19)


class HomeTests(TestCase):
    def test_home_shows_counts_latest_debates_and_a_search_box(self):
        make_debate(title="Older debate", date=datetime.date(2020, 1, 1), speeches=2)
        make_debate(title="Israel and Gaza", date=DAY, speeches=3)
        response = self.client.get(reverse("debates:home"))
        self.assertContains(response, "<dt>Speeches</dt><dd>5</dd>", html=True)
        self.assertContains(response, "<dt>Debates</dt><dd>2</dd>", html=True)
        content = response.content.decode()
        self.assertLess(content.index("Israel and Gaza"), content.index("Older debate"))
        self.assertContains(response, 'action="/search/"')
        self.assertContains(response, '<label for="home-search">Search speeches</label>', html=True)

    def test_home_without_data_says_how_to_load_some(self):
        response = self.client.get(reverse("debates:home"))
        self.assertContains(response, "No debates have been loaded yet")

    def test_home_query_count_does_not_grow_with_debates(self):
        for n in range(3):
            make_debate(title=f"Debate {n}", speeches=2)
        with self.assertNumQueries(5) as small:
            self.client.get(reverse("debates:home"))
        for n in range(3, 12):
            make_debate(title=f"Debate {n}", speeches=2)
        with self.assertNumQueries(len(small.captured_queries)):
            self.client.get(reverse("debates:home"))


class ArchiveTests(TestCase):
    def setUp(self):
        make_debate(title="A", date=datetime.date(2023, 12, 19), speeches=1)
        make_debate(title="B", date=datetime.date(2023, 12, 19), speeches=1)
        make_debate(title="C", date=datetime.date(2024, 3, 26), speeches=1)

    def test_archive_lists_years_and_months_with_counts(self):
        response = self.client.get(reverse("debates:archive"))
        self.assertContains(
            response, '<h2 id="year-2024"><a href="/debates/2024/">2024</a></h2>', html=True
        )
        self.assertContains(response, 'href="/debates/2023/12/"')
        self.assertContains(response, "1 sitting day, 2 debates")

    def test_month_lists_sitting_days_and_links_to_neighbouring_months(self):
        response = self.client.get(reverse("debates:month", kwargs={"year": 2023, "month": 12}))
        self.assertContains(response, "Tuesday 19 December 2023")
        self.assertContains(response, 'href="/debates/2023-12-19/"')
        self.assertContains(response, 'href="/debates/2024/3/"')
        self.assertContains(response, "March 2024")

    def test_month_without_debates_says_so(self):
        response = self.client.get(reverse("debates:month", kwargs={"year": 2022, "month": 5}))
        self.assertContains(response, "Nothing is recorded for May 2022")

    def test_impossible_month_is_404(self):
        self.assertEqual(self.client.get("/debates/2023/13/").status_code, 404)
        self.assertEqual(self.client.get("/debates/2023/0/").status_code, 404)

    def test_day_lists_its_debates_and_neighbouring_days(self):
        response = self.client.get(reverse("debates:day", kwargs={"date": DAY}))
        self.assertContains(response, "Tuesday 19 December 2023")
        self.assertContains(response, 'href="/debates/2023-12-19/a/"')
        self.assertContains(response, 'href="/debates/2023-12-19/b/"')
        self.assertContains(response, 'href="/debates/2024-03-26/"')

    def test_day_without_debates_is_a_helpful_404(self):
        response = self.client.get("/debates/2023-12-20/")
        self.assertContains(response, "Nothing is recorded for 20 December 2023.", status_code=404)
        self.assertContains(response, "debates by date", status_code=404)

    def test_impossible_date_is_404(self):
        self.assertEqual(self.client.get("/debates/2024-02-30/").status_code, 404)
        self.assertEqual(self.client.get("/debates/2024-02-30/a/").status_code, 404)


class DebateDetailTests(TestCase):
    def setUp(self):
        self.member = make_member(
            name="Andrew Mitchell", party="Conservative", constituency="Sutton Coldfield"
        )
        self.debate = make_debate(
            title="Israel and Gaza", date=DAY, kind=DebateKind.URGENT_QUESTION
        )
        make_speech(debate=self.debate, text="Unattributed first.\nSecond sentence.")
        make_speech(
            debate=self.debate,
            member=self.member,
            speaker_name="Mr Andrew Mitchell",
            speaker_role="The Minister of State",
            text="Para one.\n\nPara two, sentence one.\nPara two, sentence two.",
        )
        make_speech(debate=self.debate, speaker_name="Hon. Members", text="Hear, hear.")

    def get(self):
        return self.client.get(self.debate.get_absolute_url())

    def test_debate_page_shows_title_date_house_kind_and_citation(self):
        response = self.get()
        self.assertContains(response, "<h1>Israel and Gaza</h1>", html=True)
        self.assertContains(response, "Tuesday 19 December 2023")
        self.assertContains(response, "House of Commons")
        self.assertContains(response, "Urgent question")
        self.assertContains(response, "<cite>HC Deb 19 December 2023</cite>", html=True)

    def test_speakers_are_linked_when_known_and_honest_when_not(self):
        response = self.get()
        self.assertContains(
            response, '<a href="/members/andrew-mitchell/">Andrew Mitchell</a>', html=True
        )
        self.assertContains(response, "Conservative · Sutton Coldfield")
        self.assertContains(response, "The Minister of State")
        self.assertContains(response, "Speaker not recorded", count=1)
        self.assertContains(response, "Hon. Members")

    def test_every_speech_and_sentence_has_an_anchor_and_a_permalink(self):
        response = self.get()
        for anchor in ["s1", "s2", "s3", "s1-1", "s1-2", "s2-1", "s2-2", "s2-3", "s3-1"]:
            self.assertContains(response, f'id="{anchor}"', count=1)
        self.assertContains(response, 'href="#s2-3"')
        self.assertContains(response, 'href="/debates/2023-12-19/israel-and-gaza/2/"')
        self.assertNotContains(response, 'id="s2-4"')

    def test_paragraphs_are_kept(self):
        response = self.get()
        self.assertEqual(response.content.decode().count('<span class="sentence"'), 6)
        self.assertInHTML(
            '<a class="sentence__link" href="#s2-1" title="Link to this sentence" '
            'aria-label="Sentence 1 of speech 2">1</a>',
            response.content.decode(),
        )
        self.assertEqual(
            [p for p in self.debate.speeches.get(position=2).paragraphs],
            [["Para one."], ["Para two, sentence one.", "Para two, sentence two."]],
        )

    def test_previous_and_next_debates_are_linked(self):
        before = make_debate(title="Earlier", date=datetime.date(2023, 12, 18))
        after = make_debate(title="Same day, later", date=DAY)
        response = self.get()
        self.assertContains(response, f'rel="prev" href="{before.get_absolute_url()}"')
        self.assertContains(response, f'rel="next" href="{after.get_absolute_url()}"')

    def test_sections_have_headings_and_a_list_of_contents(self):
        first, second = self.debate.speeches.order_by("position")[:2]
        for speech, heading in [(first, "Prisons"), (second, "Probation")]:
            speech.heading = heading
            speech.save()
        response = self.get()
        self.assertContains(
            response, f'<h2 class="debate__section" id="{first.anchor}-section">Prisons</h2>'
        )
        self.assertContains(response, f'<a href="#{second.anchor}-section">Probation</a>')
        # Speakers' headings go a level down under the sections.
        self.assertContains(response, f'<h3 class="speech__speaker" id="{second.anchor}-speaker">')

    def test_a_debate_without_sections_has_no_list_of_contents(self):
        response = self.get()
        self.assertNotContains(response, "In this debate")
        self.assertContains(response, '<h2 class="speech__speaker"')

    def test_unknown_debate_is_404(self):
        response = self.client.get("/debates/2023-12-19/no-such-debate/")
        self.assertContains(response, "We could not find that page", status_code=404)

    def test_the_page_does_not_read_the_source_files_bytes(self):
        self.debate.source_file = SourceFile.objects.create(
            name="day.xml", sha256="c" * 64, size=3, format="parlparse", raw=b"xml"
        )
        self.debate.save()
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.get().status_code, 200)
        self.assertFalse([q for q in queries if '"raw"' in q["sql"]])

    def test_query_count_does_not_grow_with_speeches(self):
        with self.assertNumQueries(4):
            self.get()
        for _ in range(30):
            make_speech(debate=self.debate, member=self.member)
        with self.assertNumQueries(4):
            self.get()

    def test_lords_and_westminster_hall_citations(self):
        lords = make_debate(title="Lords debate", house=House.LORDS, date=DAY)
        hall = make_debate(title="Hall debate", house=House.WESTMINSTER_HALL, date=DAY)
        self.assertEqual(lords.citation, "HL Deb 19 December 2023")
        self.assertEqual(hall.citation, "WH Deb 19 December 2023")


class SpeechDetailTests(TestCase):
    def setUp(self):
        self.debate = make_debate(title="Israel and Gaza", date=DAY, speeches=3)

    def test_speech_permalink_shows_the_speech_in_context(self):
        response = self.client.get("/debates/2023-12-19/israel-and-gaza/2/")
        self.assertContains(response, "Sentence one of speech 2.")
        self.assertNotContains(response, "Sentence one of speech 1.")
        self.assertContains(response, 'href="/debates/2023-12-19/israel-and-gaza/#s2"')
        self.assertContains(response, 'rel="prev" href="/debates/2023-12-19/israel-and-gaza/1/"')
        self.assertContains(response, 'rel="next" href="/debates/2023-12-19/israel-and-gaza/3/"')
        self.assertContains(response, "<title>Speaker not recorded in Israel and Gaza")

    def test_first_and_last_speech_have_one_neighbour(self):
        first = self.client.get("/debates/2023-12-19/israel-and-gaza/1/")
        self.assertNotContains(first, 'rel="prev"')
        last = self.client.get("/debates/2023-12-19/israel-and-gaza/3/")
        self.assertNotContains(last, 'rel="next"')

    def test_missing_speech_is_404(self):
        self.assertEqual(self.client.get("/debates/2023-12-19/israel-and-gaza/9/").status_code, 404)


class MemberTests(TestCase):
    def setUp(self):
        self.mitchell = make_member(name="Andrew Mitchell", party="Conservative")
        self.moran = make_member(name="Layla Moran", party="Liberal Democrat")
        for day in range(1, 26):
            debate = make_debate(title=f"Debate {day}", date=datetime.date(2024, 1, day))
            make_speech(debate=debate, member=self.mitchell, text=f"Mitchell on day {day}.")

    def test_member_list_shows_party_and_speech_counts(self):
        response = self.client.get(reverse("debates:members"))
        self.assertContains(response, '<a href="/members/andrew-mitchell/">Andrew Mitchell</a>')
        self.assertContains(response, "Liberal Democrat")
        self.assertContains(response, '<td class="numeric">25</td>', html=True)
        self.assertContains(response, '<td class="numeric">0</td>', html=True)
        content = response.content.decode()
        self.assertLess(content.index("Andrew Mitchell"), content.index("Layla Moran"))

    def test_member_list_query_count_does_not_grow_with_members(self):
        with self.assertNumQueries(2) as small:
            self.client.get(reverse("debates:members"))
        for n in range(20):
            make_member(name=f"Extra Member{n}")
        with self.assertNumQueries(len(small.captured_queries)):
            self.client.get(reverse("debates:members"))

    def test_member_page_lists_speeches_newest_first_paginated(self):
        response = self.client.get(self.mitchell.get_absolute_url())
        self.assertContains(response, "(25, newest first)")
        content = response.content.decode()
        self.assertLess(content.index("Mitchell on day 25."), content.index("Mitchell on day 24."))
        self.assertNotContains(response, "Mitchell on day 5.")
        self.assertContains(response, "Page 1 of 2")
        second = self.client.get(self.mitchell.get_absolute_url(), {"page": 2})
        self.assertContains(second, "Mitchell on day 5.")
        self.assertContains(second, 'href="/debates/2024-01-01/debate-1/#s1"')

    def test_member_list_tolerates_bad_page_numbers(self):
        for page in ["abc", "99999999999999999999999", "-1", ""]:
            response = self.client.get(reverse("debates:members"), {"page": page})
            self.assertContains(response, "Andrew Mitchell", msg_prefix=page)

    def test_member_page_tolerates_bad_page_numbers(self):
        for page in ["abc", "99999", "-1", ""]:
            response = self.client.get(self.mitchell.get_absolute_url(), {"page": page})
            self.assertEqual(response.status_code, 200, page)

    def test_member_page_query_count_does_not_grow_with_speeches(self):
        # member, count, speeches per month, top debates, the page of speeches
        with self.assertNumQueries(5):
            self.client.get(self.mitchell.get_absolute_url())
        make_speech(debate=make_debate(title="More"), member=self.mitchell)
        with self.assertNumQueries(5):
            self.client.get(self.mitchell.get_absolute_url())

    def test_member_without_speeches_says_so(self):
        response = self.client.get(self.moran.get_absolute_url())
        self.assertContains(response, "No speeches by Layla Moran are recorded here.")

    def test_unknown_member_is_404(self):
        self.assertEqual(self.client.get("/members/nobody/").status_code, 404)


class SourceFileTests(TestCase):
    def setUp(self):
        self.source = SourceFile.objects.create(
            name='odd "name".txt', sha256="a" * 64, size=5, format="plaintext", raw=b"hello"
        )

    def test_raw_file_is_for_staff_only(self):
        response = self.client.get(self.source.get_absolute_url())
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_staff_download_the_bytes_as_loaded(self):
        staff = User.objects.create_user("clerk", password="pw", is_staff=True)
        self.client.force_login(staff)
        response = self.client.get(self.source.get_absolute_url())
        self.assertEqual(response.content, b"hello")
        self.assertIn("attachment", response["Content-Disposition"])


class YearTests(TestCase):
    def setUp(self):
        make_debate(title="A", date=datetime.date(2022, 6, 1))
        make_debate(title="B", date=datetime.date(2023, 12, 19))
        make_debate(title="C", date=datetime.date(2023, 3, 1))
        make_debate(title="D", date=datetime.date(2024, 3, 26))

    def test_year_lists_its_months_newest_first_and_neighbouring_years(self):
        response = self.client.get(reverse("debates:year", kwargs={"year": 2023}))
        self.assertContains(response, "<h1>Debates in 2023</h1>", html=True)
        content = response.content.decode()
        self.assertLess(content.index("December 2023"), content.index("March 2023"))
        self.assertNotContains(response, "June 2022</a>")
        self.assertContains(response, 'rel="prev" href="/debates/2022/"')
        self.assertContains(response, 'rel="next" href="/debates/2024/"')

    def test_archive_links_each_year(self):
        response = self.client.get(reverse("debates:archive"))
        for year in (2022, 2023, 2024):
            self.assertContains(response, f'href="/debates/{year}/"')

    def test_year_without_debates_or_out_of_range_is_404(self):
        for url in ["/debates/2019/", "/debates/0/", "/debates/99999999999/", "/debates/0/1/"]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_debate_breadcrumb_goes_through_year_month_and_day(self):
        response = self.client.get("/debates/2024-03-26/d/")
        self.assertContains(response, 'href="/debates/2024/"')
        self.assertContains(response, 'href="/debates/2024/3/"')
        self.assertContains(response, 'href="/debates/2024-03-26/"')


class RecordTests(TestCase):
    """/record/<official id> leads to the speech or debate the id names."""

    def setUp(self):
        self.debate = make_debate(
            title="Justice", date=DAY, source_reference="uk.org.publicwhip/debate/2023-03-28d.809.4"
        )
        self.speech = make_speech(
            debate=self.debate, source_reference="uk.org.publicwhip/debate/2023-03-28d.809.6"
        )

    def test_a_speech_id_redirects_to_the_speech_in_its_debate(self):
        response = self.client.get("/record/uk.org.publicwhip/debate/2023-03-28d.809.6")
        self.assertRedirects(response, self.speech.get_debate_url(), status_code=301)

    def test_a_debate_id_redirects_to_the_debate(self):
        response = self.client.get("/record/uk.org.publicwhip/debate/2023-03-28d.809.4")
        self.assertRedirects(response, self.debate.get_absolute_url(), status_code=301)

    def test_an_unknown_id_is_404(self):
        response = self.client.get("/record/uk.org.publicwhip/debate/1900-01-01a.1.1")
        self.assertContains(response, "We could not find that page", status_code=404)

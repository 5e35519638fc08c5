"""Citations of a ParlParse speech with its column (official, OSCOLA, BibTeX) on the speech
page and per sentence, and a member's activity from the database."""

import datetime
import re
from html import unescape
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase, TestCase

from debates.choices import House
from debates.citations import cite, column_of
from debates.ingest.loading import load_file
from debates.models import Speech
from tests.factories import make_debate, make_member, make_speech

PARLPARSE = Path(settings.BASE_DIR) / "fixtures/transcripts/parlparse/debates2023-03-28d.xml"
NIGEL_EVANS = "uk.org.publicwhip/debate/2023-03-28d.859.4"


class ColumnTests(SimpleTestCase):
    def test_the_column_a_parlparse_id_names(self):
        for reference, column in (
            ("uk.org.publicwhip/debate/2023-03-28d.859.4", "859"),
            ("uk.org.publicwhip/lords/2023-03-28a.1201.2", "1201"),
            ("uk.org.publicwhip/westminhall/2023-03-28a.45.0", "45WH"),
            ("uk.org.publicwhip/wms/2023-03-28a.12.1", "12WS"),
            ("", ""),
            ("/akn/uk/debate/2023-03-28/1", ""),
            ("uk.org.publicwhip/unknown/2023-03-28a.12.1", ""),
        ):
            with self.subTest(reference=reference):
                self.assertEqual(column_of(reference), column)


class CitationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_file(PARLPARSE.read_bytes(), name=PARLPARSE.name)
        cls.speech = Speech.objects.with_context().get(source_reference=NIGEL_EVANS)

    def test_a_parlparse_speech_is_cited_by_its_column(self):
        url = "https://chamber.example/debates/x/#s5"
        citation = cite(self.speech, url, accessed=datetime.date(2026, 12, 1))
        self.assertEqual(citation.short, "HC Deb 28 March 2023, col 859")
        self.assertEqual(
            citation.oscola, f"HC Deb 28 March 2023, col 859 <{url}> accessed 1 December 2026"
        )
        self.assertTrue(citation.bibtex.startswith(f"@misc{{commons20230328s{self.speech.pk},"))
        self.assertIn("  author = {Nigel Evans},", citation.bibtex)
        self.assertIn("  howpublished = {HC Deb 28 March 2023, col 859},", citation.bibtex)
        self.assertIn(f"  url = {{{url}}},", citation.bibtex)
        self.assertEqual(citation.bibtex.count("{"), citation.bibtex.count("}"))

    def test_bibtex_escapes_what_tex_would_read(self):
        debate = make_debate(title="Tax {50%} & Co_op", date=datetime.date(2024, 1, 2))
        speech = make_speech(debate=debate, speaker_name="A. N. Other")
        bibtex = cite(speech, "https://x/#s1").bibtex
        self.assertIn(r"title = {Tax \{50\%\} \& Co\_op},", bibtex)

    def test_without_a_column_the_citation_names_the_day(self):
        debate = make_debate(date=datetime.date(2024, 3, 5), house=House.LORDS)
        citation = cite(make_speech(debate=debate), "https://x/")
        self.assertEqual((citation.short, citation.column), ("HL Deb 5 March 2024", ""))

    def test_the_speech_page_offers_each_form_in_a_selectable_box_with_a_copy_button(self):
        response = self.client.get(self.speech.get_absolute_url())
        html = response.content.decode()
        boxes = dict(
            re.findall(
                r'<textarea id="cite-(\w+)" readonly rows="\d+">(.*?)</textarea>', html, re.S
            )
        )
        self.assertEqual(unescape(boxes["short"]), "HC Deb 28 March 2023, col 859")
        debate_url = f"http://testserver{self.speech.get_debate_url()}"
        self.assertIn(f"<{debate_url}>", unescape(boxes["oscola"]))
        self.assertIn("@misc{", unescape(boxes["bibtex"]))
        self.assertIn('data-copy="cite-short" hidden', html)  # shown by static/js/copy.js
        self.assertIn('src="/static/js/copy.js" defer', html)
        self.assertNotRegex(html, r"<script>|<style|\sstyle=|\son\w+=")

    def test_each_sentence_links_to_its_own_citation(self):
        url = self.speech.get_absolute_url()
        page = self.client.get(url).content.decode()
        self.assertIn('href="?sentence=2#cite"', page)
        response = self.client.get(url, {"sentence": 2})
        html = unescape(response.content.decode())
        self.assertIn("Cite sentence 2", html)
        self.assertIn(f"http://testserver{self.speech.get_debate_url()}-2>", html)
        for bad in ("0", "99", "two"):
            with self.subTest(sentence=bad):
                self.assertEqual(self.client.get(url, {"sentence": bad}).status_code, 404)

    def test_the_debate_page_links_each_speech_to_its_citation(self):
        response = self.client.get(self.speech.debate.get_absolute_url())
        self.assertContains(response, f'href="{self.speech.get_absolute_url()}#cite"')


class MemberActivityTests(TestCase):
    def test_speeches_per_month_and_the_debates_spoken_in_most(self):
        member = make_member(name="Ann Able")
        busy = make_debate(title="Budget", date=datetime.date(2023, 1, 10))
        quiet = make_debate(title="Fisheries", date=datetime.date(2023, 4, 2))
        other = make_debate(title="Energy", date=datetime.date(2023, 1, 20))
        for debate, n in ((busy, 3), (quiet, 1), (other, 2)):
            for _ in range(n):
                make_speech(debate=debate, member=member)
        make_speech(debate=quiet)  # someone else
        with self.assertNumQueries(5):
            response = self.client.get(member.get_absolute_url())
        html = response.content.decode()
        table = re.search(r'<table class="figures">.*?</table>', html, re.S)[0]
        rows = re.findall(r'<th scope="row">([\d-]+)</th><td>(\d+)</td>', table)
        self.assertEqual(
            rows, [("2023-01", "5"), ("2023-02", "0"), ("2023-03", "0"), ("2023-04", "1")]
        )
        self.assertEqual(html.count("<circle"), 4)
        top = re.search(r'<ol class="top-debates">(.*?)</ol>', html, re.S)[1]
        self.assertEqual(re.findall(r">(\w+)</a>", top), ["Budget", "Energy", "Fisheries"])
        self.assertIn("3 speeches", top)
        self.assertIn("1 speech<", top)

    def test_a_member_who_never_spoke_has_no_chart(self):
        member = make_member(name="Ben Bold")
        response = self.client.get(member.get_absolute_url())
        self.assertNotContains(response, "<svg")
        self.assertContains(response, "No speeches by Ben Bold")

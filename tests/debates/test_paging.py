"""Long debates are read in pages of CHAMBER_DEBATE_PAGE_SPEECHES, by position, and every
link to a speech or sentence says which page holds it."""

import re

from django.core.management import call_command
from django.test import TestCase, override_settings

from debates.models import Debate
from tests.factories import make_debate, make_speech


@override_settings(CHAMBER_DEBATE_PAGE_SPEECHES=3)
class DebatePagingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.debate = make_debate(title="A long debate", speeches=0)
        for position in range(1, 9):
            make_speech(
                debate=cls.debate,
                position=position,
                text=f"Speech number {position} on ceasefire{position}.\nIts second sentence.",
                heading={1: "First part", 5: "Second part"}.get(position, ""),
                source_reference=f"uk.example/speech/{position}",
            )
        cls.url = cls.debate.get_absolute_url()

    def anchors(self, response):
        return re.findall(r'<article class="speech[^"]*" id="(s\d+)"', response.content.decode())

    def test_pages_hold_ranges_of_positions(self):
        self.assertEqual(self.anchors(self.client.get(self.url)), ["s1", "s2", "s3"])
        second = self.client.get(self.url, {"page": 2})
        self.assertEqual(self.anchors(second), ["s4", "s5", "s6"])
        self.assertContains(second, "Speeches 4–6 of 8, in pages of 3.")
        self.assertContains(
            second, f'<link rel="canonical" href="http://testserver{self.url}?page=2">'
        )
        self.assertEqual(self.anchors(self.client.get(self.url, {"page": 3})), ["s7", "s8"])

    def test_page_links_keep_the_highlight(self):
        response = self.client.get(self.url, {"page": 2, "highlight": "ceasefire5"})
        self.assertContains(response, 'href="?page=1&amp;highlight=ceasefire5"')
        self.assertContains(response, 'href="?page=3&amp;highlight=ceasefire5"')
        self.assertContains(response, "<mark>ceasefire5</mark>")

    def test_a_page_that_does_not_exist_is_a_404_with_a_message(self):
        for page in ("4", "0", "abc", "-1", "99999999999999999999"):
            with self.subTest(page=page):
                response = self.client.get(self.url, {"page": page})
                self.assertContains(response, "This debate has 3 pages.", status_code=404)

    def test_the_contents_link_sections_on_other_pages(self):
        response = self.client.get(self.url)
        self.assertContains(response, f'<a href="{self.url}#s1-section">First part</a>')
        self.assertContains(response, f'<a href="{self.url}?page=2#s5-section">Second part</a>')

    def test_permalinks_lead_to_the_page_that_holds_the_speech(self):
        speech = self.debate.speeches.get(position=7)
        self.assertEqual(speech.get_debate_url(), f"{self.url}?page=3#s7")
        response = self.client.get(speech.get_absolute_url())
        self.assertContains(response, f'href="{self.url}?page=3#s7"')
        first = self.debate.speeches.get(position=2)
        self.assertEqual(first.get_debate_url(), f"{self.url}#s2")

    def test_official_ids_redirect_to_the_right_page(self):
        response = self.client.get("/record/uk.example/speech/5")
        self.assertRedirects(
            response, f"{self.url}?page=2#s5", status_code=301, fetch_redirect_response=False
        )

    def test_page_of(self):
        self.assertEqual([Debate.page_of(n) for n in (1, 3, 4, 6, 7, 600)], [1, 1, 2, 2, 3, 200])

    def test_search_results_link_to_the_page_and_sentence(self):
        call_command("rebuild_index", interactive=False, verbosity=0)
        response = self.client.get("/search/", {"q": "ceasefire8"})
        self.assertContains(response, f'href="{self.url}?page=3&amp;highlight=ceasefire8#s8-1"')

    def test_query_count_does_not_grow_with_pages(self):
        with self.assertNumQueries(5):  # debate + last position, speeches, contents, neighbours
            self.client.get(self.url, {"page": 2})


@override_settings(CHAMBER_SPEECH_PART_SENTENCES=3)
class SpeechPartTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.debate = make_debate(title="One long speech")
        sentences = [f"Sentence {n} mentions topic{n}." for n in range(1, 9)]
        text = "\n".join(sentences[:4]) + "\n\n" + "\n".join(sentences[4:])
        cls.speech = make_speech(debate=cls.debate, text=text)

    def sentence_ids(self, response):
        return re.findall(r'<span class="sentence" id="(s1-\d+)"', response.content.decode())

    def test_the_debate_page_shows_the_first_part_and_links_to_the_rest(self):
        response = self.client.get(self.debate.get_absolute_url())
        self.assertEqual(self.sentence_ids(response), ["s1-1", "s1-2", "s1-3"])
        self.assertContains(response, "This speech is long: read on (part 2 of 3)")
        self.assertContains(response, f'href="{self.speech.get_absolute_url()}?part=2"')

    def test_the_speech_page_reads_in_parts(self):
        url = self.speech.get_absolute_url()
        self.assertEqual(self.sentence_ids(self.client.get(url)), ["s1-1", "s1-2", "s1-3"])
        second = self.client.get(url, {"part": 2, "highlight": "topic5"})
        self.assertEqual(self.sentence_ids(second), ["s1-4", "s1-5", "s1-6"])
        self.assertContains(second, "Part 2 of 3")
        self.assertContains(second, "<mark>topic5</mark>")
        self.assertContains(second, 'href="?part=3&amp;highlight=topic5"')
        self.assertNotContains(second, "read on (part 2")
        self.assertEqual(self.sentence_ids(self.client.get(url, {"part": 3})), ["s1-7", "s1-8"])
        for part in ("4", "0", "x"):
            with self.subTest(part=part):
                response = self.client.get(url, {"part": part})
                self.assertContains(response, "This speech has 3 parts.", status_code=404)

    def test_sentence_links_name_their_part(self):
        self.assertEqual(self.speech.get_sentence_url(2), f"{self.debate.get_absolute_url()}#s1-2")
        self.assertEqual(
            self.speech.get_sentence_url(7, "highlight=x"),
            f"{self.speech.get_absolute_url()}?part=3&highlight=x#s1-7",
        )

    def test_a_search_result_in_a_later_part_links_to_it(self):
        call_command("rebuild_index", interactive=False, verbosity=0)
        response = self.client.get("/search/", {"q": "topic7"})
        self.assertContains(
            response, f'href="{self.speech.get_absolute_url()}?part=3&amp;highlight=topic7#s1-7"'
        )

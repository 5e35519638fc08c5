"""A speech page's "Related speeches": `more_like_this` over the real index (the runner's
temporary Whoosh folder), other debates only, loaded in one query, and a page that still
renders when there are none or the engine fails."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from debates.models import Speech
from search.related import RELATED_SPEECHES
from tests.broken import unopenable_index
from tests.factories import make_debate, make_member, make_speech

from .test_search import IndexTestCase

FISHING = (
    "Fishing quotas in the North Sea must protect the trawlers of our coastal harbours.\n"
    "Trawlers and harbours depend on fair quotas for mackerel and herring."
)


def related_section(response) -> str:
    found = re.search(r'<section class="related".*?</section>', response.content.decode(), re.S)
    return found[0] if found else ""


def related_links(response) -> list[str]:
    return re.findall(r'<a class="related__link" href="([^"]+)"', related_section(response))


class RelatedSpeechesTests(IndexTestCase):
    def setUp(self):
        super().setUp()
        self.day = datetime.date(2024, 3, 26)
        self.member = make_member(name="Ann Able", party="Labour", constituency="Aytown")
        self.fisheries = make_debate(title="Fisheries", date=self.day)
        self.speech = make_speech(debate=self.fisheries, text=FISHING, member=self.member)
        # The same debate, on the same subject: never "related", however alike.
        self.same_debate = make_speech(debate=self.fisheries, text=FISHING)
        self.quotas = make_debate(title="Sea Fish Quotas", date=datetime.date(2023, 11, 2))
        self.other = make_speech(
            debate=self.quotas,
            text="The mackerel and herring quotas leave our trawlers idle in the harbours.",
            member=self.member,
        )
        self.coasts = make_debate(title="Coastal Communities", date=datetime.date(2022, 5, 4))
        self.another = make_speech(
            debate=self.coasts, text="Coastal harbours lose their fishing trawlers to quotas."
        )
        self.schools = make_debate(title="Schools", date=datetime.date(2024, 1, 9))
        self.unrelated = make_speech(
            debate=self.schools, text="Teachers deserve classrooms with working radiators."
        )
        self.index_everything()

    def get(self, speech):
        response = self.client.get(speech.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        return response

    def test_lists_speeches_of_other_debates_only(self):
        links = related_links(self.get(self.speech))
        self.assertCountEqual(
            links, [self.other.get_absolute_url(), self.another.get_absolute_url()]
        )
        self.assertNotIn(self.speech.get_absolute_url(), links)
        self.assertNotIn(self.same_debate.get_absolute_url(), links)
        self.assertNotIn(self.unrelated.get_absolute_url(), links)

    def test_each_names_the_speaker_the_debate_and_the_date_with_an_excerpt(self):
        section = related_section(self.get(self.speech))
        self.assertIn('<h2 id="related-title">Related speeches</h2>', section)
        item = re.search(
            rf'<li class="related__item">\s*<a class="related__link" '
            rf'href="{re.escape(self.other.get_absolute_url())}">(.*?)</li>',
            section,
            re.S,
        )
        self.assertIsNotNone(item, section)
        self.assertIn("Ann Able", item[1])
        self.assertIn("in Sea Fish Quotas", item[1])
        self.assertIn('<time datetime="2023-11-02">2 November 2023</time>', item[1])
        self.assertIn("The mackerel and herring quotas leave our trawlers idle", item[1])
        # A speaker without a member is named as printed (here: not recorded).
        self.assertIn("Speaker not recorded", section)

    def test_a_long_speech_is_excerpted(self):
        self.other.text = " ".join(["Herring quotas for trawlers."] * 200)
        self.other.save()
        self.index_everything()
        section = related_section(self.get(self.speech))
        # The long speech's own item: engines may rank it differently (BM25 on Tantivy
        # weighs its length against it).
        excerpt = re.search(
            rf'href="{re.escape(self.other.get_absolute_url())}">.*?'
            r'<p class="related__excerpt">(.*?)</p>',
            section,
            re.S,
        )
        self.assertIsNotNone(excerpt, section)
        self.assertTrue(excerpt[1].endswith("…"), excerpt[1])
        self.assertLessEqual(len(excerpt[1].split()), 31)

    def test_related_speeches_are_loaded_in_one_query(self):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                self.get(self.speech)
            return len(captured)

        two = queries()
        for n in range(3):
            make_speech(
                debate=make_debate(title=f"Quotas {n}", date=self.day),
                text="Herring and mackerel quotas for the trawlers of the harbours.",
            )
        self.index_everything()
        self.assertEqual(len(related_links(self.get(self.speech))), RELATED_SPEECHES)
        self.assertEqual(queries(), two)

    def test_at_most_five(self):
        for n in range(7):
            make_speech(
                debate=make_debate(title=f"Quotas {n}", date=self.day),
                text="Herring and mackerel quotas for the trawlers of the harbours.",
            )
        self.index_everything()
        self.assertEqual(len(related_links(self.get(self.speech))), RELATED_SPEECHES)

    def test_the_page_without_related_speeches_has_no_section(self):
        lonely = make_speech(
            debate=self.schools, text="Zygotes xylophones quarks: words nobody else said."
        )
        self.index_everything()
        response = self.get(lonely)
        self.assertNotContains(response, "Related speeches")
        self.assertNotContains(response, 'class="related')
        self.assertContains(response, "Zygotes xylophones quarks")

    def test_a_speech_deleted_since_indexing_is_left_out(self):
        url = self.other.get_absolute_url()
        Speech.objects.filter(pk=self.other.pk).delete()  # a bulk delete: no signal, no queue
        links = related_links(self.get(self.speech))
        self.assertNotIn(url, links)
        self.assertIn(self.another.get_absolute_url(), links)

    def test_the_page_renders_when_the_index_cannot_open(self):
        with unopenable_index(), self.assertLogs("search.related", "ERROR") as logs:
            response = self.get(self.speech)
        self.assertNotContains(response, "Related speeches")
        self.assertContains(response, "Fishing quotas in the North Sea")
        self.assertIn(f"speech {self.speech.pk}", logs.output[0])


class KeyTermTests(IndexTestCase):
    def test_words_no_other_speech_has_do_not_crowd_out_the_shared_ones(self):
        """Whoosh's key terms are the speech's rarest words; names and slips found nowhere
        else would be all five of them and find nothing."""
        unique = "Zorblax Quintrell Vexamor Plinthwick Gorvanth Sklerrit"
        shared = "Fishing quotas protect trawlers and harbours."
        speech = make_speech(debate=make_debate(title="Fisheries"), text=f"{unique}. {shared}")
        other = make_speech(
            debate=make_debate(title="Quotas", date=datetime.date(2023, 1, 5)),
            text="Trawlers in our harbours need fair fishing quotas.",
        )
        make_speech(
            debate=make_debate(title="Schools", date=datetime.date(2022, 1, 5)),
            text="Teachers deserve classrooms with working radiators.",
        )
        self.index_everything()
        from haystack.query import SearchQuerySet

        found = [int(result.pk) for result in SearchQuerySet().more_like_this(speech)]
        self.assertEqual(found, [other.pk])

    def test_only_the_slice_asked_for_is_built_and_loaded(self):
        """Haystack's run_mlt passed no offsets: `more_like_this(speech)[:3]` built a result
        (and load_all() loaded a speech) for every match (search.whoosh.lookups)."""
        from haystack.query import SearchQuerySet

        source = make_speech(debate=make_debate(title="Fish"), text="Trawlers and harbours.")
        for n in range(8):
            make_speech(
                debate=make_debate(title=f"Harbours {n}", date=datetime.date(2020, 1, n + 1)),
                text=f"Our trawlers leave the harbours, said speaker {n}.",
            )
        self.index_everything()
        results = SearchQuerySet().more_like_this(source).load_all()
        self.assertEqual(len(results[:3]), 3)
        self.assertEqual(len(results.query._results), 3)  # what the engine handed back
        self.assertEqual(results.count(), 8)

"""Search through Haystack against a real Whoosh index in a temporary directory (see
tests/runner.py): the page, its facets, filters, sorting and paging checked against the
database, and the index following what is loaded, replaced, edited and deleted."""

import datetime
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path
from unittest.mock import patch

from django.conf import settings
from django.db import connection, transaction
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from haystack import connections
from haystack.query import SearchQuerySet
from whoosh import query as whoosh_query

from debates.choices import House
from debates.ingest.importers.manifest import parse_manifest
from debates.ingest.importers.transcript import DebateMetadata
from debates.ingest.loading import load_file
from debates.models import Speech
from search import indexing
from search.analysis import stems
from search.whoosh.queries import AdjacentPhrase
from tests.factories import make_debate, make_member, make_speech
from tests.search.engine import another_writer, segment_count, whoosh_only, xapian_engine

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"


def backend():
    return connections["default"].get_backend()


def indexed_ids(**filters) -> set[int]:
    return {int(result.pk) for result in SearchQuerySet().filter(**filters)}


def result_ids(response) -> list[int]:
    """Speech ids of the results, in order, from their permalinks."""
    ids = []
    for date, slug, position in re.findall(
        r'href="/debates/(\d{4}-\d\d-\d\d)/([\w-]+)/(\d+)/"', response.content.decode()
    ):
        ids.append(Speech.objects.get(debate__date=date, debate__slug=slug, position=position).id)
    return ids


def facet_counts(response, name) -> dict[str, int]:
    """{label: count} of one facet as the page shows it."""
    html = response.content.decode()
    section = re.search(rf'<section class="facet facet--{name}".*?</section>', html, re.S)
    if not section:
        return {}
    return {
        label.strip(): int(count)
        for label, count in re.findall(
            r'facet__label">(.*?)</span>.*?<span class="facet__count">(\d+)<', section[0], re.S
        )
    }


class IndexTestCase(TestCase):
    def setUp(self):
        backend().clear()

    def index_everything(self):
        indexing.enqueue(Speech.objects.values_list("id", flat=True), deliver=False)
        indexing.drain()


class IndexFollowsDataTests(IndexTestCase):
    def load(self, name, text=None, **kw):
        raw = text.encode() if text is not None else (SEEDS / name).read_bytes()
        with self.captureOnCommitCallbacks(execute=True):
            return load_file(raw, name=name, **kw)

    def test_loading_indexes_exactly_the_new_speeches(self):
        for name, metadata in parse_manifest((SEEDS / "manifest.json").read_bytes()).items():
            self.load(name, metadata=metadata)
        self.assertEqual(indexed_ids(), set(Speech.objects.values_list("id", flat=True)))
        self.assertEqual(len(indexed_ids()), 5)

    def test_replacing_removes_the_old_speeches_from_the_index(self):
        meta = DebateMetadata(title="Test", date=datetime.date(2024, 1, 2))
        self.load(
            "a.txt",
            "Will the Minister count zebras?\nI thank the hon. Lady for that.",
            metadata=meta,
        )
        old = indexed_ids()
        self.assertEqual(len(old), 2)
        self.load("b.txt", "Giraffes instead.", metadata=meta, replace=True)
        self.assertEqual(indexed_ids(), set(Speech.objects.values_list("id", flat=True)))
        self.assertFalse(old & indexed_ids())
        self.assertEqual(SearchQuerySet().auto_query("zebras").count(), 0)
        self.assertEqual(SearchQuerySet().auto_query("giraffes").count(), 1)

    def test_a_rolled_back_load_leaves_no_trace_in_the_index(self):
        meta = DebateMetadata(title="Rolled back", date=datetime.date(2024, 1, 3))
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            load_file(b"Okapis are rare.", name="c.txt", metadata=meta)
            transaction.set_rollback(True)
        self.assertEqual(Speech.objects.count(), 0)
        self.assertEqual(SearchQuerySet().auto_query("okapis").count(), 0)

    def test_deleting_a_debate_or_a_speech_removes_it_from_the_index(self):
        debate = make_debate(speeches=3)
        lone = make_speech(debate=make_debate(), text="Alone here.")
        self.index_everything()
        self.assertEqual(len(indexed_ids()), 4)
        with self.captureOnCommitCallbacks(execute=True):
            debate.delete()
        self.assertEqual(indexed_ids(), {lone.id})
        with self.captureOnCommitCallbacks(execute=True):
            lone.delete()
        self.assertEqual(indexed_ids(), set())

    def test_a_rolled_back_delete_keeps_the_speech_in_the_index(self):
        speech_id = make_speech(debate=make_debate(), text="Still here.").id
        self.index_everything()
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            Speech.objects.get(id=speech_id).delete()
            transaction.set_rollback(True)
        indexing.drain()  # a later drain must not remove what the rollback restored
        self.assertEqual(indexed_ids(), {speech_id})

    def test_editing_a_member_speech_or_debate_updates_the_index(self):
        member = make_member(name="Ada Lovelace", party="Whig")
        debate = make_debate(title="Engines")
        speech = make_speech(debate=debate, member=member, text="Analytical engines.")
        self.index_everything()
        self.assertEqual(indexed_ids(party_exact__exact="Whig"), {speech.id})
        with self.captureOnCommitCallbacks(execute=True):
            member.party = "Liberal Democrat"
            member.save()
        self.assertEqual(indexed_ids(party_exact__exact="Liberal Democrat"), {speech.id})
        self.assertEqual(indexed_ids(party_exact__exact="Whig"), set())
        with self.captureOnCommitCallbacks(execute=True):
            speech.text = "Difference engines."
            speech.save()
        self.assertEqual(SearchQuerySet().auto_query("difference").count(), 1)
        with self.captureOnCommitCallbacks(execute=True):
            debate.house = House.LORDS
            debate.save()
        self.assertEqual(indexed_ids(house__exact="lords"), {speech.id})

    def test_a_delete_waits_for_another_writers_lock_instead_of_being_lost(self):
        speech = make_speech(debate=make_debate(), text="Locked out.")
        self.index_everything()
        other = another_writer()  # another process's writer, say

        def release_later():
            time.sleep(0.6)
            other.cancel()

        threading.Thread(target=release_later).start()
        started = time.monotonic()
        with self.captureOnCommitCallbacks(execute=True):
            speech.delete()
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertEqual(indexed_ids(), set())

    def test_a_lock_held_too_long_keeps_the_change_queued_and_says_so(self):
        speech = make_speech(debate=make_debate(), text="Patience.")
        speech_id = speech.id
        self.index_everything()
        other = another_writer()
        with (
            patch.object(indexing, "WAIT_AFTER_COMMIT", 0.2),
            self.assertLogs("search.indexing", "WARNING") as logs,
            self.captureOnCommitCallbacks(execute=True),
        ):
            speech.delete()  # the delete commits; the index cannot follow yet
        self.assertIn("1 speech still queued", logs.output[0])
        self.assertIn("index_queue", logs.output[0])
        self.assertEqual(indexed_ids(), {speech_id})  # not yet removed
        self.assertEqual(indexing.queue_status()[0], 1)
        other.cancel()
        self.assertEqual(indexing.drain().written, 1)  # the next drain delivers it
        self.assertEqual(indexed_ids(), set())
        self.assertEqual(indexing.queue_status()[0], 0)

    def test_prepare_fills_every_field_of_the_index(self):
        index = connections["default"].get_unified_index().get_index(Speech)
        member = make_member(name="Ada Lovelace", party="Whig")
        speech = make_speech(debate=make_debate(), member=member, text="Engines.")
        prepared = index.full_prepare(Speech.objects.with_context().get(id=speech.id))
        self.assertEqual(
            {field.index_fieldname for field in index.fields.values()} - set(prepared), set()
        )
        self.assertEqual(prepared["party_exact"], "Whig")
        self.assertEqual(prepared["member"], str(member.id))

    def test_rebuild_index_rebuilds_everything(self):
        from django.core.management import call_command

        make_debate(speeches=4)
        call_command("rebuild_index", interactive=False, verbosity=0)
        self.assertEqual(indexed_ids(), set(Speech.objects.values_list("id", flat=True)))


@whoosh_only("Chamber's Whoosh phrase query against Whoosh's own")
class PhraseTests(IndexTestCase):
    """Chamber's phrase matching (backends.AdjacentPhrase) against Whoosh's own, on one index:
    the same documents with the same scores, with deletions and several segments."""

    TEXTS = [
        "The hon. Member for Aytown spoke.",
        "Member, hon. reversed.",
        "The hon. hon. Member twice.",
        "The hon. and learned Member.",
        "The hon. Gentleman, not a Member here.",
        "A humanitarian pause now.\nAnd a humanitarian pause later.",
        "Pause, humanitarian.",
        "The hon. Member and the hon. Member again, hon. Member.",
    ]
    PHRASES = [
        "hon member",
        "hon hon member",
        "hon learned member",
        "humanitarian pause",
        "pause humanitarian",
        "member hon",
        "hon gentleman member",
        "zebra hon",
    ]

    def assert_same_as_whoosh(self):
        searcher, field = backend().searcher(), backend().content_field_name
        matched = 0
        for phrase in self.PHRASES:
            with self.subTest(phrase=phrase, segments=len(searcher.reader().leaf_readers())):
                words = stems(phrase)
                theirs = searcher.search(whoosh_query.Phrase(field, words), limit=None)
                ours = searcher.search(AdjacentPhrase(field, words), limit=None)
                self.assertEqual(
                    {hit.docnum: round(hit.score, 9) for hit in ours},
                    {hit.docnum: round(hit.score, 9) for hit in theirs},
                )
                matched += bool(len(theirs))
                if not searcher.is_atomic():  # all segments at once: the fallback path
                    whole = AdjacentPhrase(field, words).matcher(searcher)
                    self.assertEqual(set(whole.all_ids()), {hit.docnum for hit in theirs})
        self.assertGreaterEqual(matched, 5)

    def test_adjacent_phrase_matches_and_scores_as_whooshs_phrase_does(self):
        debate = make_debate()
        speeches = [make_speech(debate=debate, text=text) for text in self.TEXTS]
        self.index_everything()
        self.assert_same_as_whoosh()
        self.assertIsInstance(backend()._parse('"hon member"'), AdjacentPhrase)

        # A deleted document is skipped; a second segment is read as the first.
        with self.captureOnCommitCallbacks(execute=True):
            speeches[0].delete()
            make_speech(debate=debate, text="Another hon. Member, later.", position=99)
        self.assertEqual(segment_count(), 2)
        self.assert_same_as_whoosh()


class ExactCountTests(IndexTestCase):
    """Totals and facet counts count every match, even where Whoosh could stop early for
    the top results: here 25 strong matches in one segment, then 15 weak ones in another."""

    def test_totals_and_facets_count_weak_matches_in_later_segments(self):
        strong = make_debate(title="Strong", date=datetime.date(2020, 1, 1))
        for n in range(25):  # each stronger than the last, so the top 20 keep changing
            make_speech(debate=strong, text="Housing schools. " * (n + 1))
        self.index_everything()
        weak = make_debate(title="Weak", date=datetime.date(2021, 1, 1))
        filler = " ".join(f"filler{n}" for n in range(80))
        for _ in range(15):
            make_speech(debate=weak, text=f"{filler} housing schools {filler}.")
        indexing.enqueue(weak.speeches.values_list("id", flat=True), deliver=False)
        indexing.drain()
        if not xapian_engine():  # Xapian has no segments: one B-tree per shard
            self.assertEqual(segment_count(), 2)

        for q in ["housing OR schools", '"housing schools"', "housing schools"]:
            with self.subTest(q=q):
                response = self.client.get("/search/", {"q": q})
                self.assertContains(response, "Results 1–20 of 40")
                self.assertEqual(facet_counts(response, "year"), {"2020": 25, "2021": 15})
                second = self.client.get("/search/", {"q": q, "page": "2"})
                self.assertEqual(len(result_ids(second)), 20)


class SearchDataMixin:
    """Twelve speeches over two Houses, three years, three parties and an unknown speaker."""

    @classmethod
    def setUpTestData(cls):
        cls.lab = make_member(name="Ann Able", party="Labour", constituency="Aytown")
        cls.ld = make_member(name="Ben Bold", party="Liberal Democrat", constituency="Beeton")
        cls.snp = make_member(name="Cat Cole", party="Scottish National Party")
        cls.debates = [
            make_debate(title="Gaza", date=datetime.date(2022, 5, 4)),
            make_debate(title="Energy", date=datetime.date(2023, 6, 7)),
            make_debate(title="Energy", slug="energy-2", date=datetime.date(2024, 2, 1)),
            make_debate(title="Aid", date=datetime.date(2024, 3, 5), house=House.LORDS),
        ]
        texts = [
            "We call for an immediate ceasefire.\nA humanitarian pause first.",
            "Ceasefire now.",
            "Energy prices are too high.",
            "The humanitarian situation is grave.\nWe need a pause, humanitarian or not.",
        ]
        speakers = [cls.lab, cls.ld, cls.snp, None]
        for n in range(12):
            make_speech(
                debate=cls.debates[n % 4],
                member=speakers[n % 4] if n % 3 else speakers[(n + 1) % 4],
                text=texts[n % 4] if n % 5 else texts[(n + 1) % 4],
            )

    def setUp(self):
        super().setUp()
        self.index_everything()

    def db_matches(self, word):
        return Speech.objects.filter(text__icontains=word)


class SearchPageTests(SearchDataMixin, IndexTestCase):
    def search(self, status=200, **params):
        response = self.client.get("/search/", params)
        self.assertEqual(response.status_code, status, response.content.decode()[:3000])
        return response

    def test_results_link_to_the_matching_sentence_with_the_word_highlighted(self):
        response = self.search(q="ceasefires")
        total = self.db_matches("ceasefire").count()
        self.assertContains(response, f"Results 1–{total} of {total}")
        speech = Speech.objects.filter(text__startswith="Ceasefire now").first()
        self.assertContains(
            response,
            f'href="{speech.debate.get_absolute_url()}?highlight=ceasefires#{speech.anchor}-1"',
        )
        self.assertContains(response, "<mark>Ceasefire</mark> now.")
        self.assertContains(self.search(q="humanitarian"), "Speaker not recorded")

    def test_a_phrase_is_highlighted_as_a_phrase_and_matches_only_in_order(self):
        response = self.search(q='"humanitarian pause"')
        self.assertContains(response, "<mark>humanitarian pause</mark>")
        self.assertNotContains(response, "<mark>humanitarian</mark>")
        expected = set(self.db_matches("humanitarian pause").values_list("id", flat=True))
        self.assertEqual(set(result_ids(response)), expected)
        self.assertTrue(expected)

    def test_exclusion_and_or(self):
        excluded = self.search(q="humanitarian -ceasefire")
        expected = set(
            self.db_matches("humanitarian")
            .exclude(text__icontains="ceasefire")
            .values_list("id", flat=True)
        )
        self.assertEqual(set(result_ids(excluded)), expected)
        either = self.search(q="energy OR ceasefire")
        expected = {
            s.id
            for s in Speech.objects.all()
            if "energy" in s.text.lower() or "ceasefire" in s.text.lower()
        }
        self.assertEqual(set(result_ids(either)), expected)

    def test_speaker_party_and_house_prefixes(self):
        by_speaker = self.search(q="speaker:bold")
        self.assertEqual(
            set(result_ids(by_speaker)),
            set(Speech.objects.filter(member=self.ld).values_list("id", flat=True)),
        )
        by_party = self.search(q='party:"liberal democrat"')
        self.assertEqual(set(result_ids(by_party)), set(result_ids(by_speaker)))
        lords = self.search(q="house:lords")
        self.assertEqual(
            set(result_ids(lords)),
            set(Speech.objects.filter(debate__house="lords").values_list("id", flat=True)),
        )

    def test_title_prefix_searches_debate_titles(self):
        response = self.search(q="title:energies")
        expected = set(Speech.objects.filter(debate__title="Energy").values_list("id", flat=True))
        self.assertEqual(set(result_ids(response)), expected)
        self.assertTrue(expected)
        self.assertEqual(
            set(result_ids(self.search(q="title:gaza -title:energy"))),
            set(Speech.objects.filter(debate__title="Gaza").values_list("id", flat=True)),
        )

    def test_the_debate_page_marks_the_words_the_search_matched(self):
        response = self.search(q='"humanitarian pause" -energy speaker:able')
        link = re.search(r'class="result__title"><a href="([^"]+)"', response.content.decode())
        self.assertIn("?highlight=%22humanitarian+pause%22#", link[1])
        page = self.client.get(link[1].split("#")[0])
        self.assertContains(page, "<mark>humanitarian pause</mark>")
        self.assertNotContains(page, "<mark>humanitarian</mark>")  # the phrase, not its words
        self.assertNotContains(page, "<mark>energy</mark>")  # excluded words are not marked
        self.assertContains(page, "Hide the marks")
        canonical = f'<link rel="canonical" href="http://testserver{link[1].split("?")[0]}">'
        self.assertContains(page, canonical)  # one address for search engines, marks or not
        self.assertNotContains(self.client.get(link[1].split("?")[0]), "<mark>")

    def test_the_speech_page_marks_words_too(self):
        speech = Speech.objects.filter(text__startswith="Ceasefire now").first()
        page = self.client.get(speech.get_absolute_url(), {"highlight": "ceasefires"})
        self.assertContains(page, "<mark>Ceasefire</mark> now.")

    def test_highlighting_costs_no_queries_and_treats_junk_as_nothing_to_mark(self):
        url = self.debates[0].get_absolute_url()
        with self.assertNumQueries(4):
            self.client.get(url)
        with self.assertNumQueries(4):
            marked = self.client.get(url, {"highlight": "ceasefire humanitarian"})
        texts = " ".join(self.debates[0].speeches.values_list("text", flat=True)).lower()
        expected = len(re.findall(r"\b(?:ceasefire|humanitarian)\b", texts))
        self.assertGreater(expected, 1)
        self.assertContains(marked, "<mark>", count=expected + 1)  # and the note's own
        for junk in ["", "the of", "-", '"', "\x00", "<script>alert(1)</script>", "x" * 10_000]:
            with self.subTest(junk=junk[:20]):
                page = self.client.get(url, {"highlight": junk})
                self.assertEqual(page.status_code, 200)
                self.assertNotContains(page, "<script>alert")
        script = self.client.get(url, {"highlight": "<script>ceasefire"})
        self.assertContains(script, "<q>&lt;script&gt;ceasefire</q>")

    def test_each_facet_counts_what_the_database_counts(self):
        response = self.search(q="humanitarian")
        matches = self.db_matches("humanitarian").select_related("member", "debate")
        expected = {
            "party": Counter(s.member.party for s in matches if s.member),
            "member": Counter(s.member.name for s in matches if s.member),
            "year": Counter(str(s.debate.date.year) for s in matches),
            "house": Counter(s.debate.get_house_display() for s in matches),
            "debate": Counter(f"{s.debate.title}, {s.debate.date:%-d %b %Y}" for s in matches),
        }
        for name, counts in expected.items():
            with self.subTest(facet=name):
                self.assertEqual(facet_counts(response, name), dict(counts))
        # Exact values: multi-word parties stay whole.
        everything = facet_counts(self.search(), "party")
        self.assertEqual(set(everything), {"Labour", "Liberal Democrat", "Scottish National Party"})

    def test_filters_combine_and_agree_with_the_database(self):
        response = self.search(
            q="humanitarian",
            party=["Labour", "Liberal Democrat"],
            year="2024",
            date_from="2024-01-01",
            date_to="2024-02-28",
        )
        expected = set(
            self.db_matches("humanitarian")
            .filter(
                member__party__in=["Labour", "Liberal Democrat"],
                debate__date__year=2024,
                debate__date__range=("2024-01-01", "2024-02-28"),
            )
            .values_list("id", flat=True)
        )
        self.assertEqual(set(result_ids(response)), expected)
        total = len(expected)
        self.assertContains(response, f"of {total}" if total else "No speeches match")

    def test_a_selected_facet_shows_as_a_removable_chip_and_keeps_its_siblings(self):
        response = self.search(q="humanitarian", party="Labour")
        chip = re.search(r'<a class="chip" href="([^"]+)">Party: Labour', response.content.decode())
        self.assertIsNotNone(chip)
        self.assertNotIn("party=", chip[1])
        self.assertIn("q=humanitarian", chip[1])
        # The party list still counts the other parties, so a second one can be added.
        unfiltered = self.search(q="humanitarian")
        self.assertEqual(facet_counts(response, "party"), facet_counts(unfiltered, "party"))
        # And the other facets count only Labour's speeches.
        labour = self.db_matches("humanitarian").filter(member__party="Labour")
        self.assertEqual(sum(facet_counts(response, "year").values()), labour.count())

    def test_date_range_agrees_with_the_database(self):
        for start, end in [("2022-05-04", "2022-05-04"), ("2023-01-01", "2024-02-01"), ("", "")]:
            with self.subTest(start=start, end=end):
                response = self.search(date_from=start, date_to=end)
                speeches = Speech.objects.all()
                if start:
                    speeches = speeches.filter(debate__date__range=(start, end))
                self.assertEqual(
                    set(result_ids(response)), set(speeches.values_list("id", flat=True))
                )

    def test_sort_orders(self):
        newest = [Speech.objects.get(id=i).debate.date for i in result_ids(self.search())]
        self.assertEqual(newest, sorted(newest, reverse=True))
        self.assertEqual(len(newest), 12)
        oldest = self.search(sort="oldest", q="humanitarian")
        dates = [Speech.objects.get(id=i).debate.date for i in result_ids(oldest)]
        self.assertEqual(dates, sorted(dates))
        self.assertContains(self.search(q="humanitarian"), 'aria-current="true">Best match<')

    def test_pagination_edges(self):
        debate = make_debate(title="Long", date=datetime.date(2020, 1, 1))
        for _ in range(33):
            make_speech(debate=debate, text="Quokkas everywhere.")
        self.index_everything()
        self.assertContains(self.search(q="quokka"), "Results 1–20 of 33")
        last = self.search(q="quokka", page="2")
        self.assertContains(last, "Results 21–33 of 33")
        self.assertEqual(len(result_ids(last)), 13)
        for page in ["99999", "abc", "0", "-1", "2.5"]:
            with self.subTest(page=page):
                response = self.search(q="quokka", page=page)
                self.assertContains(response, "of 33")
        self.assertContains(self.search(q="quokka", page="99999"), "Results 21–33")

    def test_did_you_mean_for_a_misspelling_only(self):
        response = self.search(q="ceasfire")
        self.assertContains(response, "Did you mean")
        self.assertContains(response, "<strong>ceasefire</strong>")
        self.assertNotContains(self.search(q="ceasefire"), "Did you mean")
        self.assertNotContains(self.search(q="qwxzptv"), "Did you mean")

    def test_empty_query_shows_everything_newest_first_with_facets(self):
        response = self.search()
        self.assertContains(response, "Results 1–12 of 12")
        self.assertEqual(sum(facet_counts(response, "year").values()), 12)

    def test_the_page_costs_the_same_queries_however_many_results(self):
        def queries(**params):
            with CaptureQueriesContext(connection) as captured:
                self.search(**params)
            return len(captured)

        self.assertEqual(queries(q="humanitarian"), queries(q="ceasefire OR energy"))
        self.assertLessEqual(queries(), 4)

    def test_member_page_searches_only_that_member(self):
        page = self.client.get(self.lab.get_absolute_url())
        self.assertContains(page, f'name="member" value="{self.lab.id}"')
        response = self.search(q="humanitarian", member=str(self.lab.id))
        expected = set(
            self.db_matches("humanitarian").filter(member=self.lab).values_list("id", flat=True)
        )
        self.assertEqual(set(result_ids(response)), expected)
        # Refining keeps the restriction: the form carries it.
        self.assertContains(response, f'<input type="hidden" name="member" value="{self.lab.id}">')

    def test_a_selection_follows_the_index_after_a_change(self):
        labour = set(result_ids(self.search(party="Labour")))
        self.assertEqual(labour, set(self.lab.speeches.values_list("id", flat=True)))
        with self.captureOnCommitCallbacks(execute=True):
            self.ld.party = "Labour"
            self.ld.save()
        both = set(result_ids(self.search(party="Labour")))
        self.assertEqual(both, labour | set(self.ld.speeches.values_list("id", flat=True)))

    def test_deleted_speeches_never_show(self):
        Speech.objects.filter(text__icontains="energy").delete()  # index not yet told
        response = self.search(q="energy")
        self.assertEqual(result_ids(response), [])


class BadInputTests(SearchDataMixin, IndexTestCase):
    def test_awkward_queries_answer_200_with_results_or_a_message(self):
        cases = {
            '"unbalanced': "not closed",
            "-": "nothing to search for",
            "*": "nothing to search for",
            "the of and": "not indexed",
            "colour:red": "colour:”, so it searched for the words",
            "house:mars": "commons or lords",
            "\x00\x07ceasefire": "Results 1",
            "Ωμέγα 日本語": "No speeches match",
            "ceasefire OR": "Results 1",
            "-ceasefire": "Results 1",
            "speaker:": "No speeches match",
            "OR AND NOT": "Results 1",
        }
        for q, expected in cases.items():
            with self.subTest(q=q):
                response = self.client.get("/search/", {"q": q})
                self.assertContains(response, expected, status_code=200)

    def test_bad_parameters_are_a_400_with_a_message(self):
        cases = [
            ({"q": "a" * 10_000}, "Please shorten your search"),
            ({"sort": "sideways"}, "Select a valid choice"),
            ({"party": 'Lab"our'}, "is not a party"),
            ({"member": "abc"}, "is not a member"),
            ({"year": "20245"}, "is not a year"),
            ({"debate": "-1"}, "is not a debate"),
            ({"house": "senate"}, "is not a house"),
            ({"date_from": "2023-02-30"}, "Enter a valid date"),
            ({"date_from": "0001-01-01"}, "Choose a date between"),
            ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "before the “from” date"),
        ]
        for params, message in cases:
            with self.subTest(params=params):
                response = self.client.get("/search/", params)
                self.assertContains(response, message, status_code=400)

    def test_unknown_but_well_formed_selections_give_no_results_not_errors(self):
        response = self.client.get("/search/", {"member": "999999", "debate": "424242"})
        self.assertContains(response, "No speeches match these filters")

    def test_markup_is_escaped_never_reflected(self):
        response = self.client.get(
            "/search/", {"q": "<script>alert(1)</script>", "date_from": "<b>x</b>"}
        )
        self.assertNotContains(response, "<script>alert(1)</script>", status_code=400)
        self.assertNotContains(response, "<b>x</b>", status_code=400)
        response = self.client.get("/search/", {"q": "<script>alert(1)</script>"})
        self.assertNotContains(response, "<script>alert", status_code=200)
        self.assertContains(response, "&lt;script&gt;")

    def test_indexed_markup_is_escaped_in_snippets(self):
        make_speech(debate=self.debates[0], text="Aid must reach <Gaza> by sea.")
        self.index_everything()
        response = self.client.get("/search/", {"q": "sea"})
        self.assertNotContains(response, "<Gaza>")
        self.assertContains(response, "&lt;Gaza&gt;")


class SectionTests(IndexTestCase):
    """A debate's sections (ParlParse minor headings): results name them, `title:` finds them."""

    def test_results_name_the_section_and_title_prefix_finds_it(self):
        excerpt = Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "uploads"
        raw = (excerpt / "hansard_commons_2023-03-28_justice.txt").read_bytes()
        with self.captureOnCommitCallbacks(execute=True):
            load_file(raw, name="justice.txt")
        answer = Speech.objects.get(text__contains="zero-tolerance approach")
        self.assertEqual(answer.heading, "")  # the heading is printed before the question
        self.assertEqual(answer.section, "Violence against Women and Girls")
        response = self.client.get("/search/", {"q": "zero-tolerance"})
        self.assertContains(
            response, "Justice: Violence against Women and Girls</a></h3>", html=False
        )
        found = self.client.get("/search/", {"q": "title:violence"})
        self.assertEqual(
            set(result_ids(found)),
            set(Speech.objects.filter(section__contains="Violence").values_list("id", flat=True)),
        )
        self.assertEqual(len(result_ids(found)), 4)


class FacetValuesInTheRunningTests(SimpleTestCase):
    """The facet values whose names are read are enough to show the same first FACET_MAX as
    sorting every value would (many ties at the cut, selections, fewer values than places)."""

    def test_the_shown_values_are_those_of_the_whole_sort(self):
        from search.views import FACET_MAX, in_the_running

        rng = random.Random(7)
        fewer = 0
        for case in range(300):
            values = {f"v{i}": rng.choice((0, 1, 2, 3, 5, 8)) for i in range(rng.randint(0, 90))}
            choices = [*sorted(values), "gone"]
            selected = rng.sample(choices, k=min(len(choices), rng.randint(0, 3)))
            for value in selected:
                values.setdefault(value, 0)

            def first(candidates: dict[str, int], selected: list[str] = selected) -> list[str]:
                key = lambda kv: (kv[0] not in selected, -kv[1], kv[0])  # noqa: E731
                return [value for value, _ in sorted(candidates.items(), key=key)][:FACET_MAX]

            with self.subTest(case=case):
                running = in_the_running(values, selected)
                self.assertEqual(first(running), first(values))
                fewer += len(running) < len(values)
        self.assertGreater(fewer, 50)  # the point: fewer names to read

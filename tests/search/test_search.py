"""Search through Haystack against a real Whoosh index in a temporary directory (see
tests/runner.py), and the index following what `load_file` writes."""

import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test import TestCase
from haystack import connections
from haystack.query import SearchQuerySet

from debates.importers.manifest import parse_manifest
from debates.importers.transcript import DebateMetadata
from debates.loading import load_file
from debates.models import Speech
from search.indexing import sync
from tests.factories import make_debate, make_speech

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"


def clear_index():
    connections["default"].get_backend().clear()


def indexed_ids() -> set[int]:
    return {int(result.pk) for result in SearchQuerySet().all()}


class IndexFollowsLoadsTests(TestCase):
    def setUp(self):
        clear_index()

    def load(self, name, text=None, **kw):
        raw = text.encode() if text is not None else (SEEDS / name).read_bytes()
        with self.captureOnCommitCallbacks(execute=True):
            return load_file(raw, name=name, **kw)

    def test_loading_indexes_exactly_the_new_speeches(self):
        manifest = parse_manifest((SEEDS / "manifest.json").read_bytes())
        for name, metadata in manifest.items():
            self.load(name, metadata=metadata)
        self.assertEqual(indexed_ids(), set(Speech.objects.values_list("id", flat=True)))
        self.assertEqual(len(indexed_ids()), 5)

    def test_replacing_removes_the_old_speeches_from_the_index(self):
        meta = DebateMetadata(title="Test", date=datetime.date(2024, 1, 2))
        self.load(
            "a.txt", "Zebras are discussed.\nThe hon. Lady will know the answer.", metadata=meta
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


class SearchPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.debate = make_debate(title="Israel and Gaza", speeches=0)
        cls.first = make_speech(debate=cls.debate, text="We call for an immediate ceasefire.")
        cls.second = make_speech(debate=cls.debate, text="Aid must reach <Gaza> by sea.")

    def setUp(self):
        clear_index()
        sync(debate_ids=[self.debate.id])

    def test_results_link_to_the_speech_with_the_word_highlighted(self):
        response = self.client.get("/search/", {"q": "ceasefire"})
        self.assertContains(response, "Results 1–1 of 1")
        self.assertContains(response, f'href="{self.first.get_debate_url()}"')
        self.assertContains(response, "Speaker not recorded")
        self.assertRegex(
            response.content.decode(), r"<em>ceasefire</em>|class=\"highlighted\">ceasefire"
        )

    def test_no_match_says_so(self):
        response = self.client.get("/search/", {"q": "hippopotamus"})
        self.assertContains(response, "No speeches match")

    def test_empty_query_lists_everything(self):
        response = self.client.get("/search/")
        self.assertContains(response, "Results 1–2 of 2, newest first")

    def test_markup_is_escaped_not_reflected(self):
        response = self.client.get("/search/", {"q": "<script>alert(1)</script>"})
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "<script>alert(1)</script>")
        indexed_markup = self.client.get("/search/", {"q": "sea"})
        self.assertNotContains(indexed_markup, "<Gaza>")
        self.assertContains(indexed_markup, "&lt;Gaza&gt;")

    def test_awkward_queries_answer_without_error(self):
        for q in [
            '"unbalanced',
            "-",
            "*",
            "AND",
            "the of and",
            "speaker:",
            "\x00\x07ceasefire",
            "Ωμέγα",
        ]:
            with self.subTest(q=q):
                self.assertEqual(self.client.get("/search/", {"q": q}).status_code, 200)

    def test_too_long_a_query_is_a_400_with_a_message(self):
        response = self.client.get("/search/", {"q": "a" * 10_000})
        self.assertContains(response, "Please shorten your search", status_code=400)

    def test_bad_page_numbers_fall_back_to_a_real_page(self):
        for page in ["abc", "99999", "0"]:
            with self.subTest(page=page):
                self.assertContains(self.client.get("/search/", {"page": page}), "of 2")

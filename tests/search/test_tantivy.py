"""What the Tantivy engine (search.tantivy) does that the parity tests cannot show: phrases
keep their stop words, "hon." is the word "hon", a writer waits for the lock and then
says who holds it, a site switched to Tantivy by SEARCH_ENGINE rebuilds and finds its
debates, and a load killed mid-write on Tantivy loses nothing. Each runs on a Tantivy
index of its own, whatever engine the suite runs with."""

import datetime
import os
import shutil
import tempfile
import threading
import time
import unittest

import tantivy
from django.conf import settings
from django.test import SimpleTestCase, TestCase, tag
from haystack import connections
from haystack.query import SearchQuerySet
from haystack.utils.loading import UnifiedIndex

from debates.models import Debate, Speech
from search.engines import IndexBusy
from search.search_indexes import SpeechIndex
from search.tantivy import analysis
from search.tantivy.engine import BULK_THRESHOLD
from search.tantivy.facets import BUCKET_LIMIT
from search.tantivy.writing import KEEP
from search.whoosh.writers import record_holder, release_holder
from tests.factories import make_debate, make_speech
from tests.search.engine import OWN_ENGINE, SwitchedSite
from tests.search.test_faults import KilledLoadTests

ALIAS = "tantivy-only"


@tag(OWN_ENGINE)
class TantivyTestCase(TestCase):
    """A connection of its own to a Tantivy index in a temporary folder, with the site's
    speech index; `index()` writes every speech to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = tempfile.mkdtemp(prefix="chamber-tantivy-")
        connections.connections_info[ALIAS] = {
            "ENGINE": "search.tantivy.Engine",
            "PATH": cls.folder,
            "LOCK_TIMEOUT": 5,
        }
        unified = UnifiedIndex()
        unified.build(indexes=[SpeechIndex()])
        connections.reload(ALIAS)._index = unified

    @classmethod
    def tearDownClass(cls):
        connections[ALIAS].get_backend().writers.release()  # a bulk write's kept writer
        del connections.connections_info[ALIAS]
        connections.thread_local.connections.pop(ALIAS, None)
        shutil.rmtree(cls.folder, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.backend = connections[ALIAS].get_backend()
        self.backend.clear()

    def index(self) -> int:
        speeches = list(SpeechIndex().index_queryset())
        return self.backend.write(SpeechIndex(), lambda: (speeches, ()), expected=len(speeches))

    def found(self, query: str) -> set[int]:
        return {int(result.pk) for result in SearchQuerySet(using=ALIAS).auto_query(query)}


class AnalysisTests(TantivyTestCase):
    def test_hon_is_a_word_and_a_dotted_word_is_its_parts(self):
        self.assertEqual(
            analysis.stemmed().analyze("The hon. Member for the U.K. spoke 1.5 times"),
            ["the", "hon", "member", "for", "the", "u", "k", "spoke", "1", "5", "time"],
        )

    def test_a_dotted_word_is_found_as_the_phrase_of_its_parts(self):
        debate = make_debate()
        dotted = make_speech(debate=debate, text="The U.K. economy grew 1.5 per cent.")
        make_speech(
            debate=debate, text="K is for U; 5 of 1.", position=2
        )  # the same letters, apart
        self.index()
        self.assertEqual(self.found("U.K."), {dotted.id})
        self.assertEqual(self.found("1.5"), {dotted.id})
        self.assertEqual(self.found('"u k"'), {dotted.id})
        self.assertEqual(self.found("U K"), set())  # one-letter words dropped, as in Whoosh

    def test_the_hon_member_is_found_as_a_phrase_and_as_words(self):
        debate = make_debate()
        member = make_speech(debate=debate, text="I thank the hon. Member for Aytown.")
        apart = make_speech(debate=debate, text="Member states, hon. friends.", position=2)
        self.index()
        self.assertEqual(self.found('"the hon. Member"'), {member.id})
        self.assertEqual(self.found('"hon Member"'), {member.id})
        self.assertEqual(self.found("hon. Member"), {member.id, apart.id})

    def test_a_phrase_keeps_its_stop_words(self):
        debate = make_debate()
        the = make_speech(debate=debate, text="The government said no.")
        a = make_speech(debate=debate, text="A government of all the talents.", position=2)
        neither = make_speech(debate=debate, text="Government, the word.", position=3)
        self.index()
        self.assertEqual(self.found('"the government"'), {the.id})
        self.assertEqual(self.found('"a government"'), {a.id})
        # Outside a phrase a stop word is dropped, as Whoosh drops it.
        self.assertEqual(self.found("the government"), {the.id, a.id, neither.id})
        self.assertEqual(self.found("the"), set())

    def test_words_are_stemmed_by_snowball(self):
        speech = make_speech(debate=make_debate(), text="Governments spoke generously.")
        self.index()
        self.assertEqual(self.found("government"), {speech.id})
        self.assertEqual(self.found("generous"), {speech.id})


class WriteTests(TantivyTestCase):
    def test_a_commit_is_seen_by_the_next_search(self):
        speech = make_speech(debate=make_debate(), text="Lighthouses.")
        self.assertEqual(self.found("lighthouses"), set())
        self.assertEqual(self.index(), 1)
        self.assertEqual(self.found("lighthouses"), {speech.id})
        self.backend.write(None, lambda: ((), (f"debates.speech.{speech.id}",)))
        self.assertEqual(self.found("lighthouses"), set())

    def test_a_write_waits_for_the_lock_then_says_who_holds_it(self):
        make_speech(debate=make_debate(), text="Queued.")
        other = self.backend.opened.index().writer(heap_size=15_000_000, num_threads=1)
        record_holder(self.folder)  # as another process's writer records itself
        read = []
        started = time.monotonic()
        with self.assertRaises(IndexBusy) as busy:
            self.backend.write(SpeechIndex(), lambda: read.append(1) or ([], ()), wait=0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertEqual(read, [])  # nothing was read, nothing written
        self.assertIn(f"process {os.getpid()}", str(busy.exception))
        self.assertIn("nothing was written", str(busy.exception))

        def release_later():
            time.sleep(0.5)
            release_holder(self.folder)
            other.rollback()
            other.wait_merging_threads()

        threading.Thread(target=release_later).start()
        started = time.monotonic()
        self.assertEqual(self.index(), 1)  # waits for the lock (LOCK_TIMEOUT 5 s), then writes
        self.assertGreaterEqual(time.monotonic() - started, 0.4)
        self.assertEqual(self.found("queued"), set(Speech.objects.values_list("id", flat=True)))


class KeptWriterTests(TantivyTestCase):
    def locked(self) -> bool:
        try:
            writer = self.backend.opened.index().writer(heap_size=15_000_000, num_threads=1)
        except ValueError:
            return True
        writer.wait_merging_threads()
        return False

    def test_a_bulk_writes_writer_is_kept_for_the_next_batch_then_let_go(self):
        speech = make_speech(debate=make_debate(), text="Batches.")
        self.backend.write(SpeechIndex(), lambda: ([speech], ()), expected=BULK_THRESHOLD)
        self.assertEqual(self.found("batches"), {speech.id})  # committed at once
        self.assertTrue(self.locked())  # kept for the run's next batch
        deadline = time.monotonic() + KEEP + 10
        while self.locked() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(self.locked())  # let go once the run is over

    def test_a_small_write_lets_a_kept_writer_go(self):
        speech = make_speech(debate=make_debate(), text="Batches.")
        self.backend.write(SpeechIndex(), lambda: ([speech], ()), expected=BULK_THRESHOLD)
        self.backend.write(None, lambda: ((), (f"debates.speech.{speech.id}",)))
        self.assertFalse(self.locked())
        self.assertEqual(self.found("batches"), set())


class ManyValuesTests(TantivyTestCase):
    def test_a_facet_with_more_values_than_one_aggregation_holds_is_counted_whole(self):
        """Tantivy stops an aggregation at 65,000 buckets: a facet with more values (the
        debates of a century of Hansard, say) is counted a slice of its values at a time."""
        count = BUCKET_LIMIT + 10
        day = datetime.date(2001, 1, 1)
        speeches = [
            Speech(
                pk=n,
                position=1,
                text="Alike." if n % 2 else "Unlike.",
                debate=Debate(pk=n, title="T", date=day, house="commons", kind="debate"),
            )
            for n in range(1, count + 1)
        ]
        self.backend.write(SpeechIndex(), lambda: (speeches, ()), expected=count)
        everything = SearchQuerySet(using=ALIAS).facet("debate").facet_counts()["fields"]
        self.assertEqual(len(everything["debate"]), count)
        self.assertEqual({n for _, n in everything["debate"]}, {1})
        self.assertEqual(everything["debate"][:2], [("1", 1), ("10", 1)])  # by value
        alike = SearchQuerySet(using=ALIAS).auto_query("alike").facet("debate").facet_counts()
        self.assertEqual(
            {value for value, _ in alike["fields"]["debate"]},
            {str(n) for n in range(1, count + 1, 2)},
        )


@tag(OWN_ENGINE)
class SwitchingTests(SimpleTestCase):
    def test_search_engine_tantivy_rebuilds_and_finds_the_seed_debates(self):
        site = SwitchedSite(self, "tantivy")
        site.manage("migrate", "--noinput", "-v0")
        site.manage("load_transcripts", "fixtures/seeds")
        # An index of other fields (a site whose fields changed): rebuild_index replaces it.
        shutil.rmtree(site.index)
        os.makedirs(site.index)
        other = tantivy.SchemaBuilder()
        other.add_text_field("other", stored=True)
        tantivy.Index(other.build(), path=site.index)
        site.manage("rebuild_index", "--noinput")
        self.assertTrue(os.path.exists(f"{site.index}/meta.json"))
        site.assert_finds_what_the_database_holds("TantivySearchBackend")


@unittest.skipIf(
    settings.SEARCH_ENGINE == "tantivy", "test_faults runs on Tantivy already (SEARCH_ENGINE)"
)
@tag(OWN_ENGINE)
class TantivyKilledLoadTests(KilledLoadTests):
    """SIGKILL in the middle of loads that write to a Tantivy index: nothing is lost."""

    engine = "tantivy"

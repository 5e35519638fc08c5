"""Each of Chamber's query rewrites (search/whoosh/queries.py) against the Whoosh query it
replaces, on one raw Whoosh index in a temporary folder: the same documents (and where
scores count, the same scores), over several segments and with deleted documents."""

import datetime
import shutil
import tempfile

from django.test import SimpleTestCase
from whoosh import query as whoosh_query
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import QueryParser
from whoosh.query import DateRange, NumericRange
from whoosh.searching import Searcher

from search.whoosh import internals
from search.whoosh.queries import (
    AdjacentPhrase,
    ColumnRange,
    DocSetQuery,
    split_exclusions,
    tune,
)
from search.whoosh.schema import sortable_float

SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    text=TEXT(analyzer=StemmingAnalyzer()),
    num=NUMERIC(numtype=int, sortable=True),
    signed=NUMERIC(numtype=int, sortable=True),
    price=sortable_float(),
    when=DATETIME(sortable=True),
)
TEXTS = [
    "The hon. Member for Aytown spoke.",
    "Member, hon. reversed.",
    "The hon. hon. Member twice.",
    "The hon. and learned Member.",
    "A humanitarian pause now. And a humanitarian pause later.",
    "Pause, humanitarian.",
    "The hon. Member and the hon. Member again, hon. Member.",
]


def document(n: int) -> dict:
    return {
        "id": str(n),
        "text": TEXTS[n % len(TEXTS)],
        "num": n,
        "signed": n - 15,
        "price": n / 4,
        "when": datetime.datetime(2020, 1, 1) + datetime.timedelta(days=17 * n),
    }


class RewriteTests(SimpleTestCase):
    """30 documents in two segments, two of them deleted."""

    searcher: Searcher

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = tempfile.mkdtemp(prefix="chamber-rewrites-")
        index = FileStorage(cls.folder).create_index(SCHEMA)
        for start, end in ((0, 18), (18, 30)):
            writer = index.writer()
            for n in range(start, end):
                writer.add_document(**document(n))
            writer.add_document(id=f"none{start}", text="hon Member, no numbers")  # in no range
            writer.commit(merge=False)
        writer = index.writer()
        writer.delete_by_term("id", "3")
        writer.delete_by_term("id", "20")
        writer.commit(merge=False)
        cls.index = index
        cls.searcher = index.searcher()
        cls.parser = QueryParser("text", schema=SCHEMA)

    @classmethod
    def tearDownClass(cls):
        cls.searcher.close()
        shutil.rmtree(cls.folder, ignore_errors=True)
        super().tearDownClass()

    def ids(self, query) -> set[str]:
        return {hit["id"] for hit in self.searcher.search(query, limit=None)}

    def assert_same(self, ours, theirs, *, at_least: int = 1):
        self.assertEqual(self.ids(ours), self.ids(theirs))
        self.assertGreaterEqual(len(self.ids(theirs)), at_least)

    def test_the_index_has_two_segments_and_deletions(self):
        self.assertEqual(len(self.searcher.reader().leaf_readers()), 2)
        self.assertEqual(self.searcher.doc_count(), 30)

    def test_column_range_matches_whooshs_numeric_range(self):
        """Integers (signed too), floats and dates, open and closed, each bound in or out:
        the column holds encoded values, so a bound left unencoded would miss (the fault
        that made `num__range=(5, 10)` find nothing)."""
        cases = [
            ("num", 5, 10),
            ("num", None, 3),
            ("num", 20, None),
            ("signed", -5, 5),
            ("signed", None, -10),
            ("price", 1.25, 3.5),
            ("price", 6.0, None),
            ("when", document(4)["when"], document(12)["when"]),
        ]
        for field, start, end in cases:
            for start_excl in (False, True):
                for end_excl in (False, True):
                    with self.subTest(field=field, start=start, end=end, s=start_excl, e=end_excl):
                        whooshs = DateRange if field == "when" else NumericRange
                        theirs = whooshs(field, start, end, start_excl, end_excl)
                        ours = tune(theirs, SCHEMA)
                        self.assertIsInstance(ours, ColumnRange)
                        self.assert_same(ours, theirs)

    def test_column_range_finds_the_numbers_in_range(self):
        """Counted from the data (0-29 but 3 and 20, deleted; two documents without numbers):
        a range on encoded values with plain bounds found 0, 25 and 0 of these."""
        live = [n for n in range(30) if n not in (3, 20)]
        cases = [
            ("num:[5 TO 10]", [n for n in live if 5 <= n <= 10]),
            ("num:{24 TO]", [n for n in live if n > 24]),
            ("num:[TO 3}", [n for n in live if n < 3]),
        ]
        for text, expected in cases:
            with self.subTest(text):
                found = self.ids(tune(self.parser.parse(text), SCHEMA))
                self.assertEqual(found, {str(n) for n in expected})

    def test_adjacent_phrase_matches_and_scores_as_whooshs_phrase_does(self):
        for phrase in ["hon member", "humanitarian pause", "hon hon member", "member hon"]:
            with self.subTest(phrase=phrase):
                theirs = self.parser.parse(f'"{phrase}"')
                ours = tune(theirs, SCHEMA)
                self.assertIsInstance(ours, AdjacentPhrase)
                theirs_hits = self.searcher.search(theirs, limit=None)
                ours_hits = self.searcher.search(ours, limit=None)
                self.assertEqual(
                    {hit["id"]: round(hit.score, 9) for hit in ours_hits},
                    {hit["id"]: round(hit.score, 9) for hit in theirs_hits},
                )
        self.assertTrue(self.ids(self.parser.parse('"hon member"')))

    def test_doc_set_query_intersects_as_a_filter_does(self):
        chosen = set(self.searcher.docs_for_query(self.parser.parse("num:[0 TO 22]")))
        words = self.parser.parse("hon")
        ours = whoosh_query.And([words, DocSetQuery(chosen, self.searcher)])
        found = {hit.docnum for hit in self.searcher.search(ours, limit=None)}
        expected = set(self.searcher.docs_for_query(words)) & chosen
        self.assertEqual(found, expected)
        self.assertGreater(len(expected), 3)
        self.assertLess(len(expected), len(set(self.searcher.docs_for_query(words))))

    def test_split_exclusions_keep_what_and_not_keeps(self):
        for text in ["hon NOT learned", "NOT hon", "hon NOT member NOT twice", "hon member"]:
            with self.subTest(text):
                theirs = self.parser.parse(text)
                kept, excluded = split_exclusions(theirs)
                dropped = set().union(*(self.searcher.docs_for_query(q) for q in excluded))
                ours = {hit["id"] for hit in self.searcher.search(kept, limit=None, mask=dropped)}
                self.assertEqual(ours, self.ids(theirs))
                self.assertEqual(bool(excluded), "NOT" in text)

    def test_tune_leaves_other_queries_alone(self):
        for text in ["hon", "hon~1", "hon*", '"hon member"~3']:
            with self.subTest(text):
                parsed = self.parser.parse(text)
                self.assertEqual(tune(parsed, SCHEMA), parsed)


class InternalsTests(SimpleTestCase):
    def test_every_whoosh_internal_relied_on_is_there(self):
        self.assertEqual(internals.installed_version(), internals.PINNED)
        self.assertEqual(internals.missing(), [])
        internals.check()

    def test_a_missing_internal_is_named(self):
        gone = internals.Internal("whoosh.collectors", "ScoredCollector.nothing_here", "x", "y")
        with self.assertRaisesMessage(ImportError, "ScoredCollector.nothing_here"):
            original = internals.INTERNALS
            internals.INTERNALS = (*original, gone)
            try:
                internals.check()
            finally:
                internals.INTERNALS = original

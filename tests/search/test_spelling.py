"""The spelling vocabulary (search/whoosh/spelling.py): kept beside the index, not in it;
following what is indexed; suggestions by fewest edits, then most documents."""

import os

from django.core.management import call_command
from django.test import SimpleTestCase
from haystack.query import SearchQuerySet

from debates.models import Speech
from search.whoosh import spelling
from search.whoosh.spelling import Vocabulary, edit_distance
from tests.factories import make_debate, make_speech
from tests.search.engine import document_count
from tests.search.test_search import IndexTestCase, backend


class VocabularyTests(IndexTestCase):
    def setUp(self):
        super().setUp()
        debate = make_debate()
        texts = [
            "The ceasefire must hold.",
            "A ceasefire now, and a ceasefire later.",
            "The government will answer.",
            "Whether the government governs.",
            "Ceasefire talks; the governor spoke.",
        ]
        for text in texts:
            make_speech(debate=debate, text=text)
        self.index_everything()

    def test_the_vocabulary_is_beside_the_index_not_in_it(self):
        self.assertTrue(os.path.exists(os.path.join(backend().path, spelling.FILENAME)))
        self.assertEqual(document_count(), Speech.objects.count())
        self.assertEqual(SearchQuerySet().all().count(), 5)
        self.assertIn("ceasefire", backend().vocabulary)
        self.assertIn("governs", backend().vocabulary)  # as written, not stemmed

    def test_a_misspelling_gets_the_closest_word_and_known_words_stay(self):
        suggest = backend().create_spelling_suggestion
        self.assertEqual(suggest("ceasfire"), "ceasefire")  # a deletion
        self.assertEqual(suggest("ceasefirre"), "ceasefire")  # an insertion
        self.assertEqual(suggest("caesefire"), "ceasefire")  # a transposition
        self.assertEqual(suggest("govermnent answre"), "government answer")  # two edits
        self.assertEqual(suggest("ceasefire zzzqqq"), "ceasefire zzzqqq")
        self.assertIsNone(suggest("()"))

    def test_query_syntax_is_left_out_as_in_haystacks_engine(self):
        self.assertEqual(backend().create_spelling_suggestion("(ceasfire)"), "ceasefire")
        self.assertEqual(
            backend().create_spelling_suggestion("ceasfire AND govenment"),
            "ceasefire government",
        )

    def test_at_equal_distance_the_word_in_more_documents_wins(self):
        # "governs" (1 document) and "government" are far apart; "governor" (1) and
        # "governs" are both one edit from "governr"... and "government" is not.
        self.assertEqual(edit_distance("governr", "governor"), 1)
        self.assertEqual(edit_distance("governr", "governs"), 1)
        make_speech(debate=make_debate(), text="Governs, governs and governs again.")
        self.index_everything()
        self.assertEqual(backend().create_spelling_suggestion("governr"), "governs")

    def test_spelling_suggestion_through_haystack(self):
        self.assertEqual(
            SearchQuerySet().filter(content="ceasfire").spelling_suggestion("ceasfire"),
            "ceasefire",
        )
        # Not asked for, and the connection does not INCLUDE_SPELLING: nothing computed.
        self.assertIsNone(SearchQuerySet().filter(content="ceasfire").spelling_suggestion())

    def test_words_indexed_later_are_suggested_at_once(self):
        self.assertEqual(backend().create_spelling_suggestion("zebrras"), "zebrras")
        make_speech(debate=make_debate(), text="Zebras crossed the floor.")
        self.index_everything()
        self.assertEqual(backend().create_spelling_suggestion("zebrras"), "zebras")

    def test_rebuilding_the_index_starts_the_vocabulary_afresh(self):
        Speech.objects.filter(text__contains="governor").delete()
        call_command("rebuild_index", interactive=False, verbosity=0)
        self.assertNotIn("governor", backend().vocabulary)
        self.assertIn("ceasefire", backend().vocabulary)

    def test_a_long_query_checks_only_the_first_words(self):
        nonsense = [f"zq{a}{b}" for a in "abcdef" for b in "abcdefgh"]  # 48 unknown words
        query = " ".join(["ceasfire", *nonsense, "govenment"])
        suggestion = backend().create_spelling_suggestion(query).split()
        self.assertEqual(suggestion[0], "ceasefire")
        self.assertEqual(suggestion[1:-1], nonsense)
        self.assertEqual(suggestion[-1], "govenment")  # beyond the first MAX_WORDS unknown
        self.assertEqual(backend().create_spelling_suggestion("govenment"), "government")


class DistanceTests(SimpleTestCase):
    def test_damerau_levenshtein_up_to_two(self):
        cases = [
            ("ceasefire", "ceasefire", 0),
            ("ceasfire", "ceasefire", 1),
            ("caesefire", "ceasefire", 1),
            ("ceasefirx", "ceasefire", 1),
            ("cesfire", "ceasefire", 2),
            ("cxxxfire", "ceasefire", 3),  # more than two: reported as 3
            ("ab", "abcdef", 3),
        ]
        for a, b, expected in cases:
            with self.subTest(a=a, b=b):
                self.assertEqual(edit_distance(a, b), expected)

    def test_a_missing_vocabulary_suggests_nothing_new(self):
        vocabulary = Vocabulary("/nonexistent/folder")
        self.assertEqual(vocabulary.suggest("ceasfire"), "ceasfire")
        self.assertEqual(vocabulary.size(), 0)

"""The query language and the snippets: pure code, no database or index."""

from django.test import SimpleTestCase

from search.query import Term, parse, words_of
from search.snippets import snippet


class QueryParsingTests(SimpleTestCase):
    def test_words_must_all_match(self):
        parsed = parse("ceasefire hostages")
        self.assertEqual(parsed.groups, ((Term("ceasefire"),), (Term("hostages"),)))

    def test_quoted_words_are_a_phrase(self):
        parsed = parse('"humanitarian pause" now')
        self.assertEqual(parsed.groups[0], (Term("humanitarian pause"),))
        self.assertTrue(parsed.groups[0][0].is_phrase)

    def test_minus_and_not_exclude(self):
        parsed = parse('ceasefire -hostages NOT "two state"')
        self.assertEqual(parsed.excluded, (Term("hostages"), Term("two state")))
        self.assertEqual(parsed.groups, ((Term("ceasefire"),),))

    def test_or_joins_its_neighbours(self):
        parsed = parse("aid Gaza OR Israel")
        self.assertEqual(parsed.groups, ((Term("aid"),), (Term("Gaza"), Term("Israel"))))

    def test_prefixes_restrict_by_speaker_party_and_house(self):
        parsed = parse('speaker:"Andrew Mitchell" party:labour -party:conservative house:lords')
        self.assertEqual(
            parsed.fields,
            (
                ("speaker", Term("Andrew Mitchell"), False),
                ("party", Term("labour"), False),
                ("party", Term("conservative"), True),
            ),
        )
        self.assertEqual(parsed.houses, ("lords",))
        self.assertEqual(parse("house:commons").houses, ("commons",))
        self.assertEqual(parse("-house:commons").houses, ("lords",))

    def test_unknown_prefix_is_searched_as_words_with_a_notice(self):
        parsed = parse("colour:red")
        self.assertEqual(parsed.groups, ((Term("colour red"),),))
        self.assertIn("doesn't know “colour:”", parsed.notices[0])

    def test_unknown_house_is_explained(self):
        parsed = parse("house:mars")
        self.assertEqual(parsed.houses, ())
        self.assertIn("commons or lords", parsed.notices[0])

    def test_an_unbalanced_quote_runs_to_the_end(self):
        parsed = parse('aid "humanitarian pause')
        self.assertEqual(parsed.groups[1], (Term("humanitarian pause"),))
        self.assertIn("not closed", parsed.notices[0])

    def test_punctuation_and_operators_alone_mean_everything_with_a_notice(self):
        for text in ["-", "*", "OR", "!!!", "<>"]:
            with self.subTest(text=text):
                parsed = parse(text)
                self.assertTrue(parsed.is_empty)
                self.assertTrue(parsed.notices)

    def test_only_stop_words_is_explained(self):
        parsed = parse("the of and")
        self.assertTrue(parsed.is_empty)
        self.assertIn("not indexed", parsed.notices[0])

    def test_hyphenated_words_become_a_phrase(self):
        self.assertEqual(parse("Covid-19").groups, ((Term("Covid 19"),),))

    def test_markup_becomes_plain_words(self):
        parsed = parse("<script>alert(1)</script>")
        self.assertEqual(words_of(parsed), ["script", "alert", "1", "script"])

    def test_other_scripts_are_words(self):
        self.assertEqual(words_of(parse("Ωμέγα 日本")), ["Ωμέγα", "日本"])


class SnippetTests(SimpleTestCase):
    sentences = [
        "Order, order.",
        "We want a pause, for humanitarian reasons, and then a ceasefire.",
        "An immediate humanitarian pause is the best way to peace.",
    ]

    def test_a_phrase_is_marked_as_one_phrase(self):
        found = snippet(self.sentences, [Term("humanitarian pause")])
        self.assertEqual(found.sentence, 3)
        self.assertIn("<mark>humanitarian pause</mark>", found.html)
        self.assertNotIn("<mark>humanitarian</mark>", found.html)

    def test_words_match_any_form_and_the_best_sentence_wins(self):
        found = snippet(self.sentences, [Term("ceasefires"), Term("humanitarian")])
        self.assertEqual(found.sentence, 2)
        self.assertIn("<mark>ceasefire</mark>", found.html)
        self.assertIn("<mark>humanitarian</mark>", found.html)

    def test_text_is_escaped(self):
        found = snippet(["Aid must reach <b>Gaza</b> & more."], [Term("gaza")])
        self.assertEqual(
            str(found.html), "Aid must reach &lt;b&gt;<mark>Gaza</mark>&lt;/b&gt; &amp; more."
        )

    def test_no_match_gives_the_first_sentence_unmarked(self):
        found = snippet(self.sentences, [Term("zebra")])
        self.assertEqual((found.sentence, found.matched), (1, False))
        self.assertEqual(found.html, "Order, order.")

    def test_a_long_sentence_is_cut_around_the_match(self):
        words = [f"w{n}" for n in range(200)]
        words[150] = "ceasefire"
        found = snippet([" ".join(words)], [Term("ceasefire")])
        self.assertTrue(found.html.startswith("… "))
        self.assertTrue(found.html.endswith(" …"))
        self.assertIn("<mark>ceasefire</mark>", found.html)
        self.assertLessEqual(len(found.html.split()), 64)

"""What one anonymous request may cost is bounded: the terms marked, the text analysed for
marks on one page, and the words handed to the spelling suggester."""

from django.core.management import call_command
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse

from search import snippets
from search.forms import MAX_ALTERNATIVES, MAX_PHRASE_WORDS, SUGGEST_MAX_WORDS, SpeechSearchForm
from search.query import parse
from search.snippets import MAX_HIGHLIGHT_TERMS, Highlighter, highlighter_for
from tests.factories import make_debate, make_speech


class HighlightBoundsTests(SimpleTestCase):
    def test_terms_sharing_a_first_word_are_all_marked_in_one_pass(self):
        highlighter = highlighter_for('"prime minister" "prime location" budget')
        html = highlighter.mark("The Prime Minister chose a prime location for the budget.")
        self.assertEqual(html.count("<mark>"), 3)
        self.assertIn("<mark>Prime Minister</mark>", html)
        self.assertIn("<mark>prime location</mark>", html)

    def test_at_most_so_many_terms_are_marked(self):
        words = [f"word{n}" for n in range(MAX_HIGHLIGHT_TERMS + 10)]
        highlighter = Highlighter(parse(" OR ".join(words)).terms)
        html = highlighter.mark(" ".join(words))
        self.assertEqual(html.count("<mark>"), MAX_HIGHLIGHT_TERMS)
        self.assertIn(f"word{MAX_HIGHLIGHT_TERMS - 1}</mark>", html)
        self.assertNotIn(f"word{MAX_HIGHLIGHT_TERMS}</mark>", html)
        self.assertNotIn("<mark>", html.split(f"word{MAX_HIGHLIGHT_TERMS - 1}")[1])

    def test_marking_stops_after_the_budget_and_says_so(self):
        highlighter = highlighter_for("ceasefire")
        sentence = "A ceasefire <now>. "
        budget = snippets.MAX_HIGHLIGHT_CHARS
        marked = highlighter.mark(sentence * (budget // len(sentence)))
        self.assertIn("<mark>ceasefire</mark>", marked)
        self.assertFalse(highlighter.exhausted)
        plain = highlighter.mark(sentence * 10)
        self.assertNotIn("<mark>", plain)
        self.assertIn("&lt;now&gt;", plain)  # still escaped
        self.assertTrue(highlighter.exhausted)


class SnippetBoundsTests(SimpleTestCase):
    def test_the_best_sentence_is_looked_for_in_the_first_part_of_a_speech(self):
        filler = "Nothing to see in this sentence at all."
        count = snippets.MAX_SNIPPET_CHARS // len(filler)
        terms = parse("ceasefire").terms
        early = snippets.snippet([filler] * (count - 5) + ["A ceasefire now."], terms)
        self.assertTrue(early.matched)
        self.assertEqual(early.sentence, count - 4)
        late = snippets.snippet([filler] * (count + 5) + ["A ceasefire now."], terms)
        self.assertFalse(late.matched)
        self.assertEqual(late.sentence, 1)


@override_settings(CHAMBER_SPEECH_PART_SENTENCES=100_000)  # whole speeches on the page
class DebatePageHighlightBudgetTests(TestCase):
    def test_a_long_page_says_its_marks_stopped(self):
        debate = make_debate(title="Long")
        sentence = "The ceasefire holds today in the region.\n"
        per_speech = snippets.MAX_HIGHLIGHT_CHARS // 3
        for _ in range(4):
            make_speech(debate=debate, text=sentence * (per_speech // len(sentence)))
        response = self.client.get(debate.get_absolute_url(), {"highlight": "ceasefire"})
        self.assertContains(response, "marked in its first part only")
        self.assertContains(response, "<mark>ceasefire</mark>")
        short = self.client.get(
            make_debate(title="Short", speeches=2).get_absolute_url(), {"highlight": "speech"}
        )
        self.assertNotContains(short, "marked in its first part only")


class SuggestionBoundsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        debate = make_debate(title="Budget")
        make_speech(debate=debate, text="The government announced a ceasefire in the region.")

    def setUp(self):
        call_command("rebuild_index", interactive=False, verbosity=0)

    def search(self, q):
        form = SpeechSearchForm({"q": q})
        self.assertTrue(form.is_valid(), form.errors)
        return form.search()

    def test_a_short_misspelt_query_gets_a_suggestion(self):
        self.assertEqual(self.search("governmnet ceasfire").suggestion, "government ceasefire")

    def test_a_long_query_is_not_given_to_the_suggester(self):
        words = ["governmnet"] + ["ceasfire"] * SUGGEST_MAX_WORDS
        outcome = self.search(" ".join(words))
        self.assertEqual(outcome.total, 0)
        self.assertEqual(outcome.suggestion, "")
        response = self.client.get(reverse("search:results"), {"q": " ".join(words)})
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Did you mean")


class QueryBoundsTests(TestCase):
    def test_a_long_phrase_is_refused_with_a_message(self):
        words = " ".join(["government"] * MAX_PHRASE_WORDS)
        self.assertTrue(SpeechSearchForm({"q": f'"{words}"'}).is_valid())
        response = self.client.get(reverse("search:results"), {"q": f'"{words} minister"'})
        self.assertContains(
            response, f"A quoted phrase can have at most {MAX_PHRASE_WORDS} words.", status_code=400
        )

    def test_too_many_alternatives_are_refused_with_a_message(self):
        words = [f"word{n}" for n in range(MAX_ALTERNATIVES + 1)]
        self.assertTrue(SpeechSearchForm({"q": " OR ".join(words[:-1])}).is_valid())
        response = self.client.get(reverse("search:results"), {"q": " OR ".join(words)})
        self.assertContains(
            response,
            f"At most {MAX_ALTERNATIVES} words or phrases can be joined by OR.",
            status_code=400,
        )

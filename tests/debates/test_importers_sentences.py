"""The sentence splitter: careful with abbreviations, and it never loses a word."""

from django.test import SimpleTestCase

from debates.ingest.importers.text import split_sentences


class SentenceSplitterTests(SimpleTestCase):
    def test_splits_at_sentence_ends(self):
        self.assertEqual(
            split_sentences("One thing. Another? Yes! “Quoted.” (Interruption.) Next."),
            ("One thing.", "Another?", "Yes!", "“Quoted.”", "(Interruption.)", "Next."),
        )

    def test_does_not_split_after_abbreviations(self):
        for text in [
            "The hon. Member for Bromley spoke.",
            "Mr. Speaker called him.",
            "Standing Order No. 83D applies.",
            "St. Helens is a town.",
            "Stuart C. McDonald was added.",
            "It rose by 1.5 per cent. overall.",
            "We sat until 7 p.m. Tomorrow we sit again.",
            "Dr. Black and Prof. Brown agreed.",
        ]:
            with self.subTest(text=text):
                self.assertEqual(split_sentences(text), (text,))

    def test_round_trip(self):
        text = "  The hon.\nGentleman said:  “Yes.”  Then, at 2.30 p.m., Mr. Smith left.   Fine. "
        sentences = split_sentences(text)
        self.assertEqual(" ".join(sentences), " ".join(text.split()))
        for sentence in sentences:
            self.assertNotIn("\n", sentence)

    def test_empty(self):
        self.assertEqual(split_sentences("  \n "), ())

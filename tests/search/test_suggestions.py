"""`/search/speakers/?q=sta`: members suggested for `speaker:` from the real index
(`autocomplete()` on `speaker_auto`, counted by the `member` facet), ranked by how many
speeches match, with the query that finds them; bad input refused, the rate bounded."""

from django.core.cache import cache
from django.test import override_settings

from search.suggestions import MAX_SUGGESTIONS, speaker_query
from tests.broken import unopenable_index
from tests.factories import make_debate, make_member, make_speech

from .test_search import IndexTestCase, result_ids

URL = "/search/speakers/"


class SpeakerSuggestionTests(IndexTestCase):
    def setUp(self):
        super().setUp()
        cache.clear()  # the rate limit counts in the cache
        self.addCleanup(cache.clear)
        self.debate = make_debate(title="Fisheries")
        self.starmer = make_member(
            name="Keir Starmer", party="Labour", constituency="Holborn and St Pancras"
        )
        self.stanley = make_member(name="Ann Stanley", party="Conservative", constituency="Aytown")
        # Named like the others, but has never spoken: never suggested.
        self.stafford = make_member(name="Bob Stafford", party="Labour", constituency="Beetown")
        self.jones = make_member(name="Carl Jones", party="Labour", constituency="Ceetown")
        for member, count in ((self.starmer, 3), (self.stanley, 5), (self.jones, 2)):
            for _ in range(count):
                make_speech(debate=self.debate, member=member)
        # Printed "Starling" but resolved to nobody: only members are suggested.
        make_speech(debate=self.debate, speaker_name="Mr Starling")
        self.index_everything()

    def suggest(self, q, **params):
        response = self.client.get(URL, {"q": q, **params})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response["Content-Type"], "application/json")
        return response.json()

    def test_members_ranked_by_their_matching_speeches(self):
        body = self.suggest("sta")
        self.assertEqual(body["q"], "sta")
        self.assertEqual(
            body["members"],
            [
                {
                    "name": "Ann Stanley",
                    "party": "Conservative",
                    "constituency": "Aytown",
                    "url": self.stanley.get_absolute_url(),
                    "speeches": 5,
                    "query": 'speaker:"Ann Stanley"',
                },
                {
                    "name": "Keir Starmer",
                    "party": "Labour",
                    "constituency": "Holborn and St Pancras",
                    "url": self.starmer.get_absolute_url(),
                    "speeches": 3,
                    "query": 'speaker:"Keir Starmer"',
                },
            ],
        )

    def test_more_speeches_move_a_member_up(self):
        for _ in range(4):
            make_speech(debate=self.debate, member=self.starmer)
        self.index_everything()
        names = [member["name"] for member in self.suggest("sta")["members"]]
        self.assertEqual(names, ["Keir Starmer", "Ann Stanley"])

    def test_members_without_speeches_are_not_suggested(self):
        self.assertEqual(self.suggest("staf")["members"], [])
        names = [member["name"] for member in self.suggest("st")["members"]]
        self.assertNotIn("Bob Stafford", names)

    def test_any_word_of_the_name_and_every_word_typed(self):
        self.assertEqual([m["name"] for m in self.suggest("kei")["members"]], ["Keir Starmer"])
        self.assertEqual([m["name"] for m in self.suggest("keir sta")["members"]], ["Keir Starmer"])
        self.assertEqual([m["name"] for m in self.suggest("ann sta")["members"]], ["Ann Stanley"])
        # A one-letter word narrows by the names read from the database.
        self.assertEqual([m["name"] for m in self.suggest("sta k")["members"]], ["Keir Starmer"])
        self.assertEqual(self.suggest("jon sta")["members"], [])
        self.assertEqual(self.suggest("zzz")["members"], [])

    def test_at_most_eight(self):
        for n in range(MAX_SUGGESTIONS + 2):
            make_speech(debate=self.debate, member=make_member(name=f"Stella Number{n}"))
        self.index_everything()
        self.assertEqual(len(self.suggest("ste")["members"]), MAX_SUGGESTIONS)

    def test_the_query_suggested_finds_that_members_speeches(self):
        query = self.suggest("keir sta")["members"][0]["query"]
        response = self.client.get("/search/", {"q": query})
        self.assertEqual(response.status_code, 200)
        self.assertCountEqual(
            result_ids(response), self.starmer.speeches.values_list("id", flat=True)
        )

    def test_speaker_query_quotes_a_name_of_several_words(self):
        self.assertEqual(speaker_query("Keir Starmer"), 'speaker:"Keir Starmer"')
        self.assertEqual(speaker_query("Seán O'Brien"), 'speaker:"Seán O\'Brien"')
        self.assertEqual(speaker_query("Jo Stevens-Smith"), 'speaker:"Jo Stevens Smith"')
        self.assertEqual(speaker_query("Cher"), "speaker:Cher")

    def test_bad_input_is_refused_with_400(self):
        for params in ({}, {"q": ""}, {"q": "s"}, {"q": "  s  "}, {"q": "!!"}, {"q": "s t"},
                       {"q": "a" * 61}, {"q": "one two three four five"}):  # fmt: skip
            with self.subTest(params=params):
                response = self.client.get(URL, params)
                self.assertEqual(response.status_code, 400)
                self.assertIn("error", response.json())
                self.assertIn("no-store", response["Cache-Control"])

    def test_only_get_and_head(self):
        self.assertEqual(self.client.post(URL, {"q": "sta"}).status_code, 405)
        self.assertEqual(self.client.head(URL, {"q": "sta"}).status_code, 200)

    def test_answers_may_be_cached_for_a_while(self):
        response = self.client.get(URL, {"q": "sta"})
        self.assertIn("public", response["Cache-Control"])
        self.assertIn("max-age=300", response["Cache-Control"])

    @override_settings(CHAMBER_SUGGEST_RATE="3/min")
    def test_the_rate_per_address_is_bounded(self):
        for _ in range(3):
            self.assertEqual(self.client.get(URL, {"q": "sta"}).status_code, 200)
        response = self.client.get(URL, {"q": "sta"})
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response["Retry-After"]), 0)
        self.assertIn("no-store", response["Cache-Control"])
        # Another address is counted apart.
        other = self.client.get(URL, {"q": "sta"}, REMOTE_ADDR="192.0.2.7")
        self.assertEqual(other.status_code, 200)

    def test_503_when_the_index_cannot_open(self):
        with unopenable_index(), self.assertLogs("search.suggestions", "ERROR"):
            response = self.client.get(URL, {"q": "sta"})
        self.assertEqual(response.status_code, 503)
        self.assertIn("no-store", response["Cache-Control"])

    def test_search_boxes_name_the_endpoint_for_the_script(self):
        for path in ("/", "/search/", self.starmer.get_absolute_url()):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertContains(response, f'data-speaker-suggestions="{URL}"')
                self.assertContains(response, "js/speakers.js")
                # The script adds the combobox: the page without it is the plain form.
                self.assertNotContains(response, 'role="combobox"')

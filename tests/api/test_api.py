"""The open API against a real database and a real Whoosh index: its schema validates,
lists page and filter like the pages, speeches/ answers what the search page answers, bad
parameters get one JSON error shape, and the rate limit answers 429 with Retry-After."""

import datetime
import json

from django.core.cache import cache
from django.test import TestCase, override_settings
from openapi_spec_validator import validate

from debates.choices import DebateKind, House
from debates.models import Debate, Speech
from search.forms import RESULTS_PER_PAGE
from tests.factories import make_debate, make_member, make_speech
from tests.search.test_search import IndexTestCase, SearchDataMixin


class ApiTestCase(TestCase):
    def setUp(self):
        super().setUp()
        cache.clear()  # the rate limit counts in the cache: every test starts afresh

    def get(self, url, status=200, **params):
        response = self.client.get(url, params, HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, status, response.content[:2000])
        return response.json()

    def assertError(self, body, status):
        self.assertEqual(set(body), {"error"})
        self.assertEqual(body["error"]["status"], status)
        self.assertTrue(body["error"]["message"])


class SchemaTests(ApiTestCase):
    def test_the_openapi_schema_validates_and_names_every_endpoint(self):
        response = self.client.get("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        schema = json.loads(response.content)
        validate(schema)  # raises if the document is not valid OpenAPI 3
        self.assertTrue(schema["openapi"].startswith("3."))
        for path in (
            "/api/v1/debates/",
            "/api/v1/debates/{id}/",
            "/api/v1/speeches/",
            "/api/v1/speeches/{id}/",
            "/api/v1/members/",
            "/api/v1/members/{slug}/",
        ):
            self.assertIn(path, schema["paths"])
        params = {p["name"] for p in schema["paths"]["/api/v1/speeches/"]["get"]["parameters"]}
        self.assertLessEqual({"q", "party", "member", "year", "house", "date_from", "sort"}, params)

    def test_the_docs_page_is_served_from_our_own_files(self):
        response = self.client.get("/api/v1/docs/", HTTP_ACCEPT="text/html")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("/static/drf_spectacular_sidecar/swagger-ui-dist/", html)
        self.assertNotIn("<style", html)
        self.assertNotIn("cdn.jsdelivr", html)


class DebateAndMemberTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.member = make_member(name="Ann Able", party="Labour", constituency="Aytown")
        cls.old = make_debate(title="Energy", date=datetime.date(2022, 1, 5))
        cls.lords = make_debate(title="Aid", date=datetime.date(2023, 2, 6), house=House.LORDS)
        cls.bill = make_debate(
            title="Budget Bill",
            date=datetime.date(2024, 3, 7),
            kind=DebateKind.BILL,
            source_reference="uk.org.publicwhip/debate/2024-03-07a.100.0",
        )
        for n in range(3):
            make_speech(debate=cls.bill, member=cls.member if n != 1 else None, text=f"Words {n}.")

    def test_debates_filter_by_dates_house_and_kind(self):
        self.assertEqual(self.get("/api/v1/debates/")["count"], 3)
        found = self.get("/api/v1/debates/", date_from="2023-01-01", date_to="2023-12-31")
        self.assertEqual([d["id"] for d in found["results"]], [self.lords.id])
        self.assertEqual(self.get("/api/v1/debates/", house="lords")["count"], 1)
        bills = self.get("/api/v1/debates/", kind="bill")["results"]
        self.assertEqual([d["title"] for d in bills], ["Budget Bill"])
        self.assertEqual(bills[0]["official_reference"], self.bill.source_reference)
        self.assertEqual(bills[0]["url"], f"http://testserver{self.bill.get_absolute_url()}")
        self.assertEqual(bills[0]["speech_count"], 3)

    def test_a_debate_comes_with_its_speeches_in_order_in_few_queries(self):
        with self.assertNumQueries(2):
            body = self.get(f"/api/v1/debates/{self.bill.id}/")
        self.assertEqual([s["position"] for s in body["speeches"]], [1, 2, 3])
        self.assertEqual(body["speeches"][0]["member"]["slug"], self.member.slug)
        self.assertIsNone(body["speeches"][1]["member"])
        self.assertEqual(body["citation"], "HC Deb 7 March 2024")

    def test_pages_have_a_total_and_next_and_previous_links(self):
        for n in range(5):
            make_debate(title=f"Extra {n}", date=datetime.date(2021, 1, n + 1))
        first = self.get("/api/v1/debates/", page_size=3)
        self.assertEqual(first["count"], 8)
        self.assertIsNone(first["previous"])
        self.assertIn("page=2", first["next"])
        last = self.client.get(first["next"].replace("page=2", "page=3")).json()
        self.assertEqual(len(last["results"]), 2)
        self.assertIsNone(last["next"])
        self.assertIsNotNone(last["previous"])
        self.assertError(self.get("/api/v1/debates/", status=404, page=4), 404)
        self.assertError(self.get("/api/v1/debates/", status=404, page="x"), 404)

    def test_bad_parameters_get_a_json_error_naming_them(self):
        body = self.get("/api/v1/debates/", status=400, date_from="yesterday")
        self.assertError(body, 400)
        self.assertIn("date_from", body["error"]["fields"])
        body = self.get("/api/v1/debates/", status=400, house="senate")
        self.assertIn("house", body["error"]["fields"])
        body = self.get(
            "/api/v1/debates/", status=400, date_from="2024-01-01", date_to="2023-01-01"
        )
        self.assertIn("date_to", body["error"]["fields"])
        self.assertError(self.get("/api/v1/debates/999999/", status=404), 404)
        self.assertError(self.get("/api/v1/no-such-thing/", status=404), 404)

    def test_members_with_their_speech_counts_and_site_urls(self):
        make_member(name="Ben Bold", party="Liberal Democrat")
        body = self.get("/api/v1/members/", party="Labour")
        self.assertEqual([m["slug"] for m in body["results"]], [self.member.slug])
        one = self.get(f"/api/v1/members/{self.member.slug}/")
        self.assertEqual(one["speech_count"], 2)
        self.assertEqual(one["url"], f"http://testserver{self.member.get_absolute_url()}")
        self.assertIn(f"member={self.member.id}", one["speeches_api_url"])
        self.assertError(self.get("/api/v1/members/nobody/", status=404), 404)

    def test_the_api_only_reads(self):
        response = self.client.post("/api/v1/debates/", {"title": "x"})
        self.assertEqual(response.status_code, 405)
        self.assertError(response.json(), 405)
        self.assertEqual(Debate.objects.count(), 3)

    def test_any_site_may_read_it(self):
        response = self.client.get("/api/v1/debates/", HTTP_ORIGIN="https://example.org")
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        page = self.client.get("/debates/", HTTP_ORIGIN="https://example.org")
        self.assertNotIn("Access-Control-Allow-Origin", page)


class SpeechSearchTests(SearchDataMixin, IndexTestCase, ApiTestCase):
    def test_speeches_answers_what_the_search_page_finds_with_its_facets(self):
        body = self.get("/api/v1/speeches/", q="ceasefire")
        expected = set(self.db_matches("ceasefire").values_list("id", flat=True))
        self.assertEqual(body["count"], len(expected))
        self.assertEqual({s["id"] for s in body["results"]}, expected)
        party = {f["value"]: f["count"] for f in body["facets"]["party"]}
        for name, count in party.items():
            self.assertEqual(
                count,
                self.db_matches("ceasefire").filter(member__party=name).count(),
                name,
            )
        member = body["facets"]["member"][0]
        self.assertIn(member["label"], {"Ann Able", "Ben Bold", "Cat Cole"})
        self.assertEqual(body["query"]["q"], "ceasefire")
        self.assertIn("/search/?q=ceasefire", body["query"]["site_url"])

    def test_the_query_language_and_filters_are_the_search_pages(self):
        body = self.get("/api/v1/speeches/", q='"humanitarian pause" -ceasefire', party="Labour")
        speeches = Speech.objects.filter(
            text__contains="humanitarian pause", member__party="Labour"
        ).exclude(text__icontains="ceasefire")
        self.assertEqual(
            {s["id"] for s in body["results"]}, set(speeches.values_list("id", flat=True))
        )
        self.assertEqual(body["query"]["filters"], {"party": ["Labour"]})
        dated = self.get("/api/v1/speeches/", date_from="2024-01-01", sort="oldest")
        db = Speech.objects.filter(debate__date__gte="2024-01-01")
        self.assertEqual(dated["count"], db.count())
        dates = [s["debate"]["date"] for s in dated["results"]]
        self.assertEqual(dates, sorted(dates))

    def test_each_speech_carries_its_urls_reference_and_citation(self):
        speech = Speech.objects.first()
        speech.source_reference = "uk.org.publicwhip/debate/2022-05-04a.859.2"
        speech.save()
        body = self.get(f"/api/v1/speeches/{speech.id}/")
        self.assertEqual(body["official_reference"], speech.source_reference)
        self.assertEqual(body["url"], f"http://testserver{speech.get_absolute_url()}")
        self.assertEqual(body["debate_url"], f"http://testserver{speech.get_debate_url()}")
        self.assertEqual(body["citation"]["short"], "HC Deb 4 May 2022, col 859")
        self.assertEqual(body["citation"]["column"], "859")
        self.assertIn("@misc{", body["citation"]["bibtex"])

    def test_search_pages_edges(self):
        for n in range(RESULTS_PER_PAGE + 3):
            make_speech(debate=self.debates[0], text=f"Filibuster number {n}.")
        self.index_everything()
        first = self.get("/api/v1/speeches/", q="filibuster")
        self.assertEqual((first["count"], first["pages"]), (RESULTS_PER_PAGE + 3, 2))
        self.assertIsNone(first["previous"])
        second = self.client.get(first["next"]).json()
        self.assertEqual(len(second["results"]), 3)
        self.assertIsNone(second["next"])
        self.assertIn("page=1", second["previous"])
        ids = {s["id"] for s in first["results"]} | {s["id"] for s in second["results"]}
        self.assertEqual(len(ids), RESULTS_PER_PAGE + 3)
        self.assertError(self.get("/api/v1/speeches/", status=404, q="filibuster", page=3), 404)
        nothing = self.get("/api/v1/speeches/", q="zzyzx")
        self.assertEqual((nothing["count"], nothing["results"], nothing["next"]), (0, [], None))

    def test_bad_search_parameters_are_400s_naming_the_parameter(self):
        for params, field in (
            ({"page": "0"}, "page"),
            ({"page": "two"}, "page"),
            ({"date_from": "yesterday"}, "date_from"),
            ({"date_from": "2024-01-01", "date_to": "2023-01-01"}, "date_to"),
            ({"member": "Ann"}, "member"),
            ({"house": "senate"}, "house"),
            ({"sort": "random"}, "sort"),
            ({"q": "x" * 1000}, "q"),
        ):
            with self.subTest(params=params):
                body = self.get("/api/v1/speeches/", status=400, **params)
                self.assertError(body, 400)
                self.assertIn(field, body["error"]["fields"])


class RateLimitTests(ApiTestCase):
    @override_settings(CHAMBER_API_RATE="3/min")
    def test_past_the_rate_an_address_gets_429_with_retry_after(self):
        for _ in range(3):
            self.get("/api/v1/debates/")
        response = self.client.get("/api/v1/debates/")
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response["Retry-After"]), 0)
        self.assertError(response.json(), 429)
        # Another address is counted apart.
        other = self.client.get("/api/v1/debates/", REMOTE_ADDR="192.0.2.7")
        self.assertEqual(other.status_code, 200)

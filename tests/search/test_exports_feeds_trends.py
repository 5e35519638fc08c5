"""Exports, feeds and trends of a search, against a real index and database: what they
hold is what the database holds for the same search."""

import csv
import datetime
import io
import json
import re

import feedparser
from django.test import override_settings
from django.urls import reverse

from debates.models import Speech
from search.trends import PER
from tests.factories import make_debate, make_speech

from .test_search import IndexTestCase, SearchDataMixin


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


class ExportTests(SearchDataMixin, IndexTestCase):
    def test_csv_holds_every_match_with_its_columns_after_the_stamp(self):
        response = self.client.get("/search/export.csv", {"q": "humanitarian", "party": "Labour"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.streaming)
        self.assertIn("attachment;", response["Content-Disposition"])
        text = body(response)
        stamp = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
        expected = self.db_matches("humanitarian").filter(member__party="Labour")
        self.assertEqual(stamp["query"], "humanitarian")
        self.assertEqual(json.loads(stamp["filters"]), {"party": ["Labour"]})
        self.assertEqual(int(stamp["found"]), expected.count())
        self.assertEqual(int(stamp["rows"]), expected.count())
        self.assertTrue(datetime.datetime.fromisoformat(stamp["run_at"]))
        rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
        self.assertEqual(len(rows), expected.count())
        self.assertEqual(
            list(rows[0]),
            ["date", "house", "debate", "section", "speaker", "party", "constituency", "text",
             "url", "official_reference", "citation"],
        )  # fmt: skip
        by_url = {f"http://testserver{s.get_debate_url()}": s for s in expected}
        for row in rows:
            speech = by_url[row["url"]]
            self.assertEqual(row["text"], speech.text)
            self.assertEqual(row["speaker"], "Ann Able")
            self.assertEqual((row["party"], row["constituency"]), ("Labour", "Aytown"))
            self.assertEqual(row["date"], speech.debate.date.isoformat())
            self.assertEqual(row["citation"], speech.debate.citation)

    def test_jsonl_starts_with_the_stamp_and_keeps_the_search_order(self):
        response = self.client.get("/search/export.jsonl", {"q": "", "sort": "oldest"})
        lines = [json.loads(line) for line in body(response).splitlines()]
        stamp, rows = lines[0]["search"], [line["speech"] for line in lines[1:]]
        self.assertEqual(stamp["found"], Speech.objects.count())
        self.assertEqual(stamp["sort"], "oldest")
        self.assertEqual(len(rows), Speech.objects.count())
        dates = [row["date"] for row in rows]
        self.assertEqual(dates, sorted(dates))

    @override_settings(CHAMBER_EXPORT_MAX_ROWS=5)
    def test_an_export_stops_at_the_limit_and_says_so(self):
        lines = body(self.client.get("/search/export.jsonl")).splitlines()
        stamp = json.loads(lines[0])["search"]
        self.assertEqual((stamp["found"], stamp["rows"], stamp["limit"]), (12, 5, 5))
        self.assertEqual(len(lines), 6)

    def test_a_bad_search_is_a_400_that_says_why(self):
        response = self.client.get("/search/export.csv", {"date_from": "soon"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "date_from", status_code=400)

    def test_the_results_page_links_its_exports_feed_and_trends(self):
        response = self.client.get("/search/", {"q": "ceasefire", "party": "Labour"})
        html = response.content.decode()
        self.assertRegex(
            html,
            r'<link rel="alternate" type="application/atom\+xml"[^>]+'
            r'href="/search/feed/\?q=ceasefire&amp;party=Labour"',
        )
        for url in (
            "/search/export.csv?",
            "/search/export.jsonl?",
            "/trends/?",
            "/trends/speakers/?",
        ):
            self.assertIn(f'href="{url}q=ceasefire&amp;party=Labour"', html)


class FeedTests(SearchDataMixin, IndexTestCase):
    def parse(self, url, **params):
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("application/atom+xml"))
        feed = feedparser.parse(response.content)
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        self.assertEqual(feed.version, "atom10")
        return feed

    def assertEntriesAreSpeeches(self, feed, speeches):
        by_link = {f"http://testserver{s.get_debate_url()}": s for s in speeches}
        self.assertEqual({entry.link for entry in feed.entries}, set(by_link))
        for entry in feed.entries:
            speech = by_link[entry.link]
            self.assertEqual(entry.id, f"tag:testserver,2024:speech/{speech.pk}")
            self.assertTrue(entry.updated)
        dates = [entry.published for entry in feed.entries]
        self.assertEqual(dates, sorted(dates, reverse=True))

    def test_a_search_feed_lists_its_matches_newest_first_with_stable_ids(self):
        feed = self.parse("/search/feed/", q="ceasefire")
        self.assertEntriesAreSpeeches(feed, self.db_matches("ceasefire"))
        again = self.parse("/search/feed/", q="ceasefire")
        self.assertEqual([e.id for e in feed.entries], [e.id for e in again.entries])
        self.assertIn("ceasefire", feed.feed.title)

    def test_a_search_feed_takes_the_pages_filters(self):
        feed = self.parse("/search/feed/", q="humanitarian", house="lords")
        expected = self.db_matches("humanitarian").filter(debate__house="lords")
        self.assertEntriesAreSpeeches(feed, expected)
        bad = self.client.get("/search/feed/", {"member": "nobody"})
        self.assertEqual(bad.status_code, 400)

    def test_a_members_feed_and_the_debates_feed(self):
        feed = self.parse(reverse("debates:member-feed", kwargs={"slug": self.lab.slug}))
        self.assertEntriesAreSpeeches(feed, Speech.objects.filter(member=self.lab))
        debates = self.parse(reverse("debates:feed"))
        self.assertEqual(len(debates.entries), 4)
        self.assertEqual(
            debates.entries[0].link, f"http://testserver{self.debates[3].get_absolute_url()}"
        )
        self.assertEqual(debates.entries[0].id, f"tag:testserver,2024:debate/{self.debates[3].pk}")
        self.assertEqual(self.client.get("/members/nobody/feed/").status_code, 404)


def table_rows(html: str) -> list[list[str]]:
    found = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert found, "no table"
    tbody = found[1]
    return [
        [
            re.sub(r"<.*?>", "", cell).replace(",", "")
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


class TrendTests(SearchDataMixin, IndexTestCase):
    def test_the_chart_and_table_match_the_databases_counts_per_year(self):
        response = self.client.get("/trends/", {"q": ["ceasefire", "humanitarian"]})
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        rows = table_rows(html)
        self.assertEqual([row[0] for row in rows], ["2022", "2023", "2024"])
        for row in rows:
            year = int(row[0])
            speeches = Speech.objects.filter(debate__date__year=year)
            self.assertEqual(int(row[1]), speeches.count())
            for n, word in enumerate(["ceasefire", "humanitarian"]):
                matching = speeches.filter(text__icontains=word).count()
                self.assertEqual(int(row[2 + 2 * n]), matching, (year, word))
                self.assertAlmostEqual(
                    float(row[3 + 2 * n]), matching / speeches.count() * PER, places=2
                )
        # The chart draws the same numbers: one line per search, one point per year.
        svg = re.search(r"<svg.*?</svg>", html, re.S)[0]
        self.assertEqual(svg.count("<polyline"), 2)
        ceasefire_2022 = (
            self.db_matches("ceasefire").filter(debate__date__year=2022).count()
            / Speech.objects.filter(debate__date__year=2022).count()
            * PER
        )
        self.assertIn(f"ceasefire, 2022: {ceasefire_2022:.2f}".rstrip("0").rstrip("."), svg)
        self.assertIn('role="img"', svg)

    def test_by_month_with_filters_and_the_csv(self):
        params = {"q": ["humanitarian"], "period": "month", "house": "commons"}
        html = self.client.get("/trends/", params).content.decode()
        rows = table_rows(html)
        self.assertEqual(rows[0][0], "2022-05")
        self.assertEqual(rows[-1][0], "2024-02")
        self.assertEqual(len(rows), 22)  # every month between, at zero where nothing was said
        june = Speech.objects.filter(debate__date__year=2023, debate__date__month=6)
        self.assertEqual(
            [int(x) for x in next(r for r in rows if r[0] == "2023-06")[1:3]],
            [june.count(), june.filter(text__icontains="humanitarian").count()],
        )
        response = self.client.get("/trends/trends.csv", params)
        self.assertEqual(response.status_code, 200)
        lines = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(
            lines[0], ["period", "speeches", "humanitarian (speeches)", "humanitarian (per 10,000)"]
        )
        self.assertEqual(len(lines), 23)

    def test_the_kept_totals_follow_new_speeches(self):
        params = {"q": ["ceasefire"]}
        before = {
            row[0]: row for row in table_rows(self.client.get("/trends/", params).content.decode())
        }
        make_speech(debate=self.debates[0], text="A ceasefire, at last.")
        self.index_everything()
        after = {
            row[0]: row for row in table_rows(self.client.get("/trends/", params).content.decode())
        }
        self.assertEqual(int(after["2022"][1]), int(before["2022"][1]) + 1)
        self.assertEqual(int(after["2022"][2]), int(before["2022"][2]) + 1)
        self.assertEqual(after["2023"], before["2023"])

    def test_bad_trend_parameters_are_400s(self):
        for params in ({"q": "x", "period": "decade"}, {"q": "x", "date_from": "soon"}):
            with self.subTest(params=params):
                response = self.client.get("/trends/", params)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, "could not be drawn", status_code=400)
        self.assertEqual(self.client.get("/trends/trends.csv").status_code, 400)

    def test_the_trends_page_without_a_search_offers_the_form(self):
        response = self.client.get("/trends/")
        self.assertContains(response, '<label for="term-new-1">Search 1</label>', html=False)

    def test_who_says_this_most_ranks_and_normalises_by_what_each_said(self):
        response = self.client.get("/trends/speakers/", {"q": "humanitarian"})
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        members = re.search(r'id="members-title".*?</section>', html, re.S)[0]
        rows = table_rows(members)
        matching = self.db_matches("humanitarian").exclude(member=None)
        for label, count, spoke, share in rows:
            mine = matching.filter(member__name=label).count()
            theirs = Speech.objects.filter(member__name=label).count()
            self.assertEqual((int(count), int(spoke)), (mine, theirs))
            self.assertEqual(share, f"{mine / theirs * 100:.1f}%")
        self.assertEqual(len(rows), matching.values("member").distinct().count())
        counts = [int(row[1]) for row in rows]
        self.assertEqual(counts, sorted(counts, reverse=True))
        self.assertIn(f"/search/?q=humanitarian&amp;member={self.lab.id}", members)


class IndexedMonthTests(IndexTestCase):
    def test_a_speech_is_counted_in_its_month(self):
        debate = make_debate(date=datetime.date(2019, 11, 30))
        make_speech(debate=debate, text="Prorogation.")
        self.index_everything()
        from search.forms import SpeechSearchForm

        form = SpeechSearchForm({"q": "prorogation"})
        self.assertTrue(form.is_valid())
        total, counts = form.counts_by("month", "year")
        self.assertEqual((total, counts), (1, {"month": {"2019-11": 1}, "year": {"2019": 1}}))

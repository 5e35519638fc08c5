"""Researchers' paths in real Chromium: search, open the trend from the results, download
its figures; cite a speech with the copy button."""

import csv
import io
import re
from pathlib import Path

from django.conf import settings
from playwright.sync_api import expect

from debates.ingest.loading import load_file
from debates.models import Speech

from .test_browse import BrowserTestCase

PARLPARSE_DAY = Path(settings.BASE_DIR) / "fixtures/transcripts/parlparse/debates2023-03-28d.xml"


class TrendsTests(BrowserTestCase):
    def test_search_then_open_the_trend_and_download_its_csv(self):
        page = self.page
        page.goto(self.live_server_url)
        page.get_by_label("Search speeches").fill("ceasefire")
        page.keyboard.press("Enter")
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–3 of 3"))
        page.get_by_role("link", name="Trend over time").click()
        expect(page).to_have_url(re.compile(r"/trends/\?q=ceasefire$"))
        expect(page.get_by_role("img", name=re.compile("per 10,000 speeches"))).to_be_visible()
        expect(page.locator(".chart__line polyline")).to_have_count(1)
        expect(page.get_by_label("Search 1")).to_have_value("ceasefire")

        # Add a second search with the keyboard and draw both.
        page.get_by_label("Search 2").fill("hostages")
        page.get_by_role("button", name="Draw").click()
        expect(page.locator(".chart__line polyline")).to_have_count(2)
        expect(page.locator(".figures caption")).to_contain_text("Matching speeches by year")

        with page.expect_download() as info:
            page.get_by_role("link", name="Download the figures (CSV)").click()
        download = info.value
        rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
        self.assertEqual(
            rows[0][:4], ["period", "speeches", "ceasefire (speeches)", "hostages (speeches)"]
        )
        by_year = {row[0]: row for row in rows[1:]}
        ceasefire = Speech.objects.filter(text__icontains="ceasefire")
        for year, row in by_year.items():
            self.assertEqual(int(row[2]), ceasefire.filter(debate__date__year=int(year)).count())

    def test_cite_a_speech_and_copy_its_citation(self):
        load_file(PARLPARSE_DAY.read_bytes(), name=PARLPARSE_DAY.name)
        speech = Speech.objects.get(source_reference="uk.org.publicwhip/debate/2023-03-28d.859.4")
        page = self.page
        page.goto(self.live_server_url + speech.get_absolute_url())
        box = page.get_by_label("Official form", exact=True)
        expect(box).to_have_value("HC Deb 28 March 2023, col 859")
        page.get_by_role("button", name="Copy the Official form citation").click()
        expect(page.locator("#cite [data-copy-status]").first).to_have_text(
            re.compile(r"Copied\.|Selected")
        )
        # A sentence's number leads to its own citation.
        page.get_by_role("link", name="Cite sentence 1 of speech").first.click()
        expect(page.get_by_role("heading", name="Cite sentence 1")).to_be_visible()
        expect(page.get_by_label("OSCOLA")).to_have_value(re.compile(r"#s\d+-1> accessed "))

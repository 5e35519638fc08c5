"""Real Chromium against the production server (gunicorn, DEBUG off, the CSP on): the pages
load their CSS and JS and the console stays free of errors (a CSP violation is one)."""

import re
import secrets
from pathlib import Path

from django.test import SimpleTestCase
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.browser.test_browse import CHROMIUM, CHROMIUM_FLAGS
from tests.production import ProductionServer


class ProductionBrowserTests(SimpleTestCase):
    server: ProductionServer
    playwright: Playwright
    browser: Browser

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make chromium`")
        # Pages of one speech and parts of ten sentences, so that the seed debates are read
        # in pages and their long speeches in parts.
        cls.password = secrets.token_urlsafe(16)
        cls.server = ProductionServer(
            CHAMBER_DEBATE_PAGE_SPEECHES="1",
            CHAMBER_SPEECH_PART_SENTENCES="10",
            DJANGO_SUPERUSER_PASSWORD=cls.password,
        )
        cls.server.start()
        cls.server.manage(
            "createsuperuser", "--noinput", "--username=clerk", "--email=c@example.org"
        )
        try:
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS
            )
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        cls.server.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.page = self.browser.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.addCleanup(self.page.close)

    def test_home_debate_and_search_load_under_the_csp_without_console_errors(self):
        page = self.page
        response = page.goto(self.server.url + "/")
        self.assertIn("default-src 'self'", response.headers["content-security-policy"])
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The stylesheet applied: the skip link is moved off screen by base.css.
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).not_to_be_in_viewport()

        page.locator('a[href="/debates/2023-12-19/israel-and-gaza/"]').first.click()
        expect(page).to_have_url(re.compile(r"/debates/2023-12-19/israel-and-gaza/$"))
        expect(page.locator("#s1")).to_be_visible()
        expect(
            page.get_by_role("navigation", name="Pages of this debate", exact=True)
        ).to_contain_text("Page 1 of")

        page.get_by_role("combobox", name="Search speeches").fill("humanitarian")
        page.get_by_role("combobox", name="Search speeches").press("Enter")
        expect(page).to_have_url(re.compile(r"/search/\?q=humanitarian"))
        expect(page.locator(".result").first).to_be_visible()
        # The year histogram is an SVG (no style="" under the CSP).
        expect(page.locator(".facet--year svg.facet__bar").first).to_be_attached()
        page.locator(".result__title a").first.click()
        expect(page).to_have_url(re.compile(r"highlight=humanitarian.*#s\d+-\d+$"))
        expect(page.locator("mark").first).to_be_visible()
        self.assertEqual(self.errors, [])

    def test_an_anchor_on_a_later_page_opens_that_page(self):
        page = self.page
        page.goto(self.server.url + "/debates/2023-12-19/israel-and-gaza/#s2-2")
        # debate.js: speech 2 is on page 2 of one speech each.
        expect(page).to_have_url(re.compile(r"/israel-and-gaza/\?page=2#s2-2$"))
        expect(page.locator("#s2-2")).to_be_in_viewport()
        self.assertEqual(self.errors, [])

    def test_a_sentence_in_a_later_part_of_a_speech_opens_that_part(self):
        page = self.page
        page.goto(self.server.url + "/debates/2024-03-26/israel-and-gaza/#s1-25")
        # debate.js: sentence 25 is in part 3 of speech 1 (ten sentences a part).
        expect(page).to_have_url(re.compile(r"/2024-03-26/israel-and-gaza/1/\?part=3#s1-25$"))
        expect(page.locator("#s1-25")).to_be_in_viewport()
        expect(
            page.get_by_role("navigation", name="Parts of this speech", exact=True)
        ).to_contain_text("Part 3 of")
        self.assertEqual(self.errors, [])

    def test_the_admin_works_under_the_csp(self):
        page = self.page
        page.goto(self.server.url + "/admin/")
        page.get_by_label("Username:").fill("clerk")
        page.get_by_label("Password:").fill(self.password)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))
        for path, heading in (
            ("/admin/debates/speech/", "Select speech to change"),
            ("/admin/debates/speech/1/change/", "Change speech"),
            ("/admin/debates/sourcefile/upload/", "Upload transcripts"),
        ):
            page.goto(self.server.url + path)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        self.assertEqual(self.errors, [])

"""Real Chromium through Playwright against the live test server, with the seeds loaded."""

import os
import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.management import call_command
from haystack import connections
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserTestCase(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; the ORM calls the test
        # makes are still synchronous and safe.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make chromium`")
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    def setUp(self):
        connections["default"].get_backend().clear()
        seeds = Path(settings.BASE_DIR) / "fixtures" / "seeds"
        call_command("load_transcripts", str(seeds), stdout=StringIO())
        self.page = self.browser.new_page()
        self.addCleanup(self.page.close)


class BrowseTests(BrowserTestCase):
    def test_home_to_debate_to_a_sentence_permalink(self):
        page = self.page
        page.goto(self.live_server_url)
        expect(page.get_by_role("heading", name="Latest debates")).to_be_visible()
        page.get_by_role("link", name="Israel and Gaza").last.click()  # 19 December 2023
        expect(page.get_by_role("heading", level=1)).to_have_text("Israel and Gaza")
        expect(page.locator(".citation")).to_contain_text("HC Deb 19 December 2023")
        expect(page.get_by_text("Speaker not recorded")).to_have_count(4)

        page.get_by_role("link", name="Sentence 1 of speech 2", exact=True).click()
        # Playwright's expect() waits for the navigation; reading page.url at once races it.
        expect(page).to_have_url(re.compile(r"/debates/2023-12-19/israel-and-gaza/#s2-1$"))
        target = page.locator(":target")
        expect(target).to_have_attribute("id", "s2-1")
        expect(target).to_contain_text("My understanding is that both the Foreign Secretary")
        # The targeted sentence is marked for the eye, not only in the DOM.
        background = target.evaluate("el => getComputedStyle(el).backgroundColor")
        self.assertNotIn(background, {"rgba(0, 0, 0, 0)", "transparent"})

        # Opening the permalink afresh lands on the same sentence.
        page.goto(page.url)
        expect(page.locator(":target")).to_have_attribute("id", "s2-1")

    def test_speech_permalink_page_and_back_into_the_debate(self):
        page = self.page
        page.goto(f"{self.live_server_url}/debates/2024-03-26/israel-and-gaza/")
        page.get_by_role("link", name="Permalink to speech 1").click()
        expect(page).to_have_url(re.compile(r"/debates/2024-03-26/israel-and-gaza/1/$"))
        page.get_by_role("link", name="Read this speech in the debate").click()
        expect(page.locator(":target")).to_have_attribute("id", "s1")

    def test_keyboard_users_can_skip_to_content_and_see_focus(self):
        page = self.page
        page.goto(f"{self.live_server_url}/debates/2023-12-19/israel-and-gaza/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        self.assertGreaterEqual(box["y"], 0, "the skip link must move into view when focused")
        outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
        self.assertEqual(outline, "solid")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#content$"))
        expect(page.locator(":target")).to_have_attribute("id", "content")

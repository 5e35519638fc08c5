"""Member suggestions in the search box (static/js/speakers.js), in real Chromium against the
real index: with the keyboard alone, announced, accessible; and the plain form without
JavaScript."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from debates.models import Speech
from search import indexing
from tests.factories import make_member

from .test_accessibility import RULES
from .test_browse import BrowserTestCase


class SpeakerSuggestionTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.starmer = make_member(name="Keir Starmer", party="Labour", constituency="Holborn")
        self.stanley = make_member(name="Ann Stanley", party="Conservative", constituency="Aytown")
        speeches = list(Speech.objects.order_by("id").values_list("id", flat=True)[:3])
        Speech.objects.filter(id__in=speeches[:2]).update(member=self.starmer)
        Speech.objects.filter(id=speeches[2]).update(member=self.stanley)
        # A bulk update tells no one: the index is told here.
        indexing.enqueue(speeches, deliver=False)
        indexing.drain()

    def test_choose_a_member_with_the_keyboard_then_search(self):
        page = self.page
        page.goto(self.live_server_url)
        box = page.get_by_role("combobox", name="Search speeches")
        box.focus()
        page.keyboard.type("speaker:sta")

        listbox = page.get_by_role("listbox", name="Suggested members")
        expect(listbox).to_be_visible()
        options = listbox.get_by_role("option")
        expect(options).to_have_count(2)
        expect(options.first).to_contain_text("Keir Starmer")  # two speeches, before one
        expect(options.first).to_contain_text("2 speeches")
        expect(options.nth(1)).to_contain_text("Ann Stanley")
        expect(box).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("status").filter(has_text="suggested")).to_have_text(
            "2 members suggested"
        )

        page.keyboard.press("ArrowDown")
        expect(options.first).to_have_attribute("aria-selected", "true")
        first_id = options.first.get_attribute("id")
        expect(box).to_have_attribute("aria-activedescendant", first_id)
        # The option chosen is marked for the eye, not only for screen readers.
        background = options.first.evaluate("el => getComputedStyle(el).backgroundColor")
        self.assertNotIn(background, ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"))
        results = Axe().run(page, options={**RULES, "resultTypes": ["violations"]})
        self.assertEqual(results.violations_count, 0, results.generate_report())

        # Down and up again: around the list and back.
        page.keyboard.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
        page.keyboard.press("ArrowUp")
        expect(box).to_have_attribute("aria-activedescendant", first_id)

        page.keyboard.press("Enter")
        expect(box).to_have_value('speaker:"Keir Starmer" ')
        expect(listbox).to_be_hidden()
        expect(box).to_have_attribute("aria-expanded", "false")
        expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
        expect(box).to_be_focused()

        # Enter again searches, as it always did.
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/search/\?q=speaker%3A%22Keir\+Starmer%22"))
        self.assert_results_are_by(page, "Keir Starmer")

    def test_escape_closes_and_tab_accepts(self):
        page = self.page
        page.goto(f"{self.live_server_url}/search/")
        box = page.get_by_role("combobox", name=re.compile("^Words"))
        box.focus()
        page.keyboard.type("speaker:st")
        listbox = page.get_by_role("listbox", name="Suggested members")
        expect(listbox.get_by_role("option")).to_have_count(2)
        page.keyboard.press("Escape")
        expect(listbox).to_be_hidden()
        expect(box).to_have_value("speaker:st")  # Escape did not clear the search box

        page.keyboard.type("a")
        expect(listbox).to_be_visible()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")  # accepts, and focus moves on
        expect(box).to_have_value('speaker:"Ann Stanley" ')
        expect(box).not_to_be_focused()
        expect(listbox).to_be_hidden()
        box.press("Enter")
        self.assert_results_are_by(page, "Ann Stanley")

    def test_a_click_chooses_too(self):
        page = self.page
        page.goto(f"{self.live_server_url}/search/")
        box = page.get_by_role("combobox", name=re.compile("^Words"))
        box.fill("-speaker:kei")
        page.get_by_role("option", name=re.compile("Keir Starmer")).click()
        expect(box).to_have_value('-speaker:"Keir Starmer" ')
        expect(box).to_be_focused()

    def test_without_javascript_the_box_is_the_plain_search_form(self):
        context = self.browser.new_context(java_script_enabled=False)
        self.addCleanup(context.close)
        page = context.new_page()
        page.goto(self.live_server_url)
        box = page.get_by_role("searchbox", name="Search speeches")
        box.fill('speaker:"Ann Stanley"')
        box.press("Enter")
        expect(page.get_by_role("listbox")).to_have_count(0)
        self.assert_results_are_by(page, "Ann Stanley")

    def assert_results_are_by(self, page, name):
        member = self.starmer if name == "Keir Starmer" else self.stanley
        count = member.speeches.count()
        expect(page.locator(".result-count")).to_have_text(
            re.compile(rf"Results 1–{count} of {count}")
        )
        expect(page.locator(".result")).to_have_count(count)
        for n in range(count):
            expect(page.locator(".result").nth(n)).to_contain_text(name)

"""Searching the seeds in real Chromium: facets on and off, then into the debate."""

import re

from playwright.sync_api import expect

from .test_browse import BrowserTestCase


class SearchTests(BrowserTestCase):
    def test_search_select_and_remove_a_facet_then_land_on_the_sentence(self):
        page = self.page
        page.goto(self.live_server_url)
        page.get_by_label("Search speeches").fill("ceasefire")
        page.keyboard.press("Enter")
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–3 of 3"))
        expect(page.locator(".result__snippet mark").first).to_have_text(
            re.compile("ceasefire", re.I)
        )

        # Narrow to 2024: one result, shown as a chip.
        page.locator(".facet--year").get_by_role("link", name=re.compile("^2024")).click()
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–1 of 1"))
        chip = page.locator(".chip")
        expect(chip).to_have_text(re.compile("Year: 2024"))

        # Remove it with the keyboard: back to all three.
        chip.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–3 of 3"))
        expect(page.locator(".chip")).to_have_count(0)

        # Open a result: the matching sentence is the target, highlighted and in view, with
        # the searched word marked in it.
        first = page.locator(".result").first
        snippet = first.locator(".result__snippet").inner_text()
        first.locator(".result__title a").click()
        target = page.locator(":target")
        expect(target).to_have_attribute("id", re.compile(r"^s\d+-\d+$"))
        expect(target).to_contain_text(re.compile("ceasefire", re.I))
        self.assertIn(target.inner_text().split(" ", 1)[1].strip()[:40], snippet)
        background = target.evaluate("el => getComputedStyle(el).backgroundColor")
        self.assertNotIn(background, ("rgba(0, 0, 0, 0)", "transparent"))
        expect(target).to_be_in_viewport()
        expect(target.locator("mark").first).to_have_text(re.compile("ceasefire", re.I))
        page.get_by_role("link", name="Hide the marks").click()
        expect(page.locator(".speech mark")).to_have_count(0)

"""A clerk puts a wrongly inferred turn right in real Chromium, with the keyboard alone: from
the debate's admin page to its turns, split a speech at a sentence, then find the new speech
on the site and through search."""

import re

from playwright.sync_api import expect

from debates.models import Debate

from .test_upload import UploadBrowserTestCase


class TurnsTests(UploadBrowserTestCase):
    def test_split_a_speech_at_a_sentence_with_the_keyboard(self):
        page = self.page
        self.log_in()
        debate = Debate.objects.get(date="2023-12-19")
        page.goto(f"{self.live_server_url}/admin/debates/debate/{debate.pk}/change/")
        page.get_by_role("link", name="Merge or split speeches").click()
        expect(page).to_have_url(re.compile(rf"/admin/debates/debate/{debate.pk}/turns/$"))
        expect(page.get_by_role("heading", name=re.compile("^Speech 1:"))).to_be_visible()

        # "My understanding is ..." (sentence 5) is the Minister's answer to the question.
        choice = page.get_by_label("New speech starts at sentence").first
        choice.focus()
        choice.select_option("5")
        page.keyboard.press("Tab")  # to the speech's Split button
        expect(page.get_by_role("button", name="Split speech 1")).to_be_focused()
        page.keyboard.press("Enter")

        expect(page).to_have_url(re.compile(r"/turns/#s2$"))
        expect(page.get_by_text("Speech 1 split: speech 2 is new.")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Speech 3:"))).to_be_visible()

        page.get_by_role("link", name="View the debate on the site").click()
        second = page.locator("#s2")
        expect(second).to_contain_text("My understanding is that both the Foreign Secretary")
        expect(second).to_contain_text("Turn set by an editor.")
        expect(second).to_contain_text("Speaker not recorded")

        page.goto(f"{self.live_server_url}/search/?q=%22my+understanding%22")
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–1 of 1"))
        page.locator(".result__title a").first.click()
        expect(page).to_have_url(re.compile(r"#s2-1$"))

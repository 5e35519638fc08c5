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

        # "There is nothing morally courageous ..." (sentence 3 of the Minister's answer,
        # speech 2) is a new questioner's, a turn the text does not show.
        choice = page.get_by_label("New speech starts at sentence").nth(1)
        choice.focus()
        choice.select_option("3")
        page.keyboard.press("Tab")  # to the speech's Split button
        expect(page.get_by_role("button", name="Split speech 2")).to_be_focused()
        page.keyboard.press("Enter")

        expect(page).to_have_url(re.compile(r"/turns/#s3$"))
        expect(page.get_by_text("Speech 2 split: speech 3 is new.")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Speech 5:"))).to_be_visible()

        page.get_by_role("link", name="View the debate on the site").click()
        third = page.locator("#s3")
        expect(third).to_contain_text("There is nothing morally courageous about arguing")
        expect(third).to_contain_text("Turn set by an editor.")
        expect(third).to_contain_text("Speaker not recorded")

        page.goto(f"{self.live_server_url}/search/?q=%22morally+courageous%22")
        expect(page.locator(".result-count")).to_have_text(re.compile(r"Results 1–1 of 1"))
        page.locator(".result__title a").first.click()
        expect(page).to_have_url(re.compile(r"#s3-1$"))

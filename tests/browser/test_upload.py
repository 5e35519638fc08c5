"""A clerk uploads a transcript through the admin in real Chromium: log in, preview, confirm,
open the new debate, find its words through the public search."""

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from playwright.sync_api import expect

from debates.models import Debate, SourceFile

from .test_browse import BrowserTestCase

EXCERPT = (
    Path(settings.BASE_DIR)
    / "fixtures"
    / "transcripts"
    / "uploads"
    / "hansard_commons_2023-03-28_justice.txt"
)


class UploadBrowserTestCase(BrowserTestCase):
    def setUp(self):
        super().setUp()
        upload_dir = tempfile.mkdtemp(prefix="chamber-uploads-")
        self.addCleanup(shutil.rmtree, upload_dir, ignore_errors=True)
        override = override_settings(CHAMBER_UPLOAD_DIR=upload_dir)
        override.enable()
        self.addCleanup(override.disable)
        self.upload_dir = Path(upload_dir)
        User.objects.create_superuser("clerk", "clerk@example.org", "a long clerk password")

    def log_in(self):
        page = self.page
        page.goto(f"{self.live_server_url}/admin/")
        page.get_by_label("Username").fill("clerk")
        page.get_by_label("Password").fill("a long clerk password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("link", name="Upload transcripts")).to_be_visible()


class UploadTests(UploadBrowserTestCase):
    def test_clerk_uploads_previews_confirms_and_finds_the_speech(self):
        page = self.page
        self.log_in()
        page.get_by_role("link", name="Upload transcripts").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Upload transcripts")
        page.get_by_label("Transcript files or a .zip").set_input_files(str(EXCERPT))
        page.get_by_role("button", name="Preview").click()

        expect(
            page.get_by_role("heading", name="Preview: nothing has been written yet")
        ).to_be_visible()
        row = page.get_by_role("row").filter(has_text="Justice")
        expect(row).to_contain_text("28 March 2023")
        expect(row).to_contain_text("House of Commons")
        expect(row).to_contain_text("Oral questions")
        # "The Secretary of State was asked—", a question, its answer, a second, its answer.
        expect(row.locator(".upload-debates__speeches")).to_have_text("5")
        expect(row).to_contain_text("Dominic Raab")
        expect(row).to_contain_text("Andrew Western")
        self.assertEqual(Debate.objects.count(), 2)  # the seeds only: nothing written yet

        page.get_by_role("button", name="Load 1 file").click()
        expect(page.get_by_role("heading", name="Loaded")).to_be_visible()
        self.assertEqual(list(self.upload_dir.iterdir()), [])
        self.assertTrue(SourceFile.objects.filter(name=EXCERPT.name).exists())
        page.get_by_role("link", name="Justice, HC Deb 28 March 2023").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Justice")
        expect(
            page.get_by_role("heading", level=2, name="Violence against Women and Girls")
        ).to_be_visible()
        expect(page.get_by_text("zero-tolerance approach")).to_be_visible()

        page.goto(f"{self.live_server_url}/search/")
        page.get_by_role("combobox").first.fill('"zero-tolerance approach"')
        page.get_by_role("combobox").first.press("Enter")
        result = page.locator(".result__title").get_by_role("link", name="Justice")
        expect(result).to_be_visible()
        result.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Justice")
        expect(page.locator(":target")).to_contain_text("zero-tolerance approach")

    def test_clerk_uploads_plain_text_giving_its_title_and_date(self):
        page = self.page
        self.log_in()
        page.get_by_role("link", name="Upload transcripts").click()
        files = [
            {
                "name": "giraffes.txt",
                "mimeType": "text/plain",
                "buffer": b"The giraffes of the Commons are tall.\nThey are also quiet.\n",
            }
        ]
        page.get_by_label("Transcript files or a .zip").set_input_files(files)
        page.get_by_role("button", name="Preview").click()
        # Plain text carries no title or date: the form says so, at the fields.
        page.get_by_role("link", name="Give the title").click()
        expect(page.get_by_label("Title")).to_be_focused()
        page.get_by_label("Title").fill("Giraffes")
        page.get_by_label("Date").fill("2024-01-10")
        page.get_by_label("Transcript files or a .zip").set_input_files(files)
        page.get_by_role("button", name="Preview").click()
        row = page.get_by_role("row").filter(has_text="Giraffes")
        expect(row).to_contain_text("10 January 2024")
        expect(row.locator(".upload-debates__speeches")).to_have_text("1")

        page.get_by_role("button", name="Load 1 file").click()
        page.get_by_role("link", name="Giraffes, HC Deb 10 January 2024").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Giraffes")

        page.goto(f"{self.live_server_url}/search/?q=giraffes")
        expect(page.get_by_role("link", name="Giraffes").first).to_be_visible()

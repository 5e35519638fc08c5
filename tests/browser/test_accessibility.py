"""axe-core (bundled by axe-playwright-python) in real Chromium: no WCAG 2.1 A or AA
violation, nor axe's best-practice ones, on each kind of page."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from debates.ingest.loading import load_file
from debates.models import Debate, Speech
from tests.factories import make_member

from .test_browse import BrowserTestCase
from .test_upload import UploadBrowserTestCase

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
PARLPARSE_DAY = (
    Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "parlparse" / "debates2023-03-28d.xml"
)

RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}


class AccessibilityTests(BrowserTestCase):
    def test_no_violations_on_each_kind_of_page(self):
        member = make_member(name="Ann Able", party="Labour", constituency="Aytown")
        Speech.objects.filter(id=Speech.objects.order_by("id").values("id")[:1]).update(
            member=member
        )
        debate = Debate.objects.order_by("date").last()
        # The first seed's speech 1 has related speeches (in the other seed debate).
        related = f"{Debate.objects.order_by('date').first().get_absolute_url()}1/"
        # A real sitting day: sections, divisions, the record's own words, unresolved names.
        day = load_file(PARLPARSE_DAY.read_bytes(), name=PARLPARSE_DAY.name).debates
        bill = next(d for d in day if d.title == "Illegal Migration Bill")
        pages = {
            bill.get_absolute_url(): 200,
            "/": 200,
            "/debates/": 200,
            f"/debates/{debate.date:%Y}/": 200,
            f"/debates/{debate.date:%Y/%m}/": 200,
            f"/debates/{debate.date:%Y-%m-%d}/": 200,
            f"{debate.get_absolute_url()}?highlight=ceasefire": 200,
            f"{debate.get_absolute_url()}1/?highlight=ceasefire": 200,
            related: 200,
            "/members/": 200,
            member.get_absolute_url(): 200,
            "/search/": 200,
            "/search/?q=ceasefire&year=2024": 200,
            '/search/?q="humanitarian pause" -hostages&sort=oldest': 200,
            "/search/?q=ceasfire": 200,
            "/search/?date_from=2024-02-30": 400,  # the form's errors
            "/trends/": 200,
            "/trends/?q=ceasefire&q=hostages": 200,
            "/trends/?q=ceasefire&period=month&house=commons": 200,
            "/trends/?q=ceasefire&period=decade": 400,
            "/trends/speakers/?q=ceasefire": 200,
            bill.speeches.order_by("position").last().get_absolute_url(): 200,
            f"{bill.speeches.order_by('position').last().get_absolute_url()}?sentence=1": 200,
            "/no/such/page/": 404,
        }
        axe = Axe()
        for path, status in pages.items():
            with self.subTest(path=path):
                self.assertEqual(self.page.goto(self.live_server_url + path).status, status)
                if path == related:
                    expect(self.page.get_by_role("region", name="Related speeches")).to_be_visible()
                results = axe.run(self.page, options={**RULES, "resultTypes": ["violations"]})
                self.assertEqual(results.violations_count, 0, results.generate_report())


class UploadAccessibilityTests(UploadBrowserTestCase):
    def assertNoViolations(self, name):
        with self.subTest(page=name):
            self.page.wait_for_load_state("load")  # the stylesheets too
            results = Axe().run(self.page, options={**RULES, "resultTypes": ["violations"]})
            self.assertEqual(results.violations_count, 0, results.generate_report())

    def test_no_violations_on_the_admin_upload_pages(self):
        page = self.page
        self.log_in()
        self.assertNoViolations("admin index")
        page.get_by_role("link", name="Upload transcripts").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Upload transcripts")
        self.assertNoViolations("upload form")

        # Plain text with no title or date: errors linked to their fields.
        revised = SEEDS / "000_9ca9d066f0ebde3b.txt"
        files = [
            {
                "name": "revised.txt",
                "mimeType": "text/plain",
                "buffer": revised.read_bytes() + b"\nAn extra sentence.\n",
            }
        ]
        page.get_by_label("Transcript files or a .zip").set_input_files(files)
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("alert")).to_contain_text("Give the title")
        self.assertNoViolations("upload form with errors")
        page.get_by_role("link", name="Give the title").click()
        expect(page.get_by_label("Title")).to_be_focused()

        # Repeats the loaded seed: a choice to make, then refused without one.
        page.get_by_label("Transcript files or a .zip").set_input_files(files)
        page.get_by_label("Title").fill("Israel and Gaza")
        page.get_by_label("Date").fill("2023-12-19")
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("group", name="revised.txt repeats what is loaded")).to_be_visible()
        self.assertNoViolations("preview with a choice")
        page.get_by_role("button", name="Load 1 file").click()
        expect(page.get_by_role("alert")).to_contain_text("Choose whether to skip revised.txt")
        self.assertNoViolations("preview with an unanswered choice")

        # Keyboard only: the choice and the button.
        page.get_by_label("Replace what is loaded with this file").focus()
        page.keyboard.press("Space")
        expect(page.get_by_label("Replace what is loaded with this file")).to_be_checked()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        self.assertEqual(outline, "solid")
        page.get_by_role("button", name="Load 1 file").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Loaded")).to_be_visible()
        self.assertNoViolations("upload done")

        # A preview whose token was altered: refused, 400.
        page.goto(f"{self.live_server_url}/admin/debates/sourcefile/upload/")
        page.get_by_label("Transcript files or a .zip").set_input_files(
            [{"name": "new.txt", "mimeType": "text/plain", "buffer": b"A new sentence.\n"}]
        )
        page.get_by_label("Title").fill("A new debate")
        page.get_by_label("Date").fill("2024-01-10")
        page.get_by_role("button", name="Preview").click()
        page.locator('input[name="token"]').evaluate("el => el.value = el.value + 'x'")
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            page.get_by_role("button", name="Load 1 file").click()
        self.assertEqual(response.value.status, 400)
        self.assertNoViolations("refused")

    def test_no_violations_on_the_unresolved_speakers_page(self):
        load_file(PARLPARSE_DAY.read_bytes(), name=PARLPARSE_DAY.name)  # no members loaded
        self.log_in()
        self.page.goto(f"{self.live_server_url}/admin/debates/speech/unresolved-speakers/")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("nresolved")
        expect(self.page.get_by_text("Dominic Raab").first).to_be_visible()
        self.assertNoViolations("unresolved speakers")

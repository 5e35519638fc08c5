"""axe-core (bundled by axe-playwright-python) in real Chromium: no WCAG 2.1 A or AA
violation, nor axe's best-practice ones, on each kind of page."""

from axe_playwright_python.sync_playwright import Axe

from debates.models import Debate, Speech
from tests.factories import make_member

from .test_browse import BrowserTestCase

RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}


class AccessibilityTests(BrowserTestCase):
    def test_no_violations_on_each_kind_of_page(self):
        member = make_member(name="Ann Able", party="Labour", constituency="Aytown")
        Speech.objects.filter(id=Speech.objects.order_by("id").values("id")[:1]).update(
            member=member
        )
        debate = Debate.objects.order_by("date").last()
        pages = {
            "/": 200,
            "/debates/": 200,
            f"/debates/{debate.date:%Y}/": 200,
            f"/debates/{debate.date:%Y/%m}/": 200,
            f"/debates/{debate.date:%Y-%m-%d}/": 200,
            f"{debate.get_absolute_url()}?highlight=ceasefire": 200,
            f"{debate.get_absolute_url()}1/?highlight=ceasefire": 200,
            "/members/": 200,
            member.get_absolute_url(): 200,
            "/search/": 200,
            "/search/?q=ceasefire&year=2024": 200,
            '/search/?q="humanitarian pause" -hostages&sort=oldest': 200,
            "/search/?q=ceasfire": 200,
            "/search/?date_from=2024-02-30": 400,  # the form's errors
            "/no/such/page/": 404,
        }
        axe = Axe()
        for path, status in pages.items():
            with self.subTest(path=path):
                self.assertEqual(self.page.goto(self.live_server_url + path).status, status)
                results = axe.run(self.page, options={**RULES, "resultTypes": ["violations"]})
                self.assertEqual(results.violations_count, 0, results.generate_report())

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import TestCase
from django.urls import reverse

from debates.ingest.importers.transcript import DebateMetadata
from debates.ingest.loading import load_file
from debates.models import Debate, Member, MemberIdentifier, SourceFile, Speech
from tests.factories import make_member

SEED = Path(settings.BASE_DIR) / "fixtures" / "seeds" / "000_9ca9d066f0ebde3b.txt"


class AdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        metadata = DebateMetadata(title="Israel and Gaza", date=datetime.date(2023, 12, 19))
        load_file(SEED.read_bytes(), name=SEED.name, metadata=metadata)
        member = make_member(name="Andrew Mitchell")
        MemberIdentifier.objects.create(
            member=member, scheme="parlparse-person", value="uk.org.publicwhip/person/10427"
        )
        cls.admin = User.objects.create_superuser("admin", "admin@example.org", "pw")

    def test_every_model_has_a_working_list_and_change_page(self):
        self.client.force_login(self.admin)
        for model in [Debate, Speech, Member, SourceFile]:
            with self.subTest(model=model.__name__):
                opts = model._meta
                listing = self.client.get(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                )
                self.assertEqual(listing.status_code, 200)
                obj = model.objects.first()
                change = self.client.get(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                )
                self.assertEqual(change.status_code, 200)

    def test_source_file_page_offers_the_raw_file(self):
        self.client.force_login(self.admin)
        source = SourceFile.objects.get()
        response = self.client.get(reverse("admin:debates_sourcefile_change", args=[source.pk]))
        self.assertContains(response, source.get_absolute_url())
        self.assertContains(response, source.sha256)

    def test_admin_is_for_staff_only(self):
        response = self.client.get(reverse("admin:debates_debate_changelist"))
        self.assertEqual(response.status_code, 302)

"""The admin's "Upload transcripts": preview, confirm, and every kind of bad input refused
by name, with nothing written and nothing left behind."""

import datetime
import os
import shutil
import tempfile
import time
import unittest
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from haystack.query import SearchQuerySet

from debates.ingest import sources, staging
from debates.ingest.importers.transcript import DebateMetadata
from debates.ingest.loading import load_file
from debates.models import Debate, SourceFile, Speech
from search import indexing as search_index

from .test_archive import make_zip, zip_with_raw_name
from .test_loading import MANIFEST, SEED_STATEMENT, SEED_UQ, seed_bytes

UPLOAD = reverse("admin:debates_sourcefile_upload")
CONFIRM = reverse("admin:debates_sourcefile_upload_confirm")
GAZA = {"title": "Israel and Gaza", "date": "2023-12-19", "house": "commons"}
PLAIN = b"First sentence of the debate about zebras.\nA second sentence.\n"


def refuse_speeches_of(title: str) -> None:
    """Make the database refuse speeches of debates with this title (a real trigger, gone
    with the test's transaction): that file's write fails after the files before it wrote."""
    speech = connection.ops.quote_name(Speech._meta.db_table)
    debate = connection.ops.quote_name(Debate._meta.db_table)
    quoted = title.replace("'", "''")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_speech BEFORE INSERT ON {speech}"
                f" WHEN (SELECT title FROM {debate} WHERE id = NEW.debate_id) = '{quoted}'"
                " BEGIN SELECT RAISE(ABORT, 'speech refused by test trigger'); END"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_speech() RETURNS trigger AS $$ BEGIN"
                f" IF (SELECT title FROM {debate} WHERE id = NEW.debate_id) = '{quoted}' THEN"
                " RAISE EXCEPTION 'speech refused by test trigger'; END IF; RETURN NEW;"
                " END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_speech BEFORE INSERT ON {speech}"
                " FOR EACH ROW EXECUTE FUNCTION refuse_speech()"
            )
        else:  # pragma: no cover
            raise unittest.SkipTest(f"no test trigger for {connection.vendor}")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (SourceFile, Debate, Speech)}


PARLPARSE = Path(settings.BASE_DIR) / "fixtures" / "transcripts" / "parlparse"


class UploadTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.staff = User.objects.create_superuser("clerk", "clerk@example.org", "pw")

    def setUp(self):
        self.upload_dir = Path(tempfile.mkdtemp(prefix="chamber-uploads-"))
        self.addCleanup(shutil.rmtree, self.upload_dir, ignore_errors=True)
        settings_override = override_settings(CHAMBER_UPLOAD_DIR=self.upload_dir)
        settings_override.enable()
        self.addCleanup(settings_override.disable)
        self.addCleanup(search_index.discard_pending)
        self.client.force_login(self.staff)

    def upload(self, *files: tuple[str, bytes], client=None, **fields):
        data = {"files": [SimpleUploadedFile(name, raw) for name, raw in files], **fields}
        return (client or self.client).post(UPLOAD, data)

    def staged(self) -> list[Path]:
        return sorted(self.upload_dir.iterdir()) if self.upload_dir.exists() else []

    def token(self, response) -> str:
        return response.context["form"]["token"].value()

    def assertNothingWritten(self, before=None):
        self.assertEqual(counts(), before or {"SourceFile": 0, "Debate": 0, "Speech": 0})

    def assertFormError400(self, response, *fragments, field="files"):
        """A form error (400), on `field`, saying each of `fragments`; nothing kept."""
        self.assertEqual(response.status_code, 400)
        errors = " ".join(response.context["form"].errors.get(field, []))
        for fragment in fragments:
            self.assertIn(fragment, errors)
        self.assertEqual(self.staged(), [])
        return errors


class UploadPageTests(UploadTestCase):
    def test_page_is_linked_from_the_admin_index_and_the_source_files_list(self):
        for page in (reverse("admin:index"), reverse("admin:debates_sourcefile_changelist")):
            with self.subTest(page=page):
                self.assertContains(self.client.get(page), f'href="{UPLOAD}"')

    def test_form_labels_every_field_inside_fieldsets(self):
        response = self.client.get(UPLOAD)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'enctype="multipart/form-data"')
        self.assertContains(response, "<legend>Files</legend>", html=True)
        for field in ("files", "title", "date", "house", "kind"):
            self.assertContains(response, f'for="id_{field}"')
        self.assertContains(response, 'aria-describedby="id_files_helptext"')

    def test_confirm_only_takes_posts(self):
        self.assertEqual(self.client.get(CONFIRM).status_code, 405)


class PreviewTests(UploadTestCase):
    def test_plain_text_preview_shows_what_would_load_and_writes_nothing(self):
        response = self.upload((SEED_UQ, seed_bytes(SEED_UQ)), **GAZA, kind="urgent-question")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "admin/debates/upload_preview.html")
        preview = response.context["preview"]
        [plan] = preview.plans
        self.assertEqual((plan.status, plan.format), ("new", "plaintext"))
        self.assertEqual(plan.debates[0].speech_count, 4)
        self.assertContains(response, "Israel and Gaza")
        self.assertContains(response, "19 December 2023")
        self.assertContains(response, "Urgent question")
        self.assertContains(response, '<td class="numeric upload-debates__speeches">4</td>')
        self.assertContains(response, "nothing has been written yet", status_code=200)
        self.assertContains(response, 'value="Load 1 file"')
        self.assertNothingWritten()
        self.assertEqual(len(self.staged()), 1)

    def test_staged_bytes_wait_under_an_unguessable_key(self):
        response = self.upload(("a.txt", PLAIN), **GAZA)
        [folder] = self.staged()
        self.assertRegex(folder.name, r"^[A-Za-z0-9_-]{32}$")
        self.assertNotIn(folder.name, response.content.decode().replace(self.token(response), ""))
        self.assertEqual((folder / "0000.bin").read_bytes(), PLAIN)

    def test_plain_text_without_title_or_date_says_what_is_missing(self):
        response = self.upload(("notes.txt", PLAIN))
        self.assertFormError400(response, "notes.txt", field="files")
        form = response.context["form"]
        self.assertIn("notes.txt", form.errors["title"][0])
        self.assertIn("notes.txt", form.errors["date"][0])
        # Each error links to its field, and the field names its error.
        self.assertContains(response, 'href="#id_title"', status_code=400)
        self.assertContains(
            response, 'aria-describedby="id_title_helptext id_title_error"', status_code=400
        )
        self.assertContains(response, 'aria-invalid="true"', status_code=400)
        self.assertNothingWritten()

    def test_zip_entries_load_like_files_with_their_manifest(self):
        manifest = (
            b'{"files": {"uq.txt": {"title": "Israel and Gaza", "date": "2023-12-19"},'
            b' "st.txt": {"title": "Israel and Gaza", "date": "2024-03-26"}}}'
        )
        raw = make_zip(
            [
                ("day/manifest.json", manifest),
                ("day/uq.txt", seed_bytes(SEED_UQ)),
                ("day/st.txt", seed_bytes(SEED_STATEMENT)),
                ("__MACOSX/day/._uq.txt", b"\x00\x05"),
            ]
        )
        response = self.upload(("sitting.zip", raw))
        plans = response.context["preview"].plans
        self.assertEqual(
            [plan.name for plan in plans], ["sitting.zip/day/uq.txt", "sitting.zip/day/st.txt"]
        )
        self.assertEqual([p.debates[0].parsed.date.day for p in plans], [19, 26])
        response = self.client.post(CONFIRM, {"token": self.token(response), "load": "1"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(counts(), {"SourceFile": 2, "Debate": 2, "Speech": 5})

    def test_form_values_win_over_a_manifest(self):
        raw = make_zip(
            [("manifest.json", b'{"files": {"a.txt": {"title": "Old"}}}'), ("a.txt", PLAIN)]
        )
        response = self.upload(("a.zip", raw), title="New", date="2024-01-10")
        self.assertEqual(response.context["preview"].plans[0].debates[0].parsed.title, "New")


class ConfirmTests(UploadTestCase):
    def test_confirm_loads_keeps_the_file_indexes_and_links_to_the_debate(self):
        search_index.sync()
        response = self.upload(("zebras.txt", PLAIN), **GAZA)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(CONFIRM, {"token": self.token(response), "load": "1"})
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "admin/debates/upload_done.html")
        debate = Debate.objects.get()
        self.assertContains(response, f'href="{debate.get_absolute_url()}"')
        self.assertContains(response, reverse("admin:debates_debate_change", args=[debate.pk]))
        source = SourceFile.objects.get()
        self.assertEqual((source.name, bytes(source.raw)), ("zebras.txt", PLAIN))
        self.assertEqual(self.staged(), [])
        hits = SearchQuerySet().auto_query("zebras")
        self.assertEqual([int(hit.pk) for hit in hits], [debate.speeches.get().pk])

    def test_confirm_plans_again_from_the_kept_bytes(self):
        response = self.upload(("a.txt", PLAIN), **GAZA)
        token = self.token(response)
        load_file(PLAIN, name="elsewhere.txt", metadata=MANIFEST[SEED_UQ])  # meanwhile
        before = counts()
        response = self.client.post(CONFIRM, {"token": token, "load": "1"})
        self.assertEqual(response.context["confirmed"].results[0].status, "unchanged")
        self.assertEqual(counts(), before)

    def test_discard_forgets_the_upload(self):
        response = self.upload(("a.txt", PLAIN), **GAZA)
        response = self.client.post(CONFIRM, {"token": self.token(response), "discard": "1"})
        self.assertRedirects(response, UPLOAD)
        self.assertEqual(self.staged(), [])
        self.assertNothingWritten()

    def test_stale_uploads_are_cleaned_after_a_day(self):
        self.upload(("a.txt", PLAIN), **GAZA)
        [old] = self.staged()
        day_ago = time.time() - staging.MAX_AGE - 60
        os.utime(old, (day_ago, day_ago))
        self.upload(("b.txt", PLAIN + b"More.\n"), title="B", date="2024-01-01")
        self.assertNotIn(old, self.staged())
        self.assertEqual(len(self.staged()), 1)


class RepeatTests(UploadTestCase):
    def setUp(self):
        super().setUp()
        load_file(seed_bytes(SEED_UQ), name=SEED_UQ, metadata=MANIFEST[SEED_UQ])
        self.before = counts()
        self.old = Debate.objects.get()
        self.revised = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"

    def test_same_bytes_are_already_loaded_and_change_nothing(self):
        response = self.upload(("again.txt", seed_bytes(SEED_UQ)), **GAZA)
        self.assertEqual(response.context["preview"].plans[0].status, "unchanged")
        self.assertContains(response, "Already loaded: these same bytes")
        self.assertContains(response, "there is nothing to load")
        self.assertNotContains(response, 'name="load"')
        response = self.client.post(CONFIRM, {"token": self.token(response), "load": "1"})
        self.assertEqual(response.context["confirmed"].results[0].status, "unchanged")
        self.assertNothingWritten(self.before)

    def test_same_bytes_twice_in_one_upload_is_an_error(self):
        response = self.upload(("a.txt", PLAIN), ("b.txt", PLAIN), **GAZA | {"title": "Other"})
        self.assertFormError400(response, "b.txt: the same bytes as a.txt in this upload")
        self.assertNothingWritten(self.before)

    def test_a_repeat_asks_to_skip_or_replace(self):
        response = self.upload(("revised.txt", self.revised), **GAZA)
        self.assertEqual(response.context["preview"].plans[0].status, "repeats")
        self.assertContains(response, "Repeats what is loaded")
        self.assertContains(response, f'href="{self.old.get_absolute_url()}"')
        self.assertContains(response, "<legend>", count=1)
        self.assertContains(response, 'value="replace"')

    def test_a_repeat_without_a_choice_is_refused_in_the_preview(self):
        token = self.token(self.upload(("revised.txt", self.revised), **GAZA))
        response = self.client.post(CONFIRM, {"token": token, "load": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertTemplateUsed(response, "admin/debates/upload_preview.html")
        self.assertContains(
            response, "Choose whether to skip revised.txt or replace", status_code=400
        )
        self.assertContains(response, 'href="#id_choice_0"', status_code=400)
        self.assertNothingWritten(self.before)
        self.assertEqual(len(self.staged()), 1)

    def test_replace_loads_in_place_of_the_old_debate(self):
        token = self.token(self.upload(("revised.txt", self.revised), **GAZA))
        response = self.client.post(CONFIRM, {"token": token, "choice_0": "replace"})
        self.assertEqual(response.context["confirmed"].results[0].status, "replaced")
        new = Debate.objects.get()
        self.assertNotEqual(new.id, self.old.id)
        self.assertEqual(new.speeches.last().sentences[-1], "An extra sentence.")

    def test_skip_keeps_the_old_debate(self):
        token = self.token(self.upload(("revised.txt", self.revised), **GAZA))
        response = self.client.post(CONFIRM, {"token": token, "choice_0": "skip"})
        self.assertEqual(response.context["confirmed"].results[0].status, "skipped")
        self.assertEqual(Debate.objects.get().id, self.old.id)
        self.assertNothingWritten(self.before)


class BadInputTests(UploadTestCase):
    def test_each_bad_file_is_named_in_a_form_error_and_nothing_is_kept(self):
        latin1 = seed_bytes(SEED_UQ).replace(b"courageous", b"courag\xe9ous")
        cases = {
            "empty.txt": (b"", ["empty.txt", "empty"]),
            "blank.txt": (b"  \n\n \n", ["blank.txt", "empty"]),
            "picture.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["picture.txt", "binary"]),
            "latin1.txt": (latin1, ["latin1.txt: line 10: ", "UTF-8"]),
            "truncated.xml": (
                b'<?xml version="1.0"?>\n<publicwhip>\n<speech id="a">',
                ["truncated.xml: line 3: not well-formed XML"],
            ),
            "malformed.xml": (
                b"<publicwhip>\n<speech>\n</publicwhip>\n",
                ["malformed.xml: line 3: not well-formed XML", "mismatch"],
            ),
            "no-speeches.xml": (
                (PARLPARSE / "debates2009-10-27c.xml").read_bytes(),
                ["no-speeches.xml: ", "holds no speeches"],
            ),
            "laughs.xml": (
                b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                + b"".join(
                    f'<!ENTITY lol{n} "{("&lol" + str(n - 1 or "") + ";") * 10}">'.encode()
                    for n in range(1, 10)
                )
                + b"]>\n<publicwhip>&lol9;</publicwhip>\n",
                ["laughs.xml: ", "entity"],
            ),
        }
        for name, (raw, fragments) in cases.items():
            with self.subTest(name=name):
                response = self.upload((name, raw), **GAZA)
                self.assertFormError400(response, *fragments)
                self.assertContains(response, 'href="#id_files"', status_code=400)
                self.assertNothingWritten()

    def test_one_bad_file_stops_the_whole_upload(self):
        response = self.upload(("good.txt", PLAIN), ("empty.txt", b""), **GAZA)
        self.assertFormError400(response, "empty.txt")
        self.assertEqual(
            [plan.status for plan in response.context["preview"].plans], ["new", "error"]
        )
        self.assertNothingWritten()

    @override_settings(CHAMBER_MAX_TRANSCRIPT_BYTES=100)
    def test_a_file_over_the_size_limit(self):
        response = self.upload(("big.txt", b"A sentence.\n" * 20), **GAZA)
        self.assertFormError400(response, "big.txt", "over the limit of 100 bytes")
        self.assertNothingWritten()

    def test_a_zip_with_path_tricks(self):
        raw = zip_with_raw_name("../../x.tx")
        response = self.upload(("tricks.zip", raw), **GAZA)
        self.assertFormError400(response, "tricks.zip: entry '../../x.tx'", "climbs out")
        self.assertNothingWritten()

    def test_a_zip_with_thousands_of_entries(self):
        raw = make_zip([(f"{n:04}.txt", b"A.\n") for n in range(2000)])
        response = self.upload(("many.zip", raw), **GAZA)
        self.assertFormError400(response, "many.zip", "2,000 files")
        self.assertNothingWritten()

    def test_a_zip_that_is_not_one(self):
        response = self.upload(("broken.zip", b"PK\x03\x04 and then nothing"), **GAZA)
        self.assertFormError400(response, "broken.zip: not a readable .zip")

    def test_two_files_of_one_name(self):
        response = self.upload(("a.txt", PLAIN), ("a.txt", PLAIN + b"B.\n"), **GAZA)
        self.assertFormError400(response, "a.txt: two files of that name")

    def test_no_file_at_all(self):
        response = self.upload(**GAZA)
        self.assertFormError400(response, "This field is required")

    def test_unknown_house_in_the_form(self):
        response = self.upload(("a.txt", PLAIN), **GAZA | {"house": "senate"})
        self.assertFormError400(response, "senate", field="house")


class AccessTests(UploadTestCase):
    def test_non_staff_are_sent_to_log_in(self):
        self.client.logout()
        for url in (UPLOAD, CONFIRM):
            with self.subTest(url=url):
                response = self.client.post(url, {"files": [SimpleUploadedFile("a.txt", PLAIN)]})
                self.assertEqual(response.status_code, 302)
                self.assertIn(reverse("admin:login"), response["Location"])
        plain_user = User.objects.create_user("reader", password="pw")
        self.client.force_login(plain_user)
        self.assertEqual(self.client.get(UPLOAD).status_code, 302)
        self.assertNothingWritten()
        self.assertEqual(self.staged(), [])

    def test_staff_without_permission_to_add_debates_are_refused(self):
        clerk = User.objects.create_user("junior", password="pw", is_staff=True)
        clerk.user_permissions.add(Permission.objects.get(codename="view_sourcefile"))
        self.client.force_login(clerk)
        self.assertEqual(self.client.get(UPLOAD).status_code, 403)
        self.assertEqual(self.upload(("a.txt", PLAIN), **GAZA).status_code, 403)
        self.assertNotContains(self.client.get(reverse("admin:index")), UPLOAD)
        self.assertEqual(self.staged(), [])

    def test_posts_without_a_csrf_token_are_refused(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.staff)
        response = self.upload(("a.txt", PLAIN), client=client, **GAZA)
        self.assertEqual(response.status_code, 403)
        token = self.token(self.upload(("a.txt", PLAIN), **GAZA))
        self.assertEqual(client.post(CONFIRM, {"token": token, "load": "1"}).status_code, 403)
        self.assertNothingWritten()


class TokenTests(UploadTestCase):
    def setUp(self):
        super().setUp()
        self.token_value = self.token(self.upload(("a.txt", PLAIN), **GAZA))

    def confirm(self, token, **data):
        return self.client.post(CONFIRM, {"token": token, "load": "1", **data})

    def assertRefused(self, response, fragment):
        self.assertEqual(response.status_code, 400)
        self.assertTemplateUsed(response, "admin/debates/upload_refused.html")
        self.assertContains(response, fragment, status_code=400)
        self.assertNothingWritten()

    def test_a_tampered_token_is_refused(self):
        value = self.token_value
        tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
        self.assertRefused(self.confirm(tampered), "not one Chamber made for you")
        self.assertRefused(self.confirm("nonsense"), "not one Chamber made for you")

    def test_an_expired_token_is_refused(self):
        later = time.time() + staging.MAX_AGE + 60
        with mock.patch("django.core.signing.time.time", return_value=later):
            self.assertRefused(self.confirm(self.token_value), "more than a day old")

    def test_someone_elses_token_is_refused(self):
        other = User.objects.create_superuser("other", "other@example.org", "pw")
        self.client.force_login(other)
        self.assertRefused(self.confirm(self.token_value), "not one Chamber made for you")

    def test_a_token_used_once_is_refused_the_second_time(self):
        self.assertEqual(self.confirm(self.token_value).status_code, 200)
        before = counts()
        response = self.confirm(self.token_value)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "no longer kept", status_code=400)
        self.assertEqual(counts(), before)

    def test_a_file_posted_to_confirm_without_a_preview_is_refused(self):
        response = self.client.post(CONFIRM, {"files": [SimpleUploadedFile("a.txt", PLAIN)]})
        self.assertRefused(response, "files are loaded only after their preview")

    def test_kept_bytes_changed_on_disk_are_refused(self):
        [folder] = self.staged()
        (folder / "0000.bin").write_bytes(b"Something else.\n")
        self.assertRefused(self.confirm(self.token_value), "has changed")


class AtomicityTests(UploadTestCase):
    def test_a_failed_second_file_leaves_nothing_from_the_first(self):
        # Two debates of different titles: a .zip whose manifest names them.
        manifest = (
            b'{"files": {"first.txt": {"title": "First", "date": "2024-01-10"},'
            b' "second.txt": {"title": "Second", "date": "2024-01-10"}}}'
        )
        raw = make_zip(
            [("manifest.json", manifest), ("first.txt", PLAIN), ("second.txt", b"Another.\n")]
        )
        token = self.token(self.upload(("two.zip", raw)))
        refuse_speeches_of("Second")
        response = self.client.post(CONFIRM, {"token": token, "load": "1"})
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, "The database refused the upload", status_code=503)
        self.assertContains(response, "nothing was loaded", status_code=503)
        self.assertNothingWritten()
        self.assertEqual(len(self.staged()), 1)  # kept, to try again

    def test_a_failed_replace_keeps_the_old_debate(self):
        load_file(seed_bytes(SEED_UQ), name=SEED_UQ, metadata=MANIFEST[SEED_UQ])
        before, old = counts(), Debate.objects.get()
        revised = seed_bytes(SEED_UQ) + b"\nAn extra sentence.\n"
        token = self.token(self.upload(("revised.txt", revised), **GAZA))
        refuse_speeches_of("Israel and Gaza")
        response = self.client.post(CONFIRM, {"token": token, "choice_0": "replace"})
        self.assertContains(response, "The database refused the upload", status_code=503)
        self.assertNothingWritten(before)
        self.assertEqual(Debate.objects.get().id, old.id)
        self.assertEqual(old.speeches.count(), 4)


class ServiceTests(TestCase):
    def test_metadata_survives_staging(self):
        user = User.objects.create_user("u")
        with tempfile.TemporaryDirectory() as folder, override_settings(CHAMBER_UPLOAD_DIR=folder):
            given = DebateMetadata(title="T", date=datetime.date(2024, 1, 10), kind="statement")
            found = DebateMetadata(house="lords")
            token = staging.stage([sources.Transcript("a.txt", PLAIN, found)], given, user=user)
            staged = staging.unstage(token, user=user)
        self.assertEqual(staged.metadata, given)
        self.assertEqual(staged.transcripts, [sources.Transcript("a.txt", PLAIN, found)])

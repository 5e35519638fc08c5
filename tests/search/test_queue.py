"""The index queue (search.indexing), the lock's holder (search.whoosh.writers), `index_queue`,
`check_index` and what the admin shows, on the real test index and database."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest.mock import patch

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db_connection
from django.db import transaction
from django.test import SimpleTestCase, TestCase, TransactionTestCase
from django.urls import reverse
from haystack import connections
from haystack.query import SearchQuerySet

from debates import signals
from debates.models import Debate, Speech
from search import audit, indexing
from search.engines import IndexBusy
from search.models import IndexTask
from search.whoosh.writers import HOLDER_FILE, Holder, end_orphans, open_writer, read_holder
from tests.factories import make_debate, make_member, make_speech
from tests.search.engine import another_writer
from tests.search.test_faults import alive


def backend():
    return connections["default"].get_backend()


def indexed_ids(**filters) -> set[int]:
    return {int(result.pk) for result in SearchQuerySet().filter(**filters)}


def queued() -> list[int]:
    return sorted(IndexTask.objects.values_list("speech_id", flat=True))


class QueueTests(TestCase):
    def setUp(self):
        backend().clear()

    def test_a_change_records_its_queue_rows_in_its_own_transaction(self):
        debate = make_debate()
        IndexTask.objects.all().delete()
        with transaction.atomic():
            speech = make_speech(debate=debate, text="Recorded with the change.")
            signals.speeches_changed.send(sender=Speech, speech_ids=[speech.id, 999])
            self.assertEqual(queued(), sorted([speech.id, speech.id, 999]))  # seen inside it

    def test_a_rolled_back_change_leaves_no_row_and_nothing_in_the_index(self):
        debate = make_debate()
        IndexTask.objects.all().delete()
        with self.captureOnCommitCallbacks(execute=True), transaction.atomic():
            speech = make_speech(debate=debate, text="Never happened.")
            signals.speeches_changed.send(sender=Speech, speech_ids=[speech.id])
            transaction.set_rollback(True)
        self.assertEqual(queued(), [])
        self.assertEqual(indexed_ids(), set())

    def test_a_drain_after_commit_empties_the_queue_once_per_transaction(self):
        debate = make_debate()
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            speeches = [make_speech(debate=debate, text=f"Speech {n}.") for n in range(3)]
        self.assertEqual(len(callbacks), 3)  # one per change recorded...
        self.assertEqual(indexed_ids(), {s.id for s in speeches})
        self.assertEqual(queued(), [])
        with patch.object(indexing, "drain", wraps=indexing.drain) as drain:
            for callback in callbacks:
                callback()
        self.assertEqual(drain.call_count, 0)  # ...but what a drain covered is not drained again

    def test_a_drain_after_commit_leaves_what_others_queue_later_to_them(self):
        debate = make_debate()
        with self.captureOnCommitCallbacks() as callbacks:
            mine = make_speech(debate=debate, text="Mine.")
        # Another process's load, queued after this commit (bulk: no signal here).
        theirs = Speech.objects.bulk_create([Speech(debate=debate, position=2, text="Theirs.")])
        IndexTask.objects.create(speech_id=theirs[0].id)
        callbacks[0]()
        self.assertEqual(indexed_ids(), {mine.id})
        self.assertEqual(queued(), [theirs[0].id])

    def test_deleting_a_member_queues_the_speeches_it_leaves_without_one(self):
        member = make_member(name="Ada Lovelace")
        speech = make_speech(debate=make_debate(), member=member)
        IndexTask.objects.all().delete()
        member.delete()
        self.assertEqual(queued(), [speech.id])
        indexing.drain()
        self.assertEqual(indexed_ids(member=str(member.pk)), set())
        self.assertEqual(indexed_ids(), {speech.id})

    def test_draining_twice_or_after_a_crash_is_harmless(self):
        speech = make_speech(debate=make_debate(), text="Idempotent.")
        gone = make_speech(debate=speech.debate, text="Deleted.", position=2)
        indexing.drain()
        gone_id = gone.id
        gone.delete()
        # A crash after the index commit and before the rows' deletion leaves the rows: the
        # next drain writes the same documents again.
        rows = list(IndexTask.objects.all())
        self.assertEqual(indexing.drain().written, 1)
        IndexTask.objects.bulk_create([IndexTask(speech_id=r.speech_id) for r in rows])
        IndexTask.objects.create(speech_id=speech.id)
        again = indexing.drain()
        self.assertEqual((again.written, again.waiting), (2, 0))
        self.assertEqual(indexed_ids(), {speech.id})
        self.assertNotIn(gone_id, indexed_ids())

    def test_a_drain_reads_the_database_as_it_is_when_it_writes(self):
        speech = make_speech(debate=make_debate(), text="Before the edit.")
        indexing.drain()
        Speech.objects.filter(id=speech.id).update(text="After the edit.")  # no signal
        indexing.enqueue([speech.id], deliver=False)
        indexing.drain()
        self.assertEqual(SearchQuerySet().auto_query("edit").count(), 1)
        self.assertEqual(SearchQuerySet().auto_query("before").count(), 0)

    def test_batches_cover_the_whole_queue(self):
        debate = make_debate()
        speeches = [make_speech(debate=debate, text=f"Batch {n}.") for n in range(7)]
        drained = indexing.drain(batch=3)
        self.assertEqual((drained.written, drained.commits, drained.waiting), (7, 3, 0))
        self.assertEqual(indexed_ids(), {s.id for s in speeches})

    def test_a_member_merge_or_edit_queues_the_speeches_that_show_the_member(self):
        member = make_member(name="Ada Lovelace", party="Whig")
        speech = make_speech(debate=make_debate(), member=member)
        other = make_speech(debate=speech.debate, position=2)
        IndexTask.objects.all().delete()
        member.party = "Liberal"
        member.save()
        self.assertEqual(queued(), [speech.id])
        IndexTask.objects.all().delete()
        debate = speech.debate
        debate.title = "Renamed"
        debate.save()
        self.assertEqual(queued(), [speech.id, other.id])

    def test_many_writes_hold_drains_until_a_batch_or_the_end(self):
        debate = make_debate()
        with (
            self.settings(CHAMBER_INDEX_BATCH=3),
            signals.many_writes(sender=None) as notices,
        ):
            with self.captureOnCommitCallbacks(execute=True):
                first = [make_speech(debate=debate, text=f"First {n}.") for n in range(2)]
            self.assertEqual(indexed_ids(), set())  # two rows: less than a batch
            with self.captureOnCommitCallbacks(execute=True):
                make_speech(debate=debate, text="Third.")
            self.assertEqual(len(indexed_ids()), 3)  # a batch: drained
            with self.captureOnCommitCallbacks(execute=True):
                last = make_speech(debate=debate, text="Fourth.")
            self.assertNotIn(last.id, indexed_ids())
        self.assertIn(last.id, indexed_ids())  # the end drains the rest
        self.assertTrue(set(s.id for s in first) <= indexed_ids())
        self.assertEqual(
            [n.message for n in notices],
            ["Search index: 4 documents written in 2 commits; the queue is empty."],
        )


class LockTests(SimpleTestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="chamber-lock-")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        from whoosh.fields import ID, Schema
        from whoosh.filedb.filestore import FileStorage

        self.index = FileStorage(self.folder).create_index(Schema(id=ID(stored=True)))

    def test_a_writer_that_waits_names_the_holder_and_gives_up(self):
        holder = open_writer(self.index, self.folder, wait=1)
        self.addCleanup(holder.cancel)
        started = time.monotonic()
        with self.assertRaises(IndexBusy) as caught:
            open_writer(self.index, self.folder, wait=0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        message = str(caught.exception)
        self.assertIn(f"process {os.getpid()} (", message)
        self.assertIn("has held it for", message)
        self.assertIn("nothing was written", message)

    def test_a_dead_holders_leftover_writers_are_ended_and_the_lock_taken(self):
        # A writer child of a holder that died (as writers were before PR_SET_PDEATHSIG):
        # it holds the lock's file open and locked.
        lock_path = os.path.join(self.folder, "MAIN_WRITELOCK")
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import fcntl, sys, time; f = open(sys.argv[1], 'a');"
                " fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
                lock_path,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(child.kill)
        self.assertEqual(child.stdout.readline().strip(), "locked")
        started = float(Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        record = {
            "pid": int(dead.stdout),  # a process that has exited
            "started": 1,
            "command": "manage.py load_transcripts",
            "since": 0,
            "children": [[child.pid, started]],
        }
        Path(self.folder, HOLDER_FILE).write_text(json.dumps(record))
        holder = read_holder(self.folder)
        self.assertIsInstance(holder, Holder)
        self.assertFalse(holder.alive())
        writer = open_writer(self.index, self.folder, wait=5)  # ends the child, takes the lock
        writer.cancel()
        self.assertEqual(child.wait(timeout=5), -9)

    def test_a_cancelled_bulk_writer_ends_its_processes_and_frees_the_lock(self):
        writer = open_writer(self.index, self.folder, wait=1, procs=2, batchsize=10)
        for n in range(50):  # enough for job files: the children start
            writer.add_document(id=str(n))
        children = [task.pid for task in writer.tasks]
        self.assertTrue(children)
        self.assertEqual(read_holder(self.folder).pid, os.getpid())
        writer.cancel()
        for pid in children:
            self.assertFalse(alive(pid), pid)
        open_writer(self.index, self.folder, wait=0).cancel()  # the lock is free at once

    def test_only_recorded_children_that_still_match_are_killed(self):
        holder = Holder(pid=1, started=-1.0, command="x", since=0, children=((os.getpid(), 0.0),))
        self.assertEqual(end_orphans(holder), [])  # our own pid, and a start time that differs


class CommandTests(TestCase):
    def setUp(self):
        backend().clear()

    def call(self, *args) -> str:
        out = io.StringIO()
        call_command(*args, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    def test_index_queue_delivers_and_reports(self):
        speech = make_speech(debate=make_debate(), text="Delivered by cron.")
        self.assertIn("1 speech waiting", self.call("index_queue", "--status"))
        self.assertEqual(indexed_ids(), set())
        self.assertIn(
            "1 document written in 1 commit; the queue is empty", self.call("index_queue")
        )
        self.assertEqual(indexed_ids(), {speech.id})
        self.assertIn("0 speeches waiting", self.call("index_queue"))

    def test_index_queue_fails_loudly_when_the_index_stays_locked(self):
        make_speech(debate=make_debate(), text="Blocked.")
        other = another_writer()
        self.addCleanup(other.cancel)
        with self.assertRaisesMessage(CommandError, "1 speech still queued"):
            self.call("index_queue", "--wait", "0.2")

    def test_check_index_finds_missing_extra_and_stale_documents_and_repairs_only_them(self):
        first, second = make_debate(title="First"), make_debate(title="Second")
        a = make_speech(debate=first, text="Alpha.")
        b = make_speech(debate=first, text="Beta.", position=2)
        c = make_speech(debate=second, text="Gamma.")
        indexing.drain()
        self.assertIn("matches the database", self.call("check_index"))
        # Behind the index's back (no signals): one moved, one gone, one new.
        Speech.objects.filter(id=a.id).update(debate=second, position=5)
        Speech.objects.filter(id=b.id).delete()  # a queryset delete still signals: undo that
        IndexTask.objects.all().delete()
        d = Speech.objects.bulk_create([Speech(debate=second, position=9, text="Delta.")])[0]
        with self.assertRaises(CommandError) as caught:
            self.call("check_index")
        self.assertEqual(caught.exception.returncode, 1)
        report = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("check_index", stdout=report)
        self.assertIn(f"Missing from the index: 1 speech (ids {d.id}).", report.getvalue())
        self.assertIn(f"Gone from the database: 1 speech (ids {b.id}).", report.getvalue())
        self.assertIn(
            f"Stale: debate {first.id} has 2 in the index and 0 in the database.", report.getvalue()
        )
        found = audit.compare()
        self.assertEqual(found.speech_ids(), {a.id, b.id, c.id, d.id})
        repaired = self.call("check_index", "--repair")
        self.assertIn("Repaired: Search index: 4 documents written in 1 commit", repaired)
        self.assertIn("now matches the database", repaired)
        self.assertEqual(indexed_ids(debate=str(second.id)), {a.id, c.id, d.id})


class ConcurrentDrainTests(TransactionTestCase):
    def test_a_drain_reads_the_database_under_the_lock_so_a_later_edit_wins(self):
        backend().clear()
        speech = make_speech(debate=make_debate(), text="Version one.")  # indexed at once
        IndexTask.objects.create(speech_id=speech.id)  # owed again
        other = another_writer()  # another writer holds the lock
        drained = []

        def drain():
            try:
                drained.append(indexing.drain(wait=30))
            finally:
                db_connection.close()

        thread = threading.Thread(target=drain)
        thread.start()
        time.sleep(0.3)  # the drain is waiting for the lock (if not yet, it reads later)
        Speech.objects.filter(id=speech.id).update(text="Version two.")  # no signal, no row
        other.cancel()
        thread.join(timeout=60)
        self.assertEqual(drained[0].written, 1)
        self.assertEqual(SearchQuerySet().auto_query("two").count(), 1)
        self.assertEqual(SearchQuerySet().auto_query("one").count(), 0)


class AdminTests(TransactionTestCase):
    """Real commits: the confirmation's transaction commits before its page is drawn."""

    def setUp(self):
        backend().clear()
        self.staff = User.objects.create_superuser("clerk", "clerk@example.org", "pw")
        self.client.force_login(self.staff)
        self.uploads = tempfile.mkdtemp(prefix="chamber-uploads-")
        self.addCleanup(shutil.rmtree, self.uploads, ignore_errors=True)

    def confirm(self):
        with self.settings(CHAMBER_UPLOAD_DIR=Path(self.uploads)):
            preview = self.client.post(
                reverse("admin:debates_sourcefile_upload"),
                {
                    "files": [SimpleUploadedFile("z.txt", b"Zebras at the zoo.\nMore zebras.\n")],
                    "title": "Zebras",
                    "date": "2024-01-10",
                    "house": "commons",
                },
            )
            token = preview.context["form"]["token"].value()
            return self.client.post(
                reverse("admin:debates_sourcefile_upload_confirm"), {"token": token, "load": "1"}
            )

    def test_a_confirmation_while_the_index_is_busy_says_so_and_the_queue_delivers(self):
        other = another_writer()  # another process's long write, say
        try:
            with (
                patch.object(indexing, "WAIT_AFTER_COMMIT", 0.2),
                self.assertLogs("search.indexing", "WARNING"),
            ):
                response = self.confirm()
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "waiting to be indexed")
            self.assertContains(response, "will be searchable shortly")
            self.assertEqual(Debate.objects.get().title, "Zebras")
            self.assertEqual(SearchQuerySet().auto_query("zebras").count(), 0)
            home = self.client.get(reverse("admin:index"))
            self.assertContains(home, "waiting to be indexed")
        finally:
            other.cancel()
        self.assertEqual(indexing.drain().waiting, 0)
        self.assertEqual(SearchQuerySet().auto_query("zebras").count(), 1)
        self.assertContains(
            self.client.get(reverse("admin:index")), "Up to date: nothing waiting to be indexed."
        )

    def test_a_confirmation_is_searchable_when_its_page_is_drawn(self):
        response = self.confirm()
        self.assertContains(response, "Up to date: nothing waiting to be indexed.")
        self.assertEqual(SearchQuerySet().auto_query("zebras").count(), 1)


class WithoutSearchTests(SimpleTestCase):
    def test_a_site_without_the_search_app_still_loads_transcripts(self):
        folder = Path(tempfile.mkdtemp(prefix="chamber-nosearch-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings_without_search",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        }
        env.pop("WHOOSH_PATH", None)
        env.pop("SEARCH_PATH", None)
        env["ALLOWED_HOSTS"] = "testserver"
        seeds = Path(settings.BASE_DIR) / "fixtures" / "seeds"
        # The admin's pages that show the index's state draw without it too.
        admin = (
            "from django.contrib.auth.models import User; from django.test import Client;"
            " from django.template.loader import get_template;"
            " get_template('admin/debates/upload_done.html');"
            " c = Client(); c.force_login(User.objects.create_superuser('a', 'a@b.c', 'pw'));"
            " r = c.get('/admin/'); print('admin', r.status_code, b'Search index' in r.content)"
        )
        loaded = None
        for args in (["migrate", "-v0"], ["load_transcripts", str(seeds)], ["shell", "-c", admin]):
            done = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=settings.BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            loaded = loaded or (done.stdout if args[0] == "load_transcripts" else None)
        self.assertIn("2 files: 2 loaded.", loaded)
        self.assertNotIn("Search index", loaded)
        self.assertIn("admin 200 False", done.stdout)
        self.assertFalse((folder / "whoosh").exists())

"""Big writes to the Whoosh index that never stall a small one, and lose nothing when killed.

- Segments are merged by tiers: a write merges only a bounded amount, and the rest is merged
  after `update_index` and by `merge_index` (search.whoosh.merging).
- `rebuild_index` replaces the whole index in one commit, the old one answering until then.

Real indexes in temporary folders; the kills are SIGKILLs of real processes."""

import datetime
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase, tag
from haystack import connections
from haystack.query import SearchQuerySet
from whoosh.filedb.filestore import FileStorage

from debates.models import Debate, Speech
from search.models import IndexTask
from search.search_indexes import SpeechIndex
from search.whoosh import merging
from search.whoosh.writers import read_holder
from tests.factories import make_debate, make_member
from tests.search import engine
from tests.search.engine import OWN_ENGINE
from tests.search.test_faults import SPEECHES_PER_FILE, Site, alive, wait_for, write_transcripts

WHOOSH = "search.whoosh.Engine"
DEBATE = Debate(id=1, title="Merges", date=datetime.date(2024, 5, 1), house="commons")


def speeches(first: int, count: int) -> list[Speech]:
    """Speeches that exist only in memory: a write needs their documents, not the database."""
    return [
        Speech(id=n, debate=DEBATE, position=n, text=f"Merging segments speech {n} of many.")
        for n in range(first, first + count)
    ]


def segments(folder: str) -> list[int]:
    """The index's segments' document counts (deleted ones included), largest first."""
    with FileStorage(folder).open_index().reader() as reader:
        return sorted((leaf.doc_count_all() for leaf, _ in reader.leaf_readers()), reverse=True)


@tag(OWN_ENGINE)
class TierTests(SimpleTestCase):
    def test_tiers_are_powers_of_the_fanout(self):
        self.assertEqual(merging.FANOUT, 10)  # the figures below assume it
        sizes = {
            **{1: 0, 999: 0, 1_000: 1, 9_999: 1, 10_000: 2, 99_999: 2, 100_000: 3},
            **{999_999: 3, 1_000_000: 4, 10_000_000: 5},
        }
        for documents, tier in sizes.items():
            with self.subTest(documents):
                self.assertEqual(merging.tier(documents), tier)


@tag(OWN_ENGINE)
class WhooshIndexTestCase(SimpleTestCase):
    """A Whoosh connection of its own, on a temporary folder."""

    alias = "merging"

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="chamber-merging-")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        connections.connections_info[self.alias] = {"ENGINE": WHOOSH, "PATH": self.folder}
        self.addCleanup(connections.connections_info.pop, self.alias)
        self.addCleanup(connections.thread_local.connections.pop, self.alias, None)
        self.backend = connections.reload(self.alias).get_backend()
        self.index = SpeechIndex()

    def write(self, objects: list[Speech]) -> None:
        self.backend.write(self.index, lambda: (objects, ()), expected=len(objects))

    def found(self) -> int:
        return SearchQuerySet(using=self.alias).filter(content="merging").count()


class WriteMergeTests(WhooshIndexTestCase):
    def test_a_write_merges_a_full_tier_of_small_segments(self):
        for batch in range(10):
            self.write(speeches(batch * 50 + 1, 50))
        self.assertEqual(segments(self.folder), [50] * 10)  # a tier holds 10: not yet merged
        self.write(speeches(501, 50))
        self.assertEqual(segments(self.folder), [550])  # the tier, merged with the new one
        self.assertEqual(self.found(), 550)

    def test_a_write_never_merges_more_than_its_limit_and_merge_does_the_rest(self):
        self.backend.write_merge_docs = 400
        for batch in range(11):
            self.write(speeches(batch * 50 + 1, 50))
        self.assertEqual(segments(self.folder), [50] * 11)  # 500 documents: over the limit
        self.write(speeches(1, 50))  # replaces the first 50: deleted in the first segment
        self.assertEqual(self.found(), 550)

        before, after = self.backend.merge()

        self.assertEqual(before, [50] * 12)
        self.assertEqual(after, [550])  # the replaced documents are gone for good
        self.assertEqual(segments(self.folder), [550])
        self.assertEqual(self.found(), 550)
        self.assertEqual(self.backend.merge(), ([550], [550]))  # nothing left to merge


@engine.whoosh_only("Whoosh's merges")
class CommandMergeTests(TestCase):
    def test_update_index_ends_with_the_merges_its_writes_left(self):
        debate = make_debate(title="Merged at the end")
        Speech.objects.bulk_create(
            Speech(debate=debate, position=n, text=f"Merging segments speech {n}.")
            for n in range(1, 601)
        )
        info = connections.connections_info["default"]
        self.addCleanup(info.pop, "WRITE_MERGE_DOCS")
        info["WRITE_MERGE_DOCS"] = 0  # the writes merge nothing: the command's merge does
        connections.reload("default")
        self.addCleanup(connections.reload, "default")
        call_command("clear_index", "--noinput", verbosity=0)  # other tests' documents
        out = io.StringIO()

        call_command("update_index", "--batch-size", "50", stdout=out)

        self.assertIn("merged 12 segments into 1 segment", out.getvalue())
        self.assertEqual(segments(info["PATH"]), [600])
        self.assertEqual(SearchQuerySet().filter(content="merging").count(), 600)

    def test_merge_index_says_what_it_did(self):
        out = io.StringIO()
        call_command("merge_index", stdout=out)
        self.assertIn("nothing to merge", out.getvalue())


class KilledMergeTests(WhooshIndexTestCase):
    def test_a_merge_killed_midway_loses_nothing_and_the_next_one_finishes(self):
        self.backend.write_merge_docs = 0
        for batch in range(10):
            self.write(speeches(batch * 900 + 1, 900))
        self.assertEqual(segments(self.folder), [900] * 10)
        env = {"SEARCH_ENGINE": "whoosh", "SEARCH_PATH": self.folder, "PYTHONUNBUFFERED": "1"}
        merge = subprocess.Popen(
            [sys.executable, "manage.py", "merge_index"],
            cwd=settings.BASE_DIR,
            env={**_environment(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # The merge writes its new segment's files before its commit names them.
        wait_for(lambda: self._new_files() or merge.poll() is not None, "the merge to start")
        merge.send_signal(signal.SIGKILL)
        output, _ = merge.communicate(timeout=30)
        self.assertEqual(merge.returncode, -signal.SIGKILL, output)

        self.assertEqual(segments(self.folder), [900] * 10)  # the last commit, whole
        self.assertEqual(self.found(), 9000)
        again = subprocess.run(
            [sys.executable, "manage.py", "merge_index", "--wait", "10"],
            cwd=settings.BASE_DIR,
            env={**_environment(), **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("merged 10 segments into 1 segment", again.stdout)
        self.assertEqual(segments(self.folder), [9000])
        self.assertEqual(self.found(), 9000)

    def _new_files(self) -> bool:
        before = getattr(self, "_files", None)
        now = {path.name for path in Path(self.folder).iterdir()}
        if before is None:
            self._files = now
            return False
        return any(  # a segment's files, not the lock's holder record (or its temporary)
            name.startswith("MAIN_") and name != "MAIN_WRITELOCK" for name in now - before
        )


class RebuildTests(TestCase):
    def test_a_rebuild_replaces_the_index_in_one_commit(self):
        debate = make_debate(title="Rebuilt whole")
        Speech.objects.bulk_create(
            Speech(debate=debate, position=n, text=f"Rebuilding speech {n}.") for n in range(1, 301)
        )
        call_command("rebuild_index", "--noinput", verbosity=0)
        Speech.objects.filter(position__gt=100).delete()  # their documents linger, for now
        IndexTask.objects.all().delete()  # and nothing else removes them (no drain)
        site = Site.__new__(Site)  # only to count commits, as the fault tests do
        site.engine, site.index = settings.SEARCH_ENGINE, Path(engine.backend().path)
        before = site.index_commits()
        out = io.StringIO()

        call_command("rebuild_index", "--noinput", stdout=out)

        self.assertIn("indexed 100 documents", out.getvalue())
        self.assertEqual(SearchQuerySet().filter(content="rebuilding").count(), 100)
        self.assertEqual(engine.document_count(), 100)  # the others' documents are gone
        if engine.tantivy():  # one commit: its deletes and adds under one opstamp
            self.assertGreater(site.index_commits(), before)
        elif engine.xapian_engine():
            if not engine.backend().shards.shards[0].remote:  # the local database's revisions
                self.assertEqual(site.index_commits(), before + 1)  # one transaction
        else:
            self.assertEqual(site.index_commits(), before + 1)  # one commit
            self.assertLessEqual(engine.segment_count(), engine.backend().writer_procs)


class PreparedRowsTests(TestCase):
    def test_rows_give_the_documents_full_prepare_gives(self):
        member = make_member(name="Ada Lovelace", party="Labour")
        debate = make_debate(title="Engines", date=datetime.date(2023, 3, 28))
        Speech.objects.bulk_create(
            [
                Speech(debate=debate, position=1, text="Of members.", member=member),
                Speech(debate=debate, position=2, text="Unknown.", speaker_name="A Voice"),
                Speech(
                    debate=debate,
                    position=3,
                    text="Of roles.",
                    speaker_name="The Speaker",
                    speaker_role="Chair",
                    section="Clause 1",
                    member=make_member(name="No Party"),
                ),
            ]
        )
        index = SpeechIndex()
        expected = [index.full_prepare(s) for s in index.index_queryset()]
        self.assertEqual(list(index.prepared_rows(batch=2)), expected)  # across batches
        self.assertEqual(expected[0]["speaker"], "Ada Lovelace")
        self.assertEqual(expected[0]["party_exact"], "Labour")
        self.assertEqual(expected[2]["title"], "Engines Clause 1")
        self.assertIsNone(expected[2]["party"])


@tag(OWN_ENGINE)
class KilledRebuildTests(SimpleTestCase):
    """SIGKILL in the middle of `rebuild_index`, on each engine: the old index stays whole and
    answering, and the next rebuild finishes."""

    def rebuild_killed_midway(self, engine_name: str, files: int, midway) -> None:
        folder = Path(tempfile.mkdtemp(prefix="chamber-rebuild-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        site = Site(folder, batch=10_000, engine=engine_name)
        self.addCleanup(site.close)
        write_transcripts(folder / "transcripts", files)
        site.run("load_transcripts", str(folder / "transcripts"))
        commits = site.index_commits()
        process = site.start("rebuild_index", "--noinput")
        others = midway(site, process)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        self.assertEqual(process.returncode, -signal.SIGKILL)
        wait_for(lambda: not any(alive(pid) for pid in others), "its writers to die", timeout=10)

        self.assertEqual(site.index_commits(), commits)  # the old index, untouched
        check = site.run("check_index", check=False)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("The search index matches the database.", check.stdout)
        again = site.run("rebuild_index", "--noinput")
        self.assertIn(f"indexed {files * SPEECHES_PER_FILE:,} documents", again.stdout)
        self.assertGreater(site.index_commits(), commits)
        self.assertIn("The search index matches the database.", site.run("check_index").stdout)

    def test_whoosh(self):
        def midway(site: Site, process: subprocess.Popen[str]) -> list[int]:
            # Its writer processes start with the first documents it has read and prepared.
            wait_for(
                lambda: (h := read_holder(str(site.index))) is not None and h.children,
                "the rebuild's writer processes",
            )
            holder = read_holder(str(site.index))
            assert holder is not None  # waited for
            return [pid for pid, _ in holder.children]

        self.rebuild_killed_midway("whoosh", 12, midway)

    def test_tantivy(self):
        def midway(site: Site, process: subprocess.Popen[str]) -> list[int]:
            # The writer takes the lock, then reads every speech, then commits: stopped
            # while it holds the lock and has not committed, it is in the middle.
            wait_for(site.index_locked, "the rebuild's writer", every=0.001)
            process.send_signal(signal.SIGSTOP)
            self.assertTrue(site.index_locked())
            return []

        self.rebuild_killed_midway("tantivy", 12, midway)

    def test_xapian(self):
        def midway(site: Site, process: subprocess.Popen[str]) -> list[int]:
            # The rebuild takes the lock, empties the database and adds every speech in one
            # transaction: stopped while it holds the lock, its transaction is open.
            wait_for(site.index_locked, "the rebuild's writer", every=0.001)
            process.send_signal(signal.SIGSTOP)
            self.assertTrue(site.index_locked())
            return []

        self.rebuild_killed_midway("xapian", 12, midway)


class WritesDuringARebuildTests(SimpleTestCase):
    def test_a_write_during_a_rebuild_is_queued_at_once_and_indexed_at_its_end(self):
        folder = Path(tempfile.mkdtemp(prefix="chamber-rebuilding-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        site = Site(folder, batch=10_000)
        self.addCleanup(site.close)
        write_transcripts(folder / "transcripts", 4)
        site.run("load_transcripts", str(folder / "transcripts"))
        rebuild = site.start("rebuild_index", "--noinput")
        self.addCleanup(rebuild.kill)
        wait_for(
            lambda: (
                (h := read_holder(str(site.index))) is not None and "rebuild_index" in h.command
            ),
            "the rebuild to hold the lock",
            every=0.001,
        )
        rebuild.send_signal(signal.SIGSTOP)  # held in the middle, lock and all

        edit = site.run(
            "shell",
            "-c",
            "from debates.models import Speech; speech = Speech.objects.order_by('id').first();"
            " speech.text += ' Zanzibar.'; speech.save()",
        )

        self.assertIn("Search index: rebuilt by process", edit.stdout + edit.stderr)
        self.assertEqual(site.count("search_indextask"), 1)  # queued for the rebuild's end
        rebuild.send_signal(signal.SIGCONT)
        output, _ = rebuild.communicate(timeout=120)
        self.assertEqual(rebuild.returncode, 0, output)
        self.assertIn("Search index: 1 document written in 1 commit; the queue is empty.", output)
        found = site.run(
            "shell",
            "-c",
            "from haystack.query import SearchQuerySet;"
            " print(SearchQuerySet().filter(content='zanzibar').count())",
        )
        self.assertEqual(found.stdout.split()[-1], "1")
        self.assertIn("The search index matches the database.", site.run("check_index").stdout)


def _environment() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k not in {"SEARCH_PATH", "WHOOSH_PATH", "XAPIAN_SHARDS"}
    }

"""load_transcripts: thin over load_file, one transaction per file, counts on stdout."""

import datetime
import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from debates.models import Debate, Member, MemberIdentifier, SourceFile, Speech

from .test_archive import make_zip, zip_with_raw_name
from .test_loading import parlparse_day

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
TRANSCRIPTS = Path(settings.BASE_DIR) / "fixtures" / "transcripts"
SEED_UQ = "000_9ca9d066f0ebde3b.txt"
SEED_STATEMENT = "001_c1147e2eaee32068.txt"


def load_transcripts(*args) -> tuple[str, str]:
    """Run the command; return what it printed on stdout and stderr."""
    stdout, stderr = StringIO(), StringIO()
    call_command("load_transcripts", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def load_transcripts_failing(test: TestCase, *args) -> tuple[str, str, str]:
    """Run the command expecting CommandError; return its message, stdout and stderr."""
    stdout, stderr = StringIO(), StringIO()
    with test.assertRaises(CommandError) as caught:
        call_command("load_transcripts", *map(str, args), stdout=stdout, stderr=stderr)
    return str(caught.exception), stdout.getvalue(), stderr.getvalue()


def row_counts() -> tuple[int, int, int]:
    return SourceFile.objects.count(), Debate.objects.count(), Speech.objects.count()


def temporary_folder(test: TestCase) -> Path:
    folder = tempfile.TemporaryDirectory()
    test.addCleanup(folder.cleanup)
    return Path(folder.name)


class LoadSeedsTests(TestCase):
    def test_loads_the_seed_folder_and_prints_counts(self):
        stdout, stderr = load_transcripts(SEEDS)
        self.assertIn(f"Loaded {SEEDS / SEED_UQ}: 1 debate, 4 speeches, 19 sentences", stdout)
        self.assertIn(f"Loaded {SEEDS / SEED_STATEMENT}: 1 debate, 1 speech, 35 sentences", stdout)
        self.assertIn("2 files: 2 loaded. Wrote 2 debates, 5 speeches, 54 sentences.", stdout)
        self.assertEqual(stderr, "")
        self.assertEqual(row_counts(), (2, 2, 5))

    def test_loads_single_files(self):
        stdout, _ = load_transcripts(SEEDS / SEED_STATEMENT)
        self.assertIn("1 file: 1 loaded. Wrote 1 debate, 1 speech, 35 sentences.", stdout)
        self.assertEqual(Debate.objects.get().date, datetime.date(2024, 3, 26))

    def test_second_run_changes_nothing(self):
        load_transcripts(SEEDS)
        ids = set(Debate.objects.values_list("id", flat=True))
        stdout, _ = load_transcripts(SEEDS)
        self.assertEqual(stdout.count("Unchanged "), 2)
        self.assertIn("already loaded (Israel and Gaza, HC Deb 19 December 2023)", stdout)
        self.assertIn("2 files: 2 unchanged. Wrote 0 debates, 0 speeches, 0 sentences.", stdout)
        self.assertEqual(row_counts(), (2, 2, 5))
        self.assertEqual(set(Debate.objects.values_list("id", flat=True)), ids)

    def test_replace_reloads(self):
        load_transcripts(SEEDS)
        ids = set(Debate.objects.values_list("id", flat=True))
        stdout, _ = load_transcripts(SEEDS, "--replace")
        self.assertIn(
            f"Replaced {SEEDS / SEED_UQ}: 1 debate, 4 speeches, 19 sentences in place of 1 debate",
            stdout,
        )
        self.assertIn("2 files: 2 replaced. Wrote 2 debates, 5 speeches, 54 sentences.", stdout)
        self.assertEqual(row_counts(), (2, 2, 5))
        self.assertFalse(Debate.objects.filter(id__in=ids).exists())

    def test_dry_run_writes_nothing_and_says_so(self):
        stdout, _ = load_transcripts(SEEDS, "--dry-run")
        self.assertIn(f"Would load {SEEDS / SEED_UQ}: 1 debate, 4 speeches", stdout)
        self.assertIn("2 files: 2 would load. Would write 2 debates, 5 speeches", stdout)
        self.assertIn("Dry run: nothing was written.", stdout)
        self.assertEqual(row_counts(), (0, 0, 0))


class BadFileTests(TestCase):
    def setUp(self):
        self.folder = temporary_folder(self)
        for name in (SEED_UQ, SEED_STATEMENT):
            shutil.copy(SEEDS / name, self.folder / name)
        manifest = json.loads((SEEDS / "manifest.json").read_text())
        # Sorts between the two seeds, so one good file is loaded after it.
        manifest["files"]["000_bad.txt"] = {"title": "Bad", "date": "2024-01-10"}
        (self.folder / "manifest.json").write_text(json.dumps(manifest))
        (self.folder / "000_bad.txt").write_bytes(b"Fine.\nNot \xe9 UTF-8.\n")

    def test_bad_file_fails_and_names_its_line_while_good_files_load(self):
        message, stdout, stderr = load_transcripts_failing(self, self.folder)
        self.assertEqual(message, "1 file could not be loaded (see above)")
        self.assertIn(f"Failed {self.folder / '000_bad.txt'}: line 2: not valid UTF-8", stderr)
        self.assertIn("3 files: 2 loaded, 1 failed. Wrote 2 debates, 5 speeches", stdout)
        self.assertEqual(row_counts(), (2, 2, 5))
        self.assertFalse(SourceFile.objects.filter(name="000_bad.txt").exists())
        self.assertFalse(Debate.objects.filter(title="Bad").exists())

    def test_broken_manifest_is_refused_before_loading(self):
        (self.folder / "manifest.json").write_text('{"files": {\n  "a.txt": {,}\n}}')
        message, _, _ = load_transcripts_failing(self, self.folder)
        self.assertIn(str(self.folder / "manifest.json"), message)
        self.assertIn("line 2", message)
        self.assertEqual(row_counts(), (0, 0, 0))

    def test_file_without_title_or_date_says_how_to_give_them(self):
        (self.folder / "unlisted.txt").write_text("A sentence.\n")
        _, _, stderr = load_transcripts_failing(self, self.folder / "unlisted.txt")
        self.assertIn(
            f"Failed {self.folder / 'unlisted.txt'}: plain text carries no title or date", stderr
        )
        self.assertIn("--title/--date", stderr)
        self.assertEqual(row_counts(), (0, 0, 0))


class OptionsTests(TestCase):
    def setUp(self):
        self.folder = temporary_folder(self)
        self.path = self.folder / "points.txt"
        self.path.write_text("Will the Minister meet me?\nI thank the hon. Lady for that.\n")

    def test_options_give_a_file_without_manifest_its_metadata(self):
        stdout, _ = load_transcripts(
            self.path,
            "--title",
            "Points of Order",
            "--date",
            "2024-01-10",
            "--house",
            "lords",
            "--kind",
            "point-of-order",
            "--source-reference",
            "https://hansard.parliament.uk/example",
        )
        self.assertIn("Wrote 1 debate, 2 speeches, 2 sentences.", stdout)
        debate = Debate.objects.get()
        self.assertEqual(
            (debate.title, debate.date, debate.house, debate.kind, debate.source_reference),
            (
                "Points of Order",
                datetime.date(2024, 1, 10),
                "lords",
                "point-of-order",
                "https://hansard.parliament.uk/example",
            ),
        )
        self.assertEqual(debate.citation, "HL Deb 10 January 2024")
        self.assertEqual(debate.source_file.name, "points.txt")

    def test_house_and_kind_default(self):
        load_transcripts(self.path, "--title", "Points of Order", "--date", "2024-01-10")
        debate = Debate.objects.get()
        self.assertEqual((debate.house, debate.kind), ("commons", "debate"))

    def test_options_override_the_manifest(self):
        load_transcripts(SEEDS / SEED_UQ, "--title", "Gaza", "--kind", "debate")
        debate = Debate.objects.get()
        self.assertEqual((debate.title, debate.kind), ("Gaza", "debate"))
        self.assertEqual(debate.date, datetime.date(2023, 12, 19))

    def test_invalid_date_is_refused(self):
        message, _, _ = load_transcripts_failing(
            self, self.path, "--title", "T", "--date", "10/01/2024"
        )
        self.assertIn("--date: '10/01/2024' is not a date in the form YYYY-MM-DD", message)
        self.assertEqual(row_counts(), (0, 0, 0))

    def test_unknown_house_is_refused(self):
        message, _, _ = load_transcripts_failing(
            self, self.path, "--title", "T", "--date", "2024-01-10", "--house", "senate"
        )
        self.assertIn("senate", message)
        self.assertEqual(row_counts(), (0, 0, 0))


class PathTests(TestCase):
    def test_missing_path_is_refused(self):
        missing = temporary_folder(self) / "nowhere.txt"
        message, _, _ = load_transcripts_failing(self, missing)
        self.assertEqual(message, f"{missing}: no such file or folder")

    def test_missing_path_among_good_ones_loads_nothing(self):
        missing = temporary_folder(self) / "nowhere.txt"
        load_transcripts_failing(self, SEEDS, missing)
        self.assertEqual(row_counts(), (0, 0, 0))

    def test_folder_without_transcripts_is_refused(self):
        folder = temporary_folder(self)
        (folder / "notes.md").write_text("Not a transcript.\n")
        (folder / ".hidden.txt").write_text("Not loaded either.\n")
        message, _, _ = load_transcripts_failing(self, folder)
        self.assertIn(f"{folder}: no transcripts", message)


class TerminalStringIO(StringIO):
    def isatty(self):
        return True


class ProgressTests(TestCase):
    def test_a_terminal_sees_a_progress_bar_and_a_pipe_does_not(self):
        terminal, pipe = TerminalStringIO(), StringIO()
        call_command("load_transcripts", str(SEEDS), stdout=StringIO(), stderr=terminal)
        self.assertIn("[---------------", terminal.getvalue())
        self.assertIn("2/2 001_c1147e2eaee32068.txt", terminal.getvalue())
        self.assertNotIn("\x1b[31", terminal.getvalue())  # progress is not printed as an error
        call_command("load_transcripts", str(SEEDS), "--replace", stdout=StringIO(), stderr=pipe)
        self.assertEqual(pipe.getvalue(), "")


class ZipTests(TestCase):
    """A .zip's entries load like a folder's files, through the upload's archive reader."""

    def setUp(self):
        folder = tempfile.mkdtemp(prefix="chamber-zip-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        self.folder = Path(folder)

    def write_zip(self, entries) -> Path:
        path = self.folder / "seeds.zip"
        path.write_bytes(make_zip(entries))
        return path

    def test_a_zip_loads_its_entries_with_their_manifest(self):
        path = self.write_zip(
            [
                ("seeds/manifest.json", (SEEDS / "manifest.json").read_bytes()),
                (f"seeds/{SEED_UQ}", (SEEDS / SEED_UQ).read_bytes()),
                (f"seeds/{SEED_STATEMENT}", (SEEDS / SEED_STATEMENT).read_bytes()),
                ("seeds/README.md", b"Not a transcript."),
            ]
        )
        stdout, stderr = load_transcripts(path)
        self.assertIn(
            f"Loaded {self.folder}/seeds.zip/seeds/{SEED_UQ}: 1 debate, 4 speeches", stdout
        )
        self.assertIn("2 files: 2 loaded. Wrote 2 debates, 5 speeches, 54 sentences.", stdout)
        self.assertEqual(stderr, "")
        self.assertEqual(row_counts(), (2, 2, 5))

    def test_an_unsafe_zip_is_refused_naming_the_entry(self):
        path = self.folder / "tricks.zip"
        path.write_bytes(zip_with_raw_name("../../x.txt"))
        message, _, _ = load_transcripts_failing(self, path)
        self.assertIn(f"{path}: entry '../../x.txt'", message)
        self.assertEqual(row_counts(), (0, 0, 0))


class FormatsTests(TestCase):
    """A folder of real transcripts in several formats loads through the one command."""

    def test_a_folder_of_parlparse_versions_keeps_only_the_newest(self):
        folder = temporary_folder(self)
        for name in ("debates2009-10-26a.xml", "debates2009-10-26b.xml"):
            shutil.copy(TRANSCRIPTS / "parlparse" / name, folder / name)
        out, _ = load_transcripts(str(folder))
        self.assertIn("Loaded ", out)
        self.assertIn("Replaced ", out)
        self.assertEqual(
            set(Debate.objects.values_list("source_file__name", flat=True)),
            {"debates2009-10-26b.xml"},
        )
        out, _ = load_transcripts(str(folder / "debates2009-10-26a.xml"))
        self.assertIn("a newer version (debates2009-10-26b.xml) is loaded", out)

    def test_hansard_text_and_akoma_ntoso_load_with_their_own_titles_and_dates(self):
        load_transcripts(
            str(TRANSCRIPTS / "hansard_text" / "hansard_style_commons_2023-03-28.txt"),
            str(TRANSCRIPTS / "akomantoso" / "Debate_Bungeni_1995-10-31.xml"),
        )
        self.assertEqual(
            set(Debate.objects.values_list("date", flat=True)),
            {datetime.date(2023, 3, 28), datetime.date(1995, 10, 31)},
        )
        self.assertEqual(Speech.objects.filter(debate__date="2023-03-28").count(), 467)


class MembersReadOnceTests(TestCase):
    def test_a_folder_reads_the_members_once_not_once_a_file(self):
        member = Member.objects.create(name="Diane Abbott", sort_name="Abbott", slug="da")
        MemberIdentifier.objects.create(
            member=member, scheme="parlparse-person", value="uk.org.publicwhip/person/10001"
        )
        folder = temporary_folder(self)
        for day in ("2024-03-25", "2024-03-26", "2024-03-27"):
            (folder / f"debates{day}a.xml").write_bytes(parlparse_day(day, ["Housing"]))
        with CaptureQueriesContext(connection) as queries:
            stdout, _ = load_transcripts(folder)
        self.assertIn("3 files: 3 loaded. Wrote 3 debates, 3 speeches, 3 sentences.", stdout)
        identifiers = MemberIdentifier._meta.db_table
        self.assertEqual(sum(identifiers in query["sql"] for query in queries), 1)
        self.assertEqual(Speech.objects.filter(member=member).count(), 3)

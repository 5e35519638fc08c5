"""Where transcripts come from: one reader of paths, folders, zips and manifests for the
command and the upload (debates.ingest.sources)."""

import datetime
import json
import shutil
import tempfile
from pathlib import Path

from django.test import SimpleTestCase, override_settings

from debates.ingest import sources
from debates.ingest.importers.transcript import DebateMetadata

from .test_archive import make_zip

MANIFEST = {"files": {"b.txt": {"title": "Bee", "date": "2024-03-26"}}}


class FromPathsTests(SimpleTestCase):
    def setUp(self):
        self.folder = Path(tempfile.mkdtemp(prefix="chamber-sources-"))
        self.addCleanup(shutil.rmtree, self.folder)

    def write(self, name: str, raw: bytes) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        return path

    def test_a_folder_gives_its_transcripts_in_name_order_with_their_manifest(self):
        self.write("b.txt", b"Bee.\n")
        self.write("a.xml", b"<publicwhip/>")
        self.write("notes.pdf", b"%PDF")  # not a transcript
        self.write(".hidden.txt", b"x")
        self.write("manifest.json", json.dumps(MANIFEST).encode())
        found = sources.from_paths([self.folder])
        self.assertEqual([t.name for t in found], ["a.xml", "b.txt"])
        self.assertEqual(found[0].metadata, DebateMetadata())
        self.assertEqual(
            found[1].metadata, DebateMetadata(title="Bee", date=datetime.date(2024, 3, 26))
        )
        self.assertEqual(found[1].label, str(self.folder / "b.txt"))

    def test_files_are_read_only_when_wanted(self):
        path = self.write("b.txt", b"Bee.\n")
        (transcript,) = sources.from_paths([path])
        self.assertEqual(transcript.raw, b"")  # nothing held in memory yet
        path.write_bytes(b"Changed.\n")
        self.assertEqual(transcript.read(), b"Changed.\n")

    def test_a_file_named_directly_takes_its_folders_manifest(self):
        path = self.write("b.txt", b"Bee.\n")
        self.write("manifest.json", json.dumps(MANIFEST).encode())
        (transcript,) = sources.from_paths([path])
        self.assertEqual(transcript.metadata.title, "Bee")

    def test_a_zip_gives_its_entries_named_by_their_place_in_it(self):
        entries = [
            ("day/b.txt", b"Bee.\n"),
            ("day/manifest.json", json.dumps(MANIFEST).encode()),
            ("day/readme.md", b"# not a transcript"),
        ]
        path = self.write("day.zip", make_zip(entries))
        (transcript,) = sources.from_paths([path])
        self.assertEqual(transcript.name, "day.zip/day/b.txt")
        self.assertEqual(transcript.label, str(self.folder / "day.zip/day/b.txt"))
        self.assertEqual((transcript.read(), transcript.metadata.title), (b"Bee.\n", "Bee"))

    def test_what_cannot_be_read_is_named(self):
        empty = self.folder / "empty"
        empty.mkdir()
        self.write("bad/manifest.json", b"{not json")
        self.write("bad/b.txt", b"Bee.\n")
        self.write("broken.zip", b"PK\x03\x04 not really")
        cases = [
            (self.folder / "missing.txt", "missing.txt: no such file or folder"),
            (empty, "empty: no transcripts (.txt, .xml)"),
            (self.folder / "bad", "manifest.json: line 1: the manifest is not valid JSON"),
            (self.folder / "broken.zip", "broken.zip: not a readable .zip file"),
        ]
        for path, message in cases:
            with (
                self.subTest(path=path.name),
                self.assertRaisesMessage(sources.SourceError, message),
            ):
                sources.from_paths([path])


class FromUploadsTests(SimpleTestCase):
    def test_files_and_zip_entries_side_by_side(self):
        found = sources.from_uploads(
            [("a.txt", b"Ay.\n"), ("day.zip", make_zip([("b.txt", b"Bee.\n")]))]
        )
        self.assertEqual(
            [(t.name, t.read()) for t in found], [("a.txt", b"Ay.\n"), ("day.zip/b.txt", b"Bee.\n")]
        )

    def test_two_files_of_one_name_are_refused(self):
        with self.assertRaisesMessage(sources.SourceError, "a.txt: two files of that name"):
            sources.from_uploads([("a.txt", b"1"), ("a.txt", b"2")])

    @override_settings(CHAMBER_MAX_UPLOAD_BYTES=10)
    def test_an_upload_over_the_limit_is_refused_with_sizes(self):
        with self.assertRaisesMessage(
            sources.SourceError, "the files come to 12 bytes, over the limit of 10 bytes"
        ):
            sources.from_uploads([("a.txt", b"123456"), ("b.txt", b"123456")])

    @override_settings(CHAMBER_MAX_UPLOAD_FILES=1)
    def test_an_upload_of_too_many_files_is_refused(self):
        with self.assertRaisesMessage(sources.SourceError, "2 files, more than the 1"):
            sources.from_uploads([("a.txt", b"1"), ("b.txt", b"2")])

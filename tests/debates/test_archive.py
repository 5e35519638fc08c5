"""The .zip reader refuses archives that could escape, explode or hide what they hold."""

import io
import stat
import zipfile

from django.test import SimpleTestCase

from debates.ingest.importers.archive import ArchiveError, Limits, is_zip, read_zip

LIMITS = Limits(max_files=10, max_file_bytes=5_000_000, max_total_bytes=8_000_000)


def make_zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A .zip of (name or ZipInfo, bytes) entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, raw in entries:
            archive.writestr(name, raw)
    return buffer.getvalue()


class ReadZipTests(SimpleTestCase):
    def read(self, raw, limits=LIMITS):
        return read_zip(raw, name="day.zip", limits=limits)

    def assertRefused(self, raw, *fragments, limits=LIMITS):
        with self.assertRaises(ArchiveError) as caught:
            self.read(raw, limits=limits)
        message = str(caught.exception)
        self.assertTrue(message.startswith("day.zip: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_entries_in_order_with_their_bytes(self):
        raw = make_zip([("b.txt", b"Bee.\n"), ("sub/a.xml", b"<a/>")])
        self.assertTrue(is_zip(raw))
        entries = self.read(raw)
        self.assertEqual(
            [(e.name, e.raw) for e in entries], [("b.txt", b"Bee.\n"), ("sub/a.xml", b"<a/>")]
        )

    def test_folders_macos_resource_forks_and_dotfiles_are_skipped(self):
        raw = make_zip(
            [
                ("day/", b""),
                ("day/a.txt", b"A.\n"),
                ("__MACOSX/day/._a.txt", b"\x00\x05\x16\x07"),
                ("day/.DS_Store", b"\x00\x00\x00\x01Bud1"),
                (".hidden/b.txt", b"B.\n"),
            ]
        )
        self.assertEqual([entry.name for entry in self.read(raw)], ["day/a.txt"])

    def test_not_a_zip(self):
        self.assertFalse(is_zip(b"Plain text.\n"))
        self.assertRefused(b"PK\x03\x04 truncated", "not a readable .zip")

    def test_truncated_zip(self):
        raw = make_zip([("a.txt", b"A sentence.\n" * 100)])
        self.assertRefused(raw[: len(raw) // 2], "not a readable .zip")

    def test_empty_archive(self):
        self.assertRefused(make_zip([]), "holds no files")

    def test_path_tricks_are_refused_naming_the_entry(self):
        cases = {
            "../../etc/passwd": "climbs out",
            "day/../../x.txt": "climbs out",
            "/etc/passwd": "absolute path",
            "C:/Windows/x.txt": "drive letter",
            "day\\..\\x.txt": "backslash",
        }
        for entry, problem in cases.items():
            with self.subTest(entry=entry):
                self.assertRefused(zip_with_raw_name(entry), repr(entry), problem)

    def test_symbolic_link_is_refused(self):
        info = zipfile.ZipInfo("day/link.txt")
        info.create_system = 3  # Unix
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        raw = make_zip([("day/a.txt", b"A.\n"), (info, b"/etc/passwd")])
        self.assertRefused(raw, "'day/link.txt'", "symbolic link")

    def test_nested_zip_is_refused_by_name_and_by_content(self):
        inner = make_zip([("a.txt", b"A.\n")])
        self.assertRefused(make_zip([("inner.zip", inner)]), "'inner.zip'", "itself a .zip")
        self.assertRefused(make_zip([("inner.txt", inner)]), "'inner.txt'", "itself a .zip")

    def test_encrypted_entry_is_refused(self):
        raw = bytearray(make_zip([("secret.txt", b"x")], compression=zipfile.ZIP_STORED))
        # zipfile writes no encrypted entries: set the flag in both headers.
        raw[6] |= 0x1  # local file header: general purpose flags at offset 6
        central = raw.index(b"PK\x01\x02")
        raw[central + 8] |= 0x1  # central directory: flags at offset 8
        self.assertRefused(bytes(raw), "'secret.txt'", "encrypted")

    def test_thousands_of_entries_are_refused_before_reading(self):
        raw = make_zip([(f"{n:04}.txt", b"A.\n") for n in range(3000)])
        self.assertRefused(raw, "3,000 files", "more than the 10")

    def test_zip_bomb_ratio_is_refused(self):
        raw = make_zip([("bomb.txt", b"\x00" * 4_000_000)])
        self.assertLess(len(raw), 10_000)
        self.assertRefused(raw, "'bomb.txt'", "zip bomb")

    def test_uncompressed_total_over_the_limit_is_refused(self):
        limits = Limits(max_files=10, max_file_bytes=5_000, max_total_bytes=8_000)
        raw = make_zip([(f"{n}.txt", b"x" * 3_000) for n in range(3)])
        self.assertRefused(raw, "more than 8.0 kB uncompressed", limits=limits)

    def test_entry_over_the_file_limit_is_refused(self):
        limits = Limits(max_files=10, max_file_bytes=1_000, max_total_bytes=8_000)
        raw = make_zip([("big.txt", b"x" * 2_000)], compression=zipfile.ZIP_STORED)
        self.assertRefused(raw, "'big.txt'", "over the limit", limits=limits)

    def test_entry_that_lies_about_its_size_is_damaged(self):
        raw = make_zip([("a.txt", b"A sentence.\n" * 50)], compression=zipfile.ZIP_STORED)
        # The central directory now declares a larger size than the data holds.
        damaged = raw.replace((600).to_bytes(4, "little"), (700).to_bytes(4, "little"))
        self.assertNotEqual(raw, damaged)
        self.assertRefused(damaged, "'a.txt'", "damaged")

    def test_duplicate_entry_names_are_refused(self):
        with self.assertWarns(UserWarning):  # zipfile warns of the duplicate it writes
            raw = make_zip([("a.txt", b"A.\n"), ("a.txt", b"B.\n")])
        self.assertRefused(raw, "'a.txt'", "twice")


def zip_with_raw_name(name: str) -> bytes:
    """A one-entry .zip whose headers hold `name` exactly (zipfile cleans names it writes)."""
    placeholder = "p" * len(name.encode())
    raw = make_zip([(placeholder, b"x")], compression=zipfile.ZIP_STORED)
    return raw.replace(placeholder.encode(), name.encode())

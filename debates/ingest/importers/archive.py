"""Reading a .zip of transcripts: its entries as (name, bytes), or one error a clerk can act on.

Pure (stdlib `zipfile` only). A .zip from outside is not trusted: names that climb out of
the archive (../, absolute paths, drive letters), symbolic links, nested archives, encrypted
entries and more entries than allowed are refused, and so is anything whose uncompressed
size betrays a zip bomb. Sizes are checked from the central directory before anything is
inflated, and no entry is ever inflated past the size it declares. Folders, macOS's
__MACOSX/ and hidden files (".DS_Store") are skipped.
"""

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ...words import size

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
# Text compresses about tenfold; a ratio far beyond that over a sizeable entry is a bomb.
MAX_RATIO = 200
RATIO_CHECKED_FROM = 1_000_000  # bytes: small entries of repeated text may compress well


class ArchiveError(ValueError):
    """A .zip that will not be read; the message names the archive (and entry)."""


@dataclass(frozen=True)
class Entry:
    name: str  # the path inside the archive, "/"-separated
    raw: bytes


@dataclass(frozen=True)
class Limits:
    max_files: int  # entries that are files, after skipping
    max_file_bytes: int  # one entry, uncompressed
    max_total_bytes: int  # all entries, uncompressed


def is_zip(raw: bytes) -> bool:
    return raw.startswith(ZIP_MAGIC)


def read_zip(raw: bytes, *, name: str, limits: Limits) -> list[Entry]:
    """The files of the archive `name`, in the archive's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ArchiveError(f"{name}: not a readable .zip file") from None
    with archive:
        infos = [info for info in archive.infolist() if not _skipped(info)]
        _check_listing(infos, name=name, limits=limits)
        return [Entry(name=info.filename, raw=_read(archive, info, name=name)) for info in infos]


def _skipped(info: zipfile.ZipInfo) -> bool:
    parts = info.filename.replace("\\", "/").split("/")
    return (
        info.is_dir()
        or parts[0] == "__MACOSX"
        or any(part.startswith(".") and part not in {".", ".."} for part in parts)
    )


def _check_listing(infos: list[zipfile.ZipInfo], *, name: str, limits: Limits) -> None:
    if len(infos) > limits.max_files:
        raise ArchiveError(
            f"{name}: holds {len(infos):,} files, more than the {limits.max_files:,} one upload"
            " may hold"
        )
    if not infos:
        raise ArchiveError(f"{name}: the archive holds no files")
    seen, total = set(), 0
    for info in infos:
        entry = f"{name}: entry {info.filename!r}"
        problem = _unsafe_name(info.filename)
        if problem:
            raise ArchiveError(f"{entry}: {problem}; nothing was read")
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"{entry} is a symbolic link; an archive must hold plain files")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{entry} is encrypted; upload it without a password")
        if info.filename.lower().endswith(".zip"):
            raise ArchiveError(f"{entry} is itself a .zip; put all the files in one archive")
        if info.filename in seen:
            raise ArchiveError(f"{entry} appears twice")
        seen.add(info.filename)
        if info.file_size > limits.max_file_bytes:
            raise ArchiveError(
                f"{entry} is {size(info.file_size)} uncompressed, over the limit of"
                f" {size(limits.max_file_bytes)}"
            )
        if info.file_size >= RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ArchiveError(
                f"{entry} would grow {info.file_size // max(info.compress_size, 1):,} times"
                " when uncompressed, which only a zip bomb does; nothing was read"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(
                f"{name}: the files come to more than {size(limits.max_total_bytes)}"
                " uncompressed, over the limit for one upload; nothing was read"
            )


def _unsafe_name(filename: str) -> str:
    """Why a name could write outside the folder it is unpacked into, or ""."""
    if "\\" in filename:
        return "a backslash in the name"
    if "\x00" in filename:
        return "a NUL character in the name"
    path = PurePosixPath(filename)
    if path.is_absolute():
        return "an absolute path"
    if path.parts and len(path.parts[0]) == 2 and path.parts[0][1] == ":":
        return "a drive letter in the name"
    if ".." in path.parts:
        return "a name that climbs out of the archive (..)"
    return ""


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str) -> bytes:
    entry = f"{name}: entry {info.filename!r}"
    try:
        with archive.open(info) as stream:
            # zipfile stops at the declared size; reading one byte more proves it did.
            raw = stream.read(info.file_size + 1)
    except NotImplementedError:
        raise ArchiveError(f"{entry} uses a compression method that cannot be read") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ArchiveError(f"{entry} is damaged ({error})") from None
    if len(raw) != info.file_size:
        raise ArchiveError(f"{entry} is damaged (its size does not match the archive's listing)")
    if is_zip(raw):
        raise ArchiveError(f"{entry} is itself a .zip; put all the files in one archive")
    return raw

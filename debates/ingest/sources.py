"""Where transcripts come from: paths, folders, .zip archives and their manifests.

`from_paths` (for `manage.py load_transcripts`) and `from_uploads` (for the admin upload)
turn what they are given into `Transcript`s in one way: a folder gives its transcript files
in name order, a .zip opens into its entries (`importers.archive`, which refuses unsafe
archives), and a `manifest.json` beside the files gives them the title and date that plain
text lacks. Files on disk are read only when they are loaded, so a folder of ten years of
sitting days need not fit in memory.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings

from ..words import size
from .importers import archive
from .importers.manifest import parse_manifest
from .importers.transcript import DebateMetadata, ParseError

MANIFEST = "manifest.json"
TRANSCRIPT_SUFFIXES = (".txt", ".xml")  # in a folder, as in a .zip, other files are left


class SourceError(ValueError):
    """Files that cannot be taken at all; the message names the file (and entry)."""


@dataclass(frozen=True)
class Transcript:
    """One file to load, under `name`: the file's name, or "day.zip/debates.xml" for an entry
    of an archive."""

    name: str
    raw: bytes = field(default=b"", repr=False)  # what was uploaded (unless `path` is given)
    metadata: DebateMetadata = DebateMetadata()  # from a manifest.json beside it
    path: Path | None = None  # a file on disk, read when wanted
    where: str = ""  # how messages name it, when that is not `name`: a path

    @property
    def label(self) -> str:
        return self.where or (str(self.path) if self.path else self.name)

    def read(self) -> bytes:
        return self.path.read_bytes() if self.path else self.raw


def from_uploads(files: Iterable[tuple[str, bytes]]) -> list[Transcript]:
    """The transcripts of uploaded (name, bytes) files, .zip archives opened, within the
    limits of one upload."""
    transcripts: list[Transcript] = []
    for name, raw in files:
        if archive.is_zip(raw) or name.lower().endswith(".zip"):
            transcripts += _zip(name, raw)
        else:
            transcripts.append(Transcript(name=name, raw=raw))
    limit = settings.CHAMBER_MAX_UPLOAD_FILES
    if len(transcripts) > limit:
        raise SourceError(
            f"{len(transcripts):,} files, more than the {limit:,} one upload may hold"
        )
    total, limit = sum(len(t.raw) for t in transcripts), settings.CHAMBER_MAX_UPLOAD_BYTES
    if total > limit:
        raise SourceError(
            f"the files come to {size(total)}, over the limit of {size(limit)} for one upload"
        )
    names = [t.name for t in transcripts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SourceError(f"{', '.join(twice)}: two files of that name; rename one")
    return transcripts


def from_paths(paths: Sequence[Path]) -> list[Transcript]:
    """The transcripts at these paths, in a stable order: a file as it is, a folder's
    transcript files by name, a .zip's entries; each with its folder's manifest entry."""
    transcripts: list[Transcript] = []
    manifests: dict[Path, dict[str, DebateMetadata]] = {}
    for path in paths:
        if path.is_file() and path.suffix.lower() == ".zip":
            transcripts += _zip_file(path)
            continue
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _is_transcript(p.name))
            if not found:
                raise SourceError(f"{path}: no transcripts ({', '.join(TRANSCRIPT_SUFFIXES)})")
        elif path.is_file():
            found = [path]
        else:
            raise SourceError(f"{path}: no such file or folder")
        for file in found:
            if file.parent not in manifests:
                manifests[file.parent] = _manifest_file(file.parent / MANIFEST)
            metadata = manifests[file.parent].get(file.name, DebateMetadata())
            transcripts.append(Transcript(name=file.name, metadata=metadata, path=file))
    return transcripts


def _zip_file(path: Path) -> list[Transcript]:
    try:
        entries = from_uploads([(path.name, path.read_bytes())])
    except OSError as error:
        raise SourceError(f"{path}: {error.strerror or error}") from None
    except SourceError as error:
        raise SourceError(f"{path}: {str(error).removeprefix(f'{path.name}: ')}") from None
    return [Transcript(t.name, t.raw, t.metadata, where=str(path.parent / t.name)) for t in entries]


def _zip(name: str, raw: bytes) -> list[Transcript]:
    """The entries of a .zip as transcripts, each with its folder's manifest entry."""
    limits = archive.Limits(
        max_files=settings.CHAMBER_MAX_UPLOAD_FILES,
        max_file_bytes=settings.CHAMBER_MAX_TRANSCRIPT_BYTES,
        max_total_bytes=settings.CHAMBER_MAX_UPLOAD_BYTES,
    )
    try:
        entries = archive.read_zip(raw, name=name, limits=limits)
    except archive.ArchiveError as error:
        raise SourceError(str(error)) from None
    manifests: dict[PurePosixPath, dict[str, DebateMetadata]] = {}
    for entry in entries:
        path = PurePosixPath(entry.name)
        if path.name == MANIFEST:
            try:
                manifests[path.parent] = parse_manifest(entry.raw)
            except ParseError as error:
                raise SourceError(f"{name}: entry {entry.name!r}: {error}") from None
    transcripts = [
        Transcript(
            name=f"{name}/{entry.name}",
            raw=entry.raw,
            metadata=manifests.get(path.parent, {}).get(path.name, DebateMetadata()),
        )
        for entry in entries
        if _is_transcript((path := PurePosixPath(entry.name)).name)
    ]
    if not transcripts:
        raise SourceError(
            f"{name}: no transcripts in the archive ({', '.join(TRANSCRIPT_SUFFIXES)})"
        )
    return transcripts


def _manifest_file(path: Path) -> dict[str, DebateMetadata]:
    if not path.is_file():
        return {}
    try:
        return parse_manifest(path.read_bytes())
    except ParseError as error:
        raise SourceError(f"{path}: {error}") from None


def _is_transcript(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in TRANSCRIPT_SUFFIXES and not name.startswith(".")

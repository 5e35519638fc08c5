"""python manage.py load_transcripts PATH... [--replace] [--dry-run] [--title ... --date ...]"""

from collections.abc import Callable
from dataclasses import replace as with_values
from pathlib import Path
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from debates.importers.manifest import parse_date, parse_manifest
from debates.importers.transcript import DebateMetadata, ParseError
from debates.loading import LoadError, load_file
from debates.models import DebateKind, House
from debates.uploads import MANIFEST, TRANSCRIPT_SUFFIXES, UploadError, read_upload
from search import indexing as search_index


class Source(NamedTuple):
    label: str  # as printed: the path, or "archive.zip/entry" inside a .zip
    name: str  # the source file's name
    read: Callable[[], bytes]
    metadata: DebateMetadata


class Command(BaseCommand):
    help = (
        "Load transcripts from files, folders or .zip archives. Files that carry no title or date"
        f" take them from a {MANIFEST} beside them or from the options. The same bytes are never"
        " loaded twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", type=Path, help="transcript files, folders or .zip files"
        )
        parser.add_argument("--replace", action="store_true", help="reload what is already loaded")
        parser.add_argument(
            "--dry-run", action="store_true", help="parse and report; write nothing"
        )
        parser.add_argument("--title", default="")
        parser.add_argument("--date", default="", help="YYYY-MM-DD")
        parser.add_argument("--house", default="", choices=House.values)
        parser.add_argument("--kind", default="", choices=DebateKind.values)
        parser.add_argument("--source-reference", default="", help="official id or URL")

    def handle(self, *args, paths, replace, dry_run, **options):
        overrides = self._overrides(options)
        files = self._files(paths)
        totals = {"files": len(files), "debates": 0, "speeches": 0, "sentences": 0}
        statuses, failures = {}, []
        # The index is written in batches as files load, and fully by the end.
        try:
            with search_index.batched():
                self._load(files, overrides, replace, dry_run, totals, statuses, failures)
        except search_index.IndexBusy as error:
            failures.append(str(error))
            self.stderr.write(self.style.ERROR(str(error)))

        counted = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        if failures:
            counted = f"{counted}, {len(failures)} failed" if counted else f"{len(failures)} failed"
        verb = "Would write" if dry_run else "Wrote"
        written = ", ".join(
            _plural(totals[key], word)
            for key, word in [
                ("debates", "debate"),
                ("speeches", "speech"),
                ("sentences", "sentence"),
            ]
        )
        self.stdout.write(f"{_plural(totals['files'], 'file')}: {counted}. {verb} {written}.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if failures:
            raise CommandError(f"{_plural(len(failures), 'file')} could not be loaded (see above)")

    def _load(self, files, overrides, replace, dry_run, totals, statuses, failures):
        for number, source in enumerate(files, start=1):
            self._progress(number, len(files), source.name)
            try:
                result = load_file(
                    source.read(),
                    name=source.name,
                    metadata=with_values(source.metadata, **overrides),
                    replace=replace,
                    dry_run=dry_run,
                )
            except (LoadError, OSError, DatabaseError, search_index.IndexBusy) as error:
                failures.append(f"{source.label}: {_reason(error, source.name)}")
                self._progress_done()
                self.stderr.write(self.style.ERROR(f"Failed {failures[-1]}"))
                continue
            self._progress_done()
            statuses[result.status] = statuses.get(result.status, 0) + 1
            self.stdout.write(self._describe(source.label, result))
            if result.status not in {"unchanged", "skipped"}:
                totals["debates"] += result.debate_count
                totals["speeches"] += result.speech_count
                totals["sentences"] += result.sentence_count

    def _overrides(self, options) -> dict:
        overrides = {
            key: options[key].strip()
            for key in ("title", "house", "kind", "source_reference")
            if options[key].strip()
        }
        if options["date"]:
            try:
                overrides["date"] = parse_date(options["date"], where="--date")
            except ParseError as error:
                raise CommandError(str(error)) from None
        return overrides

    def _files(self, paths: list[Path]) -> list[Source]:
        """Each transcript with the manifest entry of its folder, in a stable order; a .zip's
        entries as a folder's files (through the upload's archive reader)."""
        files, manifests = [], {}
        for path in paths:
            if path.is_file() and path.suffix.lower() == ".zip":
                files += self._zip(path)
                continue
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.is_file() and _is_transcript(p))
                if not found:
                    raise CommandError(f"{path}: no transcripts ({', '.join(TRANSCRIPT_SUFFIXES)})")
            elif path.is_file():
                found = [path]
            else:
                raise CommandError(f"{path}: no such file or folder")
            for file in found:
                folder = file.parent
                if folder not in manifests:
                    manifests[folder] = self._manifest(folder / MANIFEST)
                metadata = manifests[folder].get(file.name, DebateMetadata())
                files.append(Source(str(file), file.name, file.read_bytes, metadata))
        return files

    def _zip(self, path: Path) -> list[Source]:
        try:
            transcripts = read_upload([(path.name, path.read_bytes())])
        except (UploadError, OSError) as error:
            raise CommandError(f"{path}: {str(error).removeprefix(f'{path.name}: ')}") from None
        return [
            Source(str(path.parent / t.name), t.name, lambda raw=t.raw: raw, t.metadata)
            for t in transcripts
        ]

    def _manifest(self, path: Path) -> dict[str, DebateMetadata]:
        if not path.is_file():
            return {}
        try:
            return parse_manifest(path.read_bytes())
        except ParseError as error:
            raise CommandError(f"{path}: {error}") from None

    def _describe(self, label: str, result) -> str:
        if result.status == "skipped":
            return f"Skipped {label}: {result.reason}"
        if result.status == "unchanged":
            loaded = "; ".join(f"{debate.title}, {debate.citation}" for debate in result.debates)
            return f"Unchanged {label}: already loaded ({loaded})"
        counts = (
            f"{_plural(result.debate_count, 'debate')}, {_plural(result.speech_count, 'speech')},"
            f" {_plural(result.sentence_count, 'sentence')}"
        )
        if result.removed_debate_count:
            counts += f" in place of {_plural(result.removed_debate_count, 'debate')}"
        lines = [f"{result.status.capitalize()} {label}: {counts}"]
        lines += [self.style.WARNING(f"  warning: {warning}") for warning in result.warnings]
        return "\n".join(lines)

    def _progress(self, number: int, total: int, name: str) -> None:
        if total > 1 and self.stderr.isatty():
            width = 30
            filled = width * (number - 1) // total
            bar = "#" * filled + "-" * (width - filled)
            self.stderr.write(f"\r[{bar}] {number}/{total} {name[-40:]}", _plain, ending="")
            self.stderr.flush()

    def _progress_done(self) -> None:
        if self.stderr.isatty():
            self.stderr.write("\r\033[K", _plain, ending="")


def _plain(text: str) -> str:
    return text  # progress output is not an error: no red


def _reason(error: Exception, name: str) -> str:
    if isinstance(error, DatabaseError):
        return f"could not be written to the database ({error}); nothing was written"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error).removeprefix(f"{name}: ")


def _is_transcript(path: Path) -> bool:
    return path.suffix.lower() in TRANSCRIPT_SUFFIXES and not path.name.startswith(".")


def _plural(count: int, word: str) -> str:
    plural = "speeches" if word == "speech" else f"{word}s"
    return f"{count:,} {word if count == 1 else plural}"

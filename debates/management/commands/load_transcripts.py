"""python manage.py load_transcripts PATH... [--replace] [--dry-run] [--title ... --date ...]"""

from dataclasses import replace as with_values
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from debates import signals
from debates.choices import DebateKind, House
from debates.ingest import sources, speakers
from debates.ingest.importers.manifest import parse_date
from debates.ingest.importers.transcript import ParseError
from debates.ingest.loading import LoadError, LoadResult, LoadStatus, LoadTotals, load_file
from debates.words import plural


class Command(BaseCommand):
    help = (
        "Load transcripts from files, folders or .zip archives. Files that carry no title or date"
        f" take them from a {sources.MANIFEST} beside them or from the options. The same bytes"
        " are never loaded twice."
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

    def handle(
        self, *args: str, paths: list[Path], replace: bool, dry_run: bool, **options: Any
    ) -> None:
        overrides = _overrides(options)
        try:
            transcripts = sources.from_paths(paths)
        except sources.SourceError as error:
            raise CommandError(str(error)) from None
        loaded = LoadTotals()  # counts only, not each file's results
        failures: list[str] = []
        members = speakers.MemberCache()  # the members are read once a run, not once a file
        # One transaction per file; whoever follows the writes (the search index) may
        # batch its work across them, and says at the end how it went.
        with signals.many_writes(sender=type(self)) as notices:
            for number, transcript in enumerate(transcripts, start=1):
                self._progress(number, len(transcripts), transcript.name)
                try:
                    result = load_file(
                        transcript.read(),
                        name=transcript.name,
                        metadata=with_values(transcript.metadata, **overrides),
                        replace=replace,
                        dry_run=dry_run,
                        members=members,
                    )
                except (LoadError, OSError, DatabaseError) as error:
                    failures.append(f"{transcript.label}: {_reason(error, transcript.name)}")
                    self._progress_done()
                    self.stderr.write(self.style.ERROR(f"Failed {failures[-1]}"))
                    continue
                self._progress_done()
                loaded.add(result)
                self.stdout.write(self._describe(transcript.label, result))
        self.stdout.write(_summary(len(transcripts), loaded, failures, dry_run=dry_run))
        for notice in notices:
            write = self.stderr.write if notice.warning else self.stdout.write
            write(self.style.WARNING(notice.message) if notice.warning else notice.message)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if failures:
            raise CommandError(f"{plural(len(failures), 'file')} could not be loaded (see above)")

    def _describe(self, label: str, result: LoadResult) -> str:
        if result.status == LoadStatus.SKIPPED:
            return f"Skipped {label}: {result.reason}"
        if result.status == LoadStatus.UNCHANGED:
            loaded = "; ".join(f"{debate.title}, {debate.citation}" for debate in result.debates)
            return f"Unchanged {label}: already loaded ({loaded})"
        counts = _counts(result.debate_count, result.speech_count, result.sentence_count)
        if result.removed_debate_count:
            counts += f" in place of {plural(result.removed_debate_count, 'debate')}"
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


def _overrides(options) -> dict:
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


def _summary(files: int, loaded: LoadTotals, failures: list[str], *, dry_run: bool) -> str:
    """ "3 files: 2 loaded, 1 unchanged. Wrote 2 debates, 9 speeches, 120 sentences." """
    counted = [f"{count} {status}" for status, count in sorted(loaded.statuses.items())]
    counted += [f"{len(failures)} failed"] if failures else []
    totals = _counts(loaded.debates, loaded.speeches, loaded.sentences)
    verb = "Would write" if dry_run else "Wrote"
    return f"{plural(files, 'file')}: {', '.join(counted)}. {verb} {totals}."


def _counts(debates: int, speeches: int, sentences: int) -> str:
    return (
        f"{plural(debates, 'debate')}, {plural(speeches, 'speech')},"
        f" {plural(sentences, 'sentence')}"
    )


def _plain(text: str) -> str:
    return text  # progress output is not an error: no red


def _reason(error: Exception, name: str) -> str:
    if isinstance(error, DatabaseError):
        return f"could not be written to the database ({error}); nothing was written"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error).removeprefix(f"{name}: ")

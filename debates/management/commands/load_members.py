"""python manage.py load_members FILE... (CSV, ParlParse member or people XML, Popolo JSON)"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from debates.ingest.members import MemberLoadError, load_members
from debates.words import plural


class Command(BaseCommand):
    help = (
        "Load members from CSV, ParlParse member lists (all-members*.xml, people*.xml) or"
        " Popolo JSON, all files in one transaction. Loading again updates members: matched"
        " by their ids, then by name and constituency."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="member lists")

    def handle(self, *args, files, **options):
        raws = []
        for path in files:
            try:
                raws.append((path.name, path.read_bytes()))
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror or error}") from None
        self.stderr.write(f"Loading members from {plural(len(raws), 'file')}…", _plain)
        started = time.perf_counter()
        try:
            result = load_members(raws)
        except MemberLoadError as error:
            raise CommandError(f"{error}; nothing was written") from None
        except DatabaseError as error:
            raise CommandError(
                f"could not write to the database ({error}); nothing was written"
            ) from None
        seconds = time.perf_counter() - started
        for name, fmt, records in result.files:
            self.stdout.write(f"Read {name}: {fmt}, {plural(records, 'record')}")
        self.stdout.write(
            f"Members: {result.created:,} created, {result.updated:,} updated,"
            f" {result.unchanged:,} unchanged"
            + (f", {result.merged:,} joined into another" if result.merged else "")
            + f"; {plural(result.identifiers_added, 'identifier')} added"
            + f" ({seconds:.1f} s)."
        )
        if result.speeches_resolved:
            self.stdout.write(
                f"{plural(result.speeches_resolved, 'speech')} loaded earlier now resolve to"
                " a member."
            )


def _plain(text: str) -> str:
    return text

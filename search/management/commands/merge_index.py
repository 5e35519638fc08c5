"""python manage.py merge_index [--all] [--wait SECONDS]: merge the search index's segments."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from haystack import connections

from search.engines import IndexBusy
from search.merges import merge_backend


class Command(BaseCommand):
    help = (
        "Merge the search index's segments that writes left unmerged (a write never merges"
        " more than a bounded amount): run it out of hours, from cron say. Searches go on"
        " meanwhile; writes wait for it. --all merges everything into one segment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="merge every segment into one (slower; fastest searches)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="seconds to wait for another writer's lock (default: the backend's LOCK_TIMEOUT)",
        )

    def handle(self, *args: Any, all: bool, wait: float | None, **options: Any) -> None:
        backend = connections["default"].get_backend()
        if not hasattr(backend, "merge"):
            self.stdout.write("This search engine merges its segments by itself: nothing to do.")
            return
        try:
            if all:
                backend.optimize()
                self.stdout.write("Merged the search index into one segment.")
                return
            report = merge_backend(backend, wait=wait)
        except IndexBusy as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Search index: {report or 'nothing to merge.'}")

"""python manage.py index_queue [--wait SECONDS] [--status]: deliver the index queue."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from debates.words import plural
from search.indexing import drain, queue_status


class Command(BaseCommand):
    help = (
        "Write what the search index owes (the queue that every change to the debates fills)"
        " to the index, and empty the queue. Harmless to run at any time, from cron say:"
        " after a crash it delivers what the crashed process had not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="seconds to wait for another writer's lock (default: the backend's LOCK_TIMEOUT)",
        )
        parser.add_argument(
            "--status", action="store_true", help="only say how much is waiting; write nothing"
        )

    def handle(self, *args: Any, wait: float | None, status: bool, **options: Any) -> None:
        waiting, oldest = queue_status()
        if status or not waiting:
            age = f", the oldest queued {timezone.now() - oldest} ago" if oldest else ""
            self.stdout.write(f"Index queue: {plural(waiting, 'speech')} waiting{age}.")
            return
        drained = drain(wait=wait)
        if drained.waiting:
            raise CommandError(drained.describe())
        self.stdout.write(drained.describe())

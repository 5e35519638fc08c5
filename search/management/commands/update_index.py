"""python manage.py update_index (and rebuild_index, which calls it): Haystack's command, then
the merges its writes left for later (search.whoosh.merging), so that a rebuild of any size
writes each document a bounded number of times and ends with few segments.

This app comes before `haystack` in INSTALLED_APPS, so this command is the one Django runs.
"""

from typing import Any

from haystack import connections
from haystack.management.commands import update_index

from search.merges import merge_backend


class Command(update_index.Command):  # type: ignore[misc]  # Haystack is untyped
    help = (
        f"{update_index.Command.help} Then merges the index's segments where the engine has them."
    )

    def handle(self, **options: Any) -> None:
        super().handle(**options)
        for alias in self.backends:
            report = merge_backend(connections[alias].get_backend())
            if report and self.verbosity:
                self.stdout.write(f"{alias}: {report}")

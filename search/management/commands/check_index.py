"""python manage.py check_index [--repair]: does the search index match the database?"""

from datetime import timedelta
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from debates.words import plural
from search import audit as auditing
from search.audit import Audit
from search.engines import SearchUnavailable

SHOWN = 20  # ids or groups listed of each kind; the counts say how many in all


class Command(BaseCommand):
    help = (
        "Compare the search index with the database: speeches missing from the index,"
        " documents of speeches that are gone, and documents whose debate, member or date is"
        " stale. Exits with status 1 when anything differs (for monitoring); --repair"
        " re-indexes only what differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="fix what differs")
        parser.add_argument(
            "--grace",
            type=float,
            default=15,
            help="minutes a speech may wait in the index queue before that is an alarm (15)",
        )

    def handle(self, *args: Any, repair: bool, grace: float, **options: Any) -> None:
        try:
            audit = auditing.compare()
        except SearchUnavailable as error:
            raise CommandError(
                f'{error} Nothing was compared: start it again (README, "Scaling out"),'
                " then run check_index again.",
                returncode=1,
            ) from error
        self._report(audit)
        stuck = audit.oldest is not None and timezone.now() - audit.oldest > timedelta(
            minutes=grace
        )
        if stuck and not repair:
            raise CommandError(
                f"The index queue has held speeches for more than {grace:g} minutes: is"
                " anything draining it? Run `manage.py index_queue`.",
                returncode=1,
            )
        if audit.clean and not (stuck and repair):
            return
        if not repair:
            raise CommandError(
                "The search index differs from the database: run `manage.py check_index"
                " --repair` (or `manage.py index_queue` if speeches are queued)",
                returncode=1,
            )
        drained = auditing.repair(audit)
        self.stdout.write(f"Repaired: {drained.describe()}")
        after = auditing.compare()
        if not after.clean:
            self._report(after)
            raise CommandError("The index still differs after the repair (see above)")
        self.stdout.write("The search index now matches the database.")

    def _report(self, audit: Audit) -> None:
        self.stdout.write(
            f"Database: {plural(audit.stored, 'speech')}."
            f" Index: {plural(audit.indexed, 'document')}."
            f" Queue: {plural(audit.queued, 'speech')} waiting"
            + (f" (the oldest queued {naturaltime(audit.oldest)})." if audit.oldest else ".")
        )
        for name, ids in (
            ("Missing from the index", audit.missing),
            ("Gone from the database", audit.extra),
        ):
            if ids:
                shown = ", ".join(map(str, ids[:SHOWN])) + (" …" if len(ids) > SHOWN else "")
                self.stdout.write(f"{name}: {plural(len(ids), 'speech')} (ids {shown}).")
        for difference in audit.differences[:SHOWN]:
            self.stdout.write(
                f"Stale: {difference.group} {difference.value} has {difference.indexed} in the"
                f" index and {difference.stored} in the database."
            )
        if len(audit.differences) > SHOWN:
            self.stdout.write(f"… and {len(audit.differences) - SHOWN} more groups differ.")
        if audit.clean:
            self.stdout.write(
                "The search index matches the database"
                + (", apart from the speeches on their way." if audit.queued else ".")
            )

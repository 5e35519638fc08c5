"""python manage.py xapian_shards start|stop|status [--count 2] [--base-port 33401]
[--host 127.0.0.1] [--folder var/shards]: run Xapian shard servers on this machine."""

from pathlib import Path
from typing import Any

import xapian
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search.xapian.servers import ShardServer, ShardServerError, explain

FOLDER_PREFIX = "shard-"


class Command(BaseCommand):
    help = (
        "Start, stop or inspect Xapian shard servers (xapian-tcpsrv --writable, one database"
        " each) on this machine: shard N serves <folder>/shard-N/database on --base-port + N."
        " `start` prints the XAPIAN_SHARDS setting that uses them, and succeeds if they run"
        " already; `status` exits 1 if a shard does not answer; `stop` stops every shard"
        " server started in <folder>. README, 'Scaling out'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])
        parser.add_argument("--count", type=int, default=2, help="number of shards (default 2)")
        parser.add_argument(
            "--base-port", type=int, default=33401, help="port of shard 0 (default 33401)"
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"
        )
        parser.add_argument(
            "--folder",
            type=Path,
            default=settings.VAR_DIR / "shards",
            help="where the shards' folders are (default var/shards)",
        )
        parser.add_argument(
            "--idle-timeout",
            type=int,
            default=None,
            help="milliseconds before a server closes an idle connection (default tcpsrv's, 60000)",
        )

    def handle(self, *args: Any, action: str, count: int, **options: Any) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        shards = self.shards(count, **options)
        if action == "start":
            self.start(shards[:count])
        elif action == "status":
            self.status(shards)
        else:
            self.stop(shards)

    def shards(
        self,
        count: int,
        *,
        base_port: int,
        host: str,
        folder: Path,
        idle_timeout: int | None,
        **options: Any,
    ) -> list[ShardServer]:
        """Shards 0 to count - 1, then any other shard-N folder found (a larger --count
        started earlier), so that status and stop see every one."""
        numbers = set(range(count))
        if folder.is_dir():
            for path in folder.glob(f"{FOLDER_PREFIX}*"):
                suffix = path.name.removeprefix(FOLDER_PREFIX)
                if path.is_dir() and suffix.isdigit():
                    numbers.add(int(suffix))
        return [
            ShardServer(folder / f"{FOLDER_PREFIX}{n}", host, base_port + n, idle_timeout)
            for n in sorted(numbers)
        ]

    def start(self, shards: list[ShardServer]) -> None:
        started: list[ShardServer] = []
        for shard in shards:
            try:
                if shard.start():
                    started.append(shard)
                    state = "started"
                else:
                    state = "already running"
            except ShardServerError as error:
                # All or nothing: a half-started set would be a setting that fails later.
                for server in started:
                    server.stop()
                raise CommandError(str(error)) from None
            self.stdout.write(f"{self.describe(shard)}: {state} (pid {shard.pid()})")
        self.stdout.write(f"XAPIAN_SHARDS={','.join(shard.address for shard in shards)}")

    def status(self, shards: list[ShardServer]) -> None:
        silent = 0
        for shard in shards:
            pid = shard.pid()
            process = f"pid {pid}" if pid else "no server started from this folder"
            try:
                count = shard.document_count()
            except xapian.Error as error:
                silent += 1
                self.stdout.write(
                    f"{self.describe(shard)}: not answering ({explain(error)}; {process})"
                )
                continue
            noun = "document" if count == 1 else "documents"
            self.stdout.write(f"{self.describe(shard)}: answers, {count:,} {noun} ({process})")
        if silent:
            raise CommandError(f"{silent} of {len(shards)} shards not answering")

    def stop(self, shards: list[ShardServer]) -> None:
        for shard in shards:
            pid = shard.pid()
            try:
                stopped = shard.stop()
            except ShardServerError as error:
                raise CommandError(str(error)) from None
            state = f"stopped (pid {pid})" if stopped else "not running"
            self.stdout.write(f"{self.describe(shard)}: {state}")

    @staticmethod
    def describe(shard: ShardServer) -> str:
        return f"{shard.folder.name} {shard.address}"

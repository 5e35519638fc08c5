"""Real Xapian shard servers for tests: N `xapian-tcpsrv --writable` on free loopback ports,
each with its database in a temporary folder, removed at the end.

    with Shards(2) as shards:
        shards.addresses             # ["127.0.0.1:24041", "127.0.0.1:25505"], in shard order
        shards.down(1)               # shard 1 stops answering...
        shards.up(1)                 # ...and answers again, same port, same data

or, for a whole test class:

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shards = Shards(2).start()
        cls.addClassCleanup(cls.shards.stop)
"""

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from search.xapian.servers import ShardServer, ShardServerError, free_ports

HOST = "127.0.0.1"


class Shards:
    def __init__(self, count: int = 2, *, idle_timeout: int | None = None):
        self.count = count
        self.idle_timeout = idle_timeout
        self.folder: Path | None = None
        self.servers: list[ShardServer] = []

    @property
    def addresses(self) -> list[str]:
        """`host:port` of each shard, in shard order (as XAPIAN_SHARDS lists them)."""
        return [server.address for server in self.servers]

    @property
    def setting(self) -> str:
        """The XAPIAN_SHARDS value for these shards."""
        return ",".join(self.addresses)

    def start(self) -> "Shards":
        self.folder = Path(tempfile.mkdtemp(prefix="chamber-shards-"))
        try:
            for attempt in range(3):
                ports = free_ports(self.count, HOST)
                self.servers = [
                    ShardServer(self.folder / f"shard-{n}", HOST, port, self.idle_timeout)
                    for n, port in enumerate(ports)
                ]
                try:
                    for server in self.servers:
                        server.start()
                    break
                except ShardServerError:
                    # Another process took a port between the check and the bind: rare,
                    # and another set of ports will do.
                    self._stop_servers()
                    if attempt == 2:
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def down(self, shard: int) -> None:
        """Stop shard `shard`'s server; its folder and data stay."""
        self.servers[shard].stop()

    def up(self, shard: int) -> None:
        """Start shard `shard`'s server again on the same port and folder."""
        self.servers[shard].start()

    def stop(self) -> None:
        """Stop every server and remove the folder."""
        try:
            self._stop_servers()
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def _stop_servers(self) -> None:
        errors = []
        for server in self.servers:
            try:
                server.stop()
            except ShardServerError as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def __enter__(self) -> "Shards":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

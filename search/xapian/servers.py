"""Xapian shard servers as real processes: `xapian-tcpsrv --writable`, one database each,
started detached (they outlive the command that starts them), found again through a pidfile
and stopped with their whole process group (tcpsrv forks a child per connection).

A shard's folder holds everything about it:

    <folder>/database/          the Xapian database the server serves
    <folder>/xapian-tcpsrv.pid  the server's process id, while it runs
    <folder>/xapian-tcpsrv.log  what the server printed (connections, errors)

`manage.py xapian_shards` and the tests' fixture (tests/search/shards.py) use this module;
the engine (search.xapian) only needs the servers' `host:port` (XAPIAN_SHARDS).
"""

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import xapian

PROGRAM = "xapian-tcpsrv"
DATABASE = "database"
PIDFILE = "xapian-tcpsrv.pid"
LOGFILE = "xapian-tcpsrv.log"
# Ports below Linux's ephemeral range (32768-60999 by default), so that no outgoing
# connection takes one between the check that it is free and the server's bind.
PORT_RANGE = (20000, 32000)


class ShardServerError(RuntimeError):
    """A shard server could not be started or stopped; the message says why (the port, the
    server's last log lines) in words an operator can act on."""


@dataclass
class ShardServer:
    """One `xapian-tcpsrv --writable` serving `<folder>/database` on `host:port`.

    `idle_timeout` (ms) is how long the server keeps an idle connection open; unset, tcpsrv's
    default (60 s), after which the client's next call raises a NetworkError and must
    reconnect."""

    folder: Path
    host: str
    port: int
    idle_timeout: int | None = None
    program: str = PROGRAM
    # The server this object started: kept to reap it (no zombie) when it stops.
    _process: subprocess.Popen[bytes] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / DATABASE

    @property
    def pidfile(self) -> Path:
        return self.folder / PIDFILE

    @property
    def logfile(self) -> Path:
        return self.folder / LOGFILE

    def pid(self) -> int | None:
        """The process id in the pidfile, if there is one and it is this shard's server
        (a pidfile left by a crash may name a process that has since become another)."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._serves(pid) else None

    def alive(self) -> bool:
        """Whether this shard's server process is running (it may not answer yet)."""
        return self.pid() is not None

    def start(self, timeout: float = 10.0) -> bool:
        """Start the server unless it runs already; return whether it was started.

        Creates an empty database first if the folder has none (`--writable` tcpsrv 1.4.22
        would create it too, but a failure here, such as a folder it may not write, reads
        better than a server dead on "DatabaseCreateError" in its log), then waits until
        the server answers a Xapian connection. Raises ShardServerError if the port is
        taken, the server dies, or it does not answer within `timeout` seconds."""
        if self.alive():
            return False
        self.pidfile.unlink(missing_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self._check_port_free()
        command = [self.program, "--writable", "--interface", self.host, "--port", str(self.port)]
        if self.idle_timeout is not None:
            command += ["--idle-timeout", str(self.idle_timeout)]
        command.append(str(self.database))
        with self.logfile.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            try:
                # A session of its own: no terminal signal reaches it, and stop() can signal
                # the server and its per-connection children as one process group.
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.folder,
                    start_new_session=True,
                )
            except FileNotFoundError:
                raise ShardServerError(
                    f"{self.program} not found: install Debian's xapian-tools (make xapian)"
                ) from None
        self._write_pidfile(self._process.pid)
        self._wait_until_answering(self._process, timeout)
        return True

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the server (SIGTERM to its process group, SIGKILL after `timeout` seconds)
        and wait until none of its processes is left; return whether one was running."""
        pid = self.pid()
        self.pidfile.unlink(missing_ok=True)
        if pid is None:
            self._reap()
            return False
        _signal_group(pid, signal.SIGTERM)
        if not self._wait_gone(pid, timeout):
            _signal_group(pid, signal.SIGKILL)
            if not self._wait_gone(pid, timeout):
                raise ShardServerError(
                    f"shard server {self.address} (pid {pid}) survived SIGKILL for {timeout} s"
                )
        return True

    def document_count(self, timeout: float = 5.0) -> int:
        """How many documents the shard holds, asked of the server itself. Raises
        xapian.NetworkError (a xapian.Error) if it does not answer."""
        milliseconds = int(timeout * 1000)
        database = xapian.remote_open(self.host, self.port, milliseconds, milliseconds)
        try:
            return int(database.get_doccount())
        finally:
            database.close()

    def log_tail(self, lines: int = 5) -> str:
        """The server's last log lines, to say why it failed."""
        try:
            text = self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def _serves(self, pid: int) -> bool:
        """Whether `pid` is a live (not zombie) tcpsrv serving this shard's database."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        state = stat.rsplit(")", 1)[-1].split()[0]
        return (
            state not in ("Z", "X")
            and bool(arguments)
            and os.path.basename(arguments[0]) == os.path.basename(self.program).encode()
            and os.fsencode(self.database) in arguments
        )

    def _create_database(self) -> None:
        try:
            xapian.Database(str(self.database)).close()
            return
        except xapian.DatabaseOpeningError:
            pass
        try:
            xapian.WritableDatabase(str(self.database), xapian.DB_CREATE_OR_OPEN).close()
        except xapian.Error as error:
            raise ShardServerError(
                f"cannot create the shard database {self.database}: {explain(error)}"
            ) from None

    def _check_port_free(self) -> None:
        """Refuse a port another program listens on: connecting to it would look like our
        server answering while ours has died on "already in use"."""
        with socket.socket(_family(self.host), socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tcpsrv binds
            try:
                probe.bind((self.host, self.port))
                probe.listen(1)
            except OSError as error:
                raise ShardServerError(
                    f"cannot serve shard {self.folder.name} on {self.address}: {error.strerror}"
                    " (another server has this port? `manage.py xapian_shards status`,"
                    f" or `ss -ltnp 'sport = :{self.port}'` says which)"
                ) from None

    def _write_pidfile(self, pid: int) -> None:
        partial = self.pidfile.with_suffix(".pid.partial")
        partial.write_text(f"{pid}\n")
        partial.replace(self.pidfile)

    def _wait_until_answering(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None:
                self.pidfile.unlink(missing_ok=True)
                self._process = None
                raise ShardServerError(
                    f"shard server {self.address} exited with status {code} as it started;"
                    f" its log ({self.logfile}) ends:\n{self.log_tail()}"
                )
            try:
                self.document_count(timeout=1.0)
                return
            except xapian.Error as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise ShardServerError(
                        f"shard server {self.address} did not answer within {timeout} s"
                        f" ({explain(error)}); its log ({self.logfile}) ends:\n"
                        f"{self.log_tail()}"
                    ) from None
            time.sleep(0.05)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        """Wait for the server and every process of its group to end; reap our own child."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _group_members(pid):
                self._reap()
                return True
            time.sleep(0.05)
        return False

    def _reap(self) -> None:
        """Collect the exit status of the server this object started, once it has ended."""
        if self._process is not None and self._process.poll() is not None:
            self._process = None


def explain(error: xapian.Error) -> str:
    """A Xapian error in a few words: "Couldn't connect: Connection refused"."""
    reason = error.get_error_string()
    if isinstance(reason, bytes):  # the bindings give bytes here
        reason = reason.decode(errors="replace")
    return f"{error.get_msg()}: {reason}" if reason else str(error.get_msg())


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _signal_group(pid: int, signum: signal.Signals) -> None:
    """Signal the server's process group (its connections' children with it); the server
    leads its own group, started in a session of its own."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def free_ports(count: int, host: str = "127.0.0.1", *, consecutive: bool = False) -> list[int]:
    """`count` ports on `host` that nothing listens on now (`consecutive`: a run of them,
    for `xapian_shards --base-port`), from PORT_RANGE. Each is checked by binding it, so
    another process could still take one before a server does: use them at once."""
    chooser = random.Random()
    for _ in range(200):
        if consecutive:
            first = chooser.randrange(PORT_RANGE[0], PORT_RANGE[1] - count)
            ports = list(range(first, first + count))
        else:
            ports = chooser.sample(range(*PORT_RANGE), count)
        if all(_bindable(host, port) for port in ports):
            return ports
    raise ShardServerError(f"found no {count} free ports on {host} in {PORT_RANGE}")


def _bindable(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True

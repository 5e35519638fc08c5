"""The Xapian shard servers as real processes: search.xapian.servers, the tests' fixture
(tests/search/shards.py) and `manage.py xapian_shards`, on free loopback ports and
temporary folders. They run whatever SEARCH_ENGINE is: they need only xapian-tcpsrv."""

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import xapian
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from search.xapian.servers import ShardServer, ShardServerError, _group_members, free_ports
from tests.search.shards import HOST, Shards


def add_document(address: str, term: str) -> None:
    """Write one document through the shard's server, as the engine writes."""
    host, port = address.rsplit(":", 1)
    database = xapian.remote_open_writable(host, int(port))
    document = xapian.Document()
    document.set_data(term)
    document.add_term(term)
    database.add_document(document)
    database.commit()
    database.close()


def term_count(address: str, term: str) -> int:
    host, port = address.rsplit(":", 1)
    database = xapian.remote_open(host, int(port))
    try:
        return int(database.get_termfreq(term))
    finally:
        database.close()


def processes_serving(database: Path) -> list[int]:
    """Live processes whose command line names this database (a server or its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if os.fsencode(database) in arguments and state != "Z":
            found.append(int(entry.name))
    return found


class TemporaryFolder(SimpleTestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="chamber-shard-test-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    def server(self, name: str = "shard-0", port: int | None = None) -> ShardServer:
        server = ShardServer(self.folder / name, HOST, port or free_ports(1, HOST)[0])
        self.addCleanup(server.stop)
        return server


class ShardServerTests(TemporaryFolder):
    def test_start_serves_a_new_empty_database_and_records_its_pid(self) -> None:
        server = self.server()
        self.assertTrue(server.start())
        pid = int(server.pidfile.read_text())
        self.assertEqual(server.pid(), pid)
        self.assertTrue(server.alive())
        self.assertTrue((server.database / "iamglass").exists())
        self.assertEqual(server.document_count(), 0)
        # A reader works on a --writable server, beside a writer.
        add_document(server.address, "housing")
        self.assertEqual(term_count(server.address, "housing"), 1)
        self.assertIn("Listening", server.logfile.read_text())

    def test_start_when_running_says_so_and_keeps_the_server(self) -> None:
        server = self.server()
        server.start()
        pid = server.pid()
        again = ShardServer(server.folder, server.host, server.port)  # another process's view
        self.assertFalse(again.start())
        self.assertEqual(again.pid(), pid)
        self.assertEqual(again.document_count(), 0)

    def test_stop_leaves_no_process_even_with_clients_connected(self) -> None:
        server = self.server()
        server.start()
        pid = server.pid()
        assert pid is not None
        host, port = server.address.rsplit(":", 1)
        writer = xapian.remote_open_writable(host, int(port))
        reader = xapian.remote_open(host, int(port))
        self.assertGreaterEqual(len(processes_serving(server.database)), 3)  # 2 connections

        self.assertTrue(server.stop())

        self.assertEqual(processes_serving(server.database), [])
        self.assertEqual(_group_members(pid), [])
        self.assertFalse(server.pidfile.exists())
        self.assertFalse(server.alive())
        with self.assertRaises(xapian.NetworkError):
            writer.add_document(xapian.Document())
            writer.commit()
        with self.assertRaises(xapian.NetworkError):
            reader.reopen()
        self.assertFalse(server.stop())  # nothing left to stop

    def test_a_taken_port_is_a_clear_error_and_starts_nothing(self) -> None:
        with socket.socket() as other:
            other.bind((HOST, 0))
            other.listen(1)
            port = other.getsockname()[1]
            server = self.server(port=port)
            with self.assertRaises(ShardServerError) as caught:
                server.start()
        message = str(caught.exception)
        self.assertIn(f"{HOST}:{port}", message)
        self.assertIn("Address already in use", message)
        self.assertFalse(server.pidfile.exists())
        self.assertEqual(processes_serving(server.database), [])

    def test_a_port_taken_by_another_shard_is_refused(self) -> None:
        first = self.server("shard-0")
        first.start()
        second = self.server("shard-1", port=first.port)
        with self.assertRaises(ShardServerError) as caught:
            second.start()
        self.assertIn(first.address, str(caught.exception))
        self.assertTrue(first.alive())
        self.assertEqual(first.document_count(), 0)

    def test_a_server_dying_as_it_starts_is_reported_with_its_log(self) -> None:
        # A stand-in for tcpsrv failing after the port check: it prints what tcpsrv prints
        # when it loses the race for the port, and exits with tcpsrv's status.
        program = self.folder / "xapian-tcpsrv"
        program.write_text('#!/bin/sh\necho "$3:$5 already in use"\nexit 69\n')
        program.chmod(0o755)
        server = ShardServer(self.folder / "shard-0", HOST, free_ports(1)[0], program=str(program))
        with self.assertRaises(ShardServerError) as caught:
            server.start()
        message = str(caught.exception)
        self.assertIn("exited with status 69", message)
        self.assertIn(f"{server.address} already in use", message)
        self.assertFalse(server.pidfile.exists())

    def test_a_stale_pidfile_is_not_taken_for_the_server(self) -> None:
        server = self.server()
        server.folder.mkdir(parents=True)
        server.pidfile.write_text(f"{os.getpid()}\n")  # a live process, but not tcpsrv
        self.assertIsNone(server.pid())
        self.assertFalse(server.stop())
        self.assertTrue(server.start())
        self.assertNotEqual(server.pid(), os.getpid())
        self.assertEqual(server.document_count(), 0)

    def test_free_ports_are_bindable_and_consecutive_when_asked(self) -> None:
        ports = free_ports(3, HOST, consecutive=True)
        self.assertEqual(ports, list(range(ports[0], ports[0] + 3)))
        for port in ports + free_ports(2, HOST):
            with socket.socket() as probe:
                probe.bind((HOST, port))


class ShardsFixtureTests(SimpleTestCase):
    def test_down_and_up_keep_port_and_data(self) -> None:
        with Shards(2) as shards:
            self.assertEqual(len(set(shards.addresses)), 2)
            add_document(shards.addresses[1], "ceasefire")
            before = shards.addresses

            shards.down(1)
            with self.assertRaises(xapian.NetworkError):
                term_count(shards.addresses[1], "ceasefire")
            self.assertEqual(term_count(shards.addresses[0], "ceasefire"), 0)  # still answers

            shards.up(1)
            self.assertEqual(shards.addresses, before)
            self.assertEqual(term_count(shards.addresses[1], "ceasefire"), 1)
            self.assertEqual(shards.setting, ",".join(before))
            databases = [server.database for server in shards.servers]
            folder = shards.folder
        assert folder is not None
        self.assertFalse(folder.exists())
        for database in databases:
            self.assertEqual(processes_serving(database), [])


class XapianShardsCommandTests(TemporaryFolder):
    def command(self, *arguments: str) -> str:
        out = io.StringIO()
        call_command("xapian_shards", *arguments, *self.options, stdout=out)
        return out.getvalue()

    def setUp(self) -> None:
        super().setUp()
        self.base = free_ports(2, HOST, consecutive=True)[0]
        self.options = ["--base-port", str(self.base), "--folder", str(self.folder)]
        self.addresses = [f"{HOST}:{self.base}", f"{HOST}:{self.base + 1}"]
        self.addCleanup(self.command, "stop")

    def test_start_status_stop_as_separate_processes(self) -> None:
        # Started by a process that then exits: the servers outlive it.
        started = subprocess.run(
            [sys.executable, "manage.py", "xapian_shards", "start", *self.options],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.assertIn(f"XAPIAN_SHARDS={','.join(self.addresses)}", started.stdout)
        self.assertIn(f"shard-0 {self.addresses[0]}: started (pid ", started.stdout)
        add_document(self.addresses[1], "energy")

        status = self.command("status")
        self.assertIn(f"shard-0 {self.addresses[0]}: answers, 0 documents (pid ", status)
        self.assertIn(f"shard-1 {self.addresses[1]}: answers, 1 document (pid ", status)

        again = self.command("start")
        self.assertIn(f"shard-0 {self.addresses[0]}: already running", again)
        self.assertIn(f"shard-1 {self.addresses[1]}: already running", again)
        self.assertIn(f"XAPIAN_SHARDS={','.join(self.addresses)}", again)

        stopped = self.command("stop")
        self.assertIn(f"shard-0 {self.addresses[0]}: stopped (pid ", stopped)
        self.assertIn(f"shard-1 {self.addresses[1]}: stopped (pid ", stopped)
        for shard in ("shard-0", "shard-1"):
            self.assertEqual(processes_serving(self.folder / shard / "database"), [])
        with self.assertRaisesMessage(CommandError, "2 of 2 shards not answering"):
            self.command("status")

        # Started again, the data is where it was.
        self.command("start")
        self.assertEqual(term_count(self.addresses[1], "energy"), 1)

    def test_status_and_stop_see_shards_beyond_count(self) -> None:
        self.command("start", "--count", "2")
        status = self.command("status", "--count", "1")
        self.assertIn(f"shard-1 {self.addresses[1]}: answers", status)
        stopped = self.command("stop", "--count", "1")
        self.assertIn(f"shard-1 {self.addresses[1]}: stopped", stopped)

    def test_a_taken_port_fails_the_start_and_leaves_nothing_running(self) -> None:
        with socket.socket() as other:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            other.bind((HOST, self.base + 1))
            other.listen(1)
            with self.assertRaisesMessage(CommandError, f"{self.addresses[1]}: Address already"):
                self.command("start")
        self.assertEqual(processes_serving(self.folder / "shard-0" / "database"), [])
        self.assertIn("not running", self.command("stop"))

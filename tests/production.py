"""A real production server for the tests: `make serve`'s steps (migrate, collectstatic,
gunicorn with config/gunicorn.py, DEBUG off, a real SECRET_KEY) on a free port, in a
temporary folder of its own (an SQLite database, the Whoosh index, the static files, the
uploads) with the seed debates loaded and indexed. Always stopped, and its folder removed.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProductionServer:
    def __init__(self, **env: str):
        self.extra_env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ProductionServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="chamber-production-"))
        self.port = free_port()
        self.log_path = self.folder / "server.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{self.folder / 'chamber.sqlite3'}",
            "WHOOSH_PATH": str(self.folder / "whoosh"),
            "STATIC_ROOT": str(self.folder / "static"),
            "CHAMBER_UPLOAD_DIR": str(self.folder / "uploads"),
            "HOST": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            **self.extra_env,
        }
        try:
            for command in (
                ["migrate", "--noinput"],
                ["collectstatic", "--noinput"],
                ["load_transcripts", "fixtures/seeds"],
            ):
                self.manage(*command)
            self.log = self.log_path.open("wb")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers are stopped too
            )
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def manage(self, *arguments: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr}")
        return result.stdout

    def wait_until_healthy(self, timeout: float = 60) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}:\n{self.logs()}")
            try:
                if (
                    self.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})[0]
                    == 200
                ):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {timeout} s:\n{self.logs()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            found = {name.lower(): value for name, value in response.getheaders()}
            return response.status, found, response.read()
        finally:
            connection.close()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_entries(self) -> list[dict]:
        """The server's JSON log lines (gunicorn's and Chamber's), parsed."""
        entries = []
        for line in self.logs().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries

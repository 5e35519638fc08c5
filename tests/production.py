"""A real production server: `make serve`'s steps (migrate, collectstatic, gunicorn with
config/gunicorn.py, DEBUG off, a real SECRET_KEY) on a free port, in a temporary folder of
its own (an SQLite database, the Whoosh index, the static files, the uploads) with the seed
debates loaded and indexed. Always stopped, and its folder removed. The tests use it, and
bench/load.py on a corpus folder of its own (`folder=`, `seeds=False`). No Django needed.
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

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProductionServer:
    def __init__(self, folder: Path | None = None, port: int = 0, seeds: bool = True, **env: str):
        """A server for `folder` (kept; else a temporary folder, removed by `stop`) on `port`
        (else a free one), with the seed debates loaded unless not `seeds`; `env` overrides
        the environment below."""
        self.given_folder = folder
        self.folder = folder or Path(tempfile.mkdtemp(prefix="chamber-production-"))
        self.port = port or free_port()
        self.seeds = seeds
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self.log_path = self.folder / "server.log"
        self.env = {
            **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"sqlite:///{self.folder / 'chamber.sqlite3'}",
            "SEARCH_PATH": str(self.folder / "index"),
            "STATIC_ROOT": str(self.folder / "static"),
            "CHAMBER_UPLOAD_DIR": str(self.folder / "uploads"),
            "HOST": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            **env,
        }

    def __enter__(self) -> "ProductionServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self.manage("migrate", "--noinput")
            self.manage("collectstatic", "--noinput")
            if self.seeds:
                self.manage("load_transcripts", "fixtures/seeds")
            self.log = self.log_path.open("ab")
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

    def wait_until_healthy(self, timeout: float = 120) -> None:
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
        if not self.given_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of one request."""
        return request(self.port, method, path, body, headers)

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_entries(self) -> list[dict]:
        """The server's JSON log lines (gunicorn's and Chamber's), parsed."""
        entries = []
        for line in self.logs().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one request to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        found: dict[str, str] = {}
        for name, value in response.getheaders():  # repeated headers (Set-Cookie): one a line
            key = name.lower()
            found[key] = f"{found[key]}\n{value}" if key in found else value
        return response.status, found, response.read()
    finally:
        connection.close()

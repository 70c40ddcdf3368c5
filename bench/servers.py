"""Starting and stopping the two registries under test, each on a free loopback port.

Both store blobs on the local filesystem under the run's temporary directory and write their
logs (access log included: each project's default) to files there, not to a pipe that could fill.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from client import Target

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Inherited variables that would silently change what is measured; the run sets its own.
_SCRUBBED_PREFIXES = ("HARBORPY_", "GUNICORN_", "CELERY_")
_SCRUBBED = {"DATABASE_URL", "REDIS_URL", "PORT", "DJANGO_SETTINGS_MODULE"}


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the kernel picks it at random)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ServerError(RuntimeError):
    pass


class Server:
    """A registry process (and its children) that this run started."""

    name = ""
    label = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def target(self) -> Target:
        return Target(self.name, HOST, self.port)

    def _spawn(self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        with open(self.log_path, "ab") as log:
            # Own session, so stop() can signal exactly this server's process group.
            self.proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll GET /v2/ until the server answers (200 or 401)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerError(f"{self.label} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/v2/")
                status = conn.getresponse().status
                conn.close()
                if status in (200, 401):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerError(
            f"{self.label} did not answer on port {self.port} within {timeout:.0f}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 20 s; safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def last_error(self, context: int = 6) -> str:
        """The last traceback in the log (whole) and the log's last lines: what explains a failure."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        starts = [i for i, line in enumerate(text) if line.startswith("Traceback (most recent call last)")]
        parts = []
        if starts:
            start = max(0, starts[-1] - 1)  # the line before names the failing request
            end = starts[-1] + 1
            while end < len(text) and (text[end].startswith((" ", "\t")) or not text[end].strip()):
                end += 1
            parts.append("\n".join(text[start : end + 1]))
        parts.append("--- last lines ---\n" + "\n".join(text[-context:]))
        return "\n".join(parts)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text[-lines:])


class CncfRegistry(Server):
    """distribution (Debian's docker-registry): filesystem storage, no auth, delete on, log level warn."""

    name = "cncf"
    label = "CNCF registry"

    def start(self) -> None:
        self.port = free_port()
        root = self.workdir / "cncf-storage"
        root.mkdir()
        config = self.workdir / "cncf-config.yml"
        # The blob descriptor cache is in memory, as in the configuration Debian and upstream ship.
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: warn\n"
            "storage:\n"
            f"  filesystem:\n    rootdirectory: {root}\n"
            "  delete:\n    enabled: true\n"
            "  cache:\n    blobdescriptor: inmemory\n"
            "http:\n"
            f"  addr: {HOST}:{self.port}\n"
            f"  secret: {secrets.token_hex(16)}\n"
        )
        self._spawn(["docker-registry", "serve", str(config)])
        self.wait_ready()

    @staticmethod
    def version() -> str:
        out = subprocess.run(["docker-registry", "--version"], capture_output=True, text=True, check=False)
        return (out.stdout or out.stderr).strip()


class Harborpy(Server):
    """harborpy: fresh data dir, migrate, bootstrap, gunicorn with the repository's configuration."""

    name = "harborpy"
    label = "harborpy"

    def __init__(
        self, workdir: Path, *, database_url: str = "", extra_env: dict[str, str] | None = None
    ) -> None:
        super().__init__(workdir)
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.password = secrets.token_urlsafe(16)
        self.env: dict[str, str] = {}

    def _environment(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
        }
        env.update(
            {
                "HARBORPY_DATA_DIR": str(self.workdir / "harborpy-data"),
                "HARBORPY_ADMIN_PASSWORD": self.password,
                # As for the CNCF registry: warnings and errors, plus the default access log.
                "HARBORPY_LOG_LEVEL": "WARNING",
                "PORT": str(self.port),
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def _manage(self, *args: str) -> None:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        with open(self.log_path, "a") as log:
            log.write(out.stdout + out.stderr)
        if out.returncode:
            raise ServerError(
                f"manage.py {' '.join(args)} failed ({out.returncode}):\n{out.stdout}{out.stderr}"
            )

    def start(self) -> None:
        self.port = free_port()
        self.env = self._environment()
        self._manage("migrate", "--noinput")
        self._manage("bootstrap")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self._spawn(
            [str(gunicorn), "-c", "harborpy/gunicorn.conf.py", "harborpy.wsgi"], env=self.env, cwd=REPO_ROOT
        )
        self.wait_ready()

    def token(self, repositories: list[str], actions: str = "pull,push") -> str:
        """A bearer token for the repositories, from /service/token with the admin's Basic credentials."""
        scopes = "&".join(f"scope={quote(f'repository:{r}:{actions}')}" for r in repositories)
        basic = base64.b64encode(f"admin:{self.password}".encode()).decode()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(
                "GET",
                f"/service/token?service=harbor-registry&{scopes}",
                headers={"Authorization": f"Basic {basic}"},
            )
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise ServerError(f"GET /service/token -> {response.status}: {body[:500]!r}")
        return json.loads(body)["token"]


class FreshPostgres:
    """A new, empty PostgreSQL database for one run, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"harborpy_bench_{secrets.token_hex(4)}"
        self.created = False

    def _connect(self):
        import psycopg2  # harborpy's own dependency; only needed with --database-url

        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        return conn

    def create(self) -> str:
        """Create the database; returns the URL harborpy should use."""
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            conn.close()
        self.created = True
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", parts.query, parts.fragment))

    def drop(self) -> None:
        if not self.created:
            return
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            conn.close()
        self.created = False

    def version(self) -> str:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW server_version")
                return f"PostgreSQL {cur.fetchone()[0]}"
        finally:
            conn.close()

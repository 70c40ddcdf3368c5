"""A real harborpy for end-to-end tests: a fresh data dir and database, migrated, bootstrapped and
served by gunicorn on a free loopback port, exactly as `make run` does it."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import requests

from tests.support.commands import LogFollower, terminate_with_parent

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_USERNAME = "admin"
# Seconds allowed for gunicorn to answer its first /v2/ request; workers import Django first.
STARTUP_TIMEOUT = 60
# Seconds a stopping gunicorn gets before it is killed; e2e clients keep connections alive.
SHUTDOWN_TIMEOUT = 15
# Tries with a new port when another process takes the free port between our probe and gunicorn.
BIND_ATTEMPTS = 3


class LiveServerError(RuntimeError):
    """The live server could not be prepared or started."""


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer(LogFollower):
    """A running gunicorn serving harborpy; `host` is what registry clients put in image names."""

    port: int
    env: dict[str, str] = field(repr=False)
    data_dir: Path
    log_path: Path
    database: str  # "sqlite" or "postgresql"
    admin_password: str
    admin_username: str = ADMIN_USERNAME
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def admin_credentials(self) -> tuple[str, str]:
        return self.admin_username, self.admin_password

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `manage.py` against the server's data dir and database; raises LiveServerError on failure."""
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise LiveServerError(
                f"manage.py {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> None:
        """Start gunicorn and wait until `/v2/` answers; retries on a port taken meanwhile."""
        for attempt in range(BIND_ATTEMPTS):
            if attempt:
                self.port = free_port()
            self.env["PORT"] = str(self.port)
            self.env["GUNICORN_BIND"] = self.host
            with self.log_path.open("ab") as log:
                log.write(f"--- starting gunicorn on {self.host} ---\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "harborpy/gunicorn.conf.py", "harborpy.wsgi"],
                    cwd=REPO_ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # Its own process group, so stopping it also ends workers a crashed master left.
                    start_new_session=True,
                    preexec_fn=terminate_with_parent,
                )
            if self._wait_until_ready():
                return
            if "in use" not in self.log_text()[-2000:]:
                break
        self.stop()
        raise LiveServerError(f"gunicorn did not start on {self.host}; its log:\n{self.log_text()[-6000:]}")

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                response = requests.get(f"{self.url}/v2/", timeout=2)
            except requests.RequestException:
                time.sleep(0.1)
                continue
            return response.status_code == 401 and "Docker-Distribution-API-Version" in response.headers
        return False

    def stop(self) -> None:
        """Stop gunicorn gracefully, then kill its process group if it does not go in time."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=SHUTDOWN_TIMEOUT)


def _server_url(database_url: str, name: str) -> str:
    parsed = dj_database_url.parse(database_url)
    user = parsed.get("USER") or ""
    password = parsed.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = parsed.get("HOST") or "localhost"
    port = parsed.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{name}"


def _postgres_admin_connection(database_url: str) -> Any:
    """An autocommit psycopg2 connection to the server's `postgres` database."""
    import psycopg2

    parsed = dj_database_url.parse(database_url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parsed.get("USER") or None,
        password=parsed.get("PASSWORD") or None,
        host=parsed.get("HOST") or None,
        port=parsed.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def postgres_database(database_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server of `database_url`, dropped at the end; yields its URL."""
    base = str(dj_database_url.parse(database_url).get("NAME") or "harborpy")
    name = f"{base}_live_{secrets.token_hex(4)}"
    connection = _postgres_admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield _server_url(database_url, name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@contextlib.contextmanager
def serve(
    *, base_dir: Path, database_url: str | None, environment: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """A migrated, bootstrapped harborpy under gunicorn, stopped (and its database dropped) at the end.

    Without `database_url` the server uses SQLite in its data dir, the embedded default.
    `environment` adds settings, e.g. the HARBORPY_LDAP_* of a test directory.
    """
    with contextlib.ExitStack() as stack:
        server_database_url = stack.enter_context(postgres_database(database_url)) if database_url else None
        data_dir = base_dir / "data"
        data_dir.mkdir(parents=True)
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            {
                "HARBORPY_DATA_DIR": str(data_dir),
                "HARBORPY_ADMIN_PASSWORD": "E2e-" + secrets.token_urlsafe(12),
                "DJANGO_SETTINGS_MODULE": "harborpy.settings",
                "GUNICORN_WORKERS": "2",
                "GUNICORN_THREADS": "8",
                "GUNICORN_GRACEFUL_TIMEOUT": "5",
                # Every request in the server log: tests read statuses there, failures show them.
                "GUNICORN_ACCESSLOG": "-",
                "PYTHONUNBUFFERED": "1",
                # gunicorn >= 25 puts a control socket there; the default, ~/.gunicorn, is shared.
                "XDG_RUNTIME_DIR": str(base_dir),
            }
        )
        if server_database_url:
            env["DATABASE_URL"] = server_database_url
        env.update(environment or {})
        server = LiveServer(
            port=free_port(),
            env=env,
            data_dir=data_dir,
            log_path=base_dir / "gunicorn.log",
            database="postgresql" if server_database_url else "sqlite",
            admin_password=env["HARBORPY_ADMIN_PASSWORD"],
        )
        server.manage("migrate", "--noinput", timeout=300)
        server.manage("bootstrap")
        stack.callback(server.stop)
        server.start()
        yield server

"""A private dockerd for end-to-end tests: its own socket, data and exec roots, no networking of its own.

It never touches the machine's docker (if any): the socket, the pid file and every directory are
the test's, `--config-file` points at an empty file, and with `--bridge=none --iptables=false`
it creates no interface and no firewall rule. The registry it talks to is on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.commands import LogFollower, terminate_with_parent

# Seconds for dockerd (and the containerd it starts) to answer the API.
STARTUP_TIMEOUT = 90
SHUTDOWN_TIMEOUT = 30
# Storage drivers tried in order: the default (overlay2) and vfs, which works on any filesystem.
STORAGE_DRIVERS = (None, "vfs")


class DockerDaemonError(RuntimeError):
    """dockerd could not be started."""


@dataclass
class DockerDaemon(LogFollower):
    dockerd: str
    docker: str
    base_dir: Path
    insecure_registries: list[str]
    socket_path: Path
    log_path: Path
    storage_driver: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """Environment for the docker CLI: this daemon and a private client config dir."""
        return {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.socket_path}",
            "DOCKER_CONFIG": str(self.base_dir / "client-config"),
            "DOCKER_CLI_EXPERIMENTAL": "enabled",
        }

    def _command(self, storage_driver: str | None) -> list[str]:
        config = self.base_dir / "daemon.json"
        config.write_text(json.dumps({}))
        command = [
            self.dockerd,
            "--config-file",
            str(config),
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "-H",
            f"unix://{self.socket_path}",
            "--data-root",
            str(self.base_dir / "data"),
            "--exec-root",
            str(self.base_dir / "exec"),
            "--pidfile",
            str(self.base_dir / "dockerd.pid"),
        ]
        for registry in self.insecure_registries:
            command += ["--insecure-registry", registry]
        if storage_driver:
            command += ["--storage-driver", storage_driver]
        return command

    def start(self) -> None:
        (self.base_dir / "client-config").mkdir(parents=True, exist_ok=True)
        for storage_driver in STORAGE_DRIVERS:
            with self.log_path.open("ab") as log:
                log.write(f"--- dockerd, storage driver {storage_driver or 'default'} ---\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    self._command(storage_driver),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=terminate_with_parent,
                )
            if self._wait_until_ready():
                self.storage_driver = storage_driver
                return
            self.stop()
        log = self.log_path.read_text(errors="replace")
        raise DockerDaemonError(f"dockerd did not start; its log:\n{log[-6000:]}")

    def _wait_until_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self.socket_path.exists():
                result = subprocess.run(
                    [self.docker, "version", "--format", "{{.Server.Version}}"],
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=30,
                    stdin=subprocess.DEVNULL,
                )
                if result.returncode == 0 and result.stdout.strip():
                    return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            # dockerd stops the containerd it started before it exits.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=SHUTDOWN_TIMEOUT)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()


@contextlib.contextmanager
def docker_daemon(
    *, dockerd: str, docker: str, base_dir: Path, insecure_registries: list[str]
) -> Iterator[DockerDaemon]:
    """Start a private dockerd (socket under /run, state under `base_dir`) and stop it at the end."""
    daemon = DockerDaemon(
        dockerd=dockerd,
        docker=docker,
        base_dir=base_dir,
        insecure_registries=insecure_registries,
        socket_path=Path(f"/run/harborpy-e2e-{os.getpid()}.sock"),
        log_path=base_dir / "dockerd.log",
    )
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()

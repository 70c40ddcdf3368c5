"""Running registry clients (skopeo, podman, docker...) from tests, and deciding when one is missing.

A client that is not installed skips its tests, with the reason, on a developer's machine. CI sets
``HARBORPY_REQUIRE_CLIENTS=1``: there every such skip is a failure, so a broken install cannot hide
behind a green run.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

# Lines of a failed command's output shown in the failure message (each stream).
OUTPUT_TAIL_LINES = 60


# prctl(2) option: the signal a process gets when the thread that started it exits.
PR_SET_PDEATHSIG = 1


def terminate_with_parent() -> None:
    """A `preexec_fn` for servers the tests start: SIGTERM them if pytest itself is killed.

    Fixtures stop their servers on a normal exit; this covers a run that is killed outright
    (a CI time limit, kill -9), which would otherwise leave gunicorn or dockerd running.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def clients_required() -> bool:
    return os.environ.get("HARBORPY_REQUIRE_CLIENTS", "").strip().lower() in {"1", "true", "yes", "on"}


def client_unavailable(reason: str) -> NoReturn:
    """Skip the test for `reason`, or fail it when HARBORPY_REQUIRE_CLIENTS is set."""
    if clients_required():
        pytest.fail(f"{reason} (HARBORPY_REQUIRE_CLIENTS=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def client_binary(name: str, *, package: str = "") -> str:
    """The path of the client `name`, or skip (fail when clients are required) if it is not installed."""
    path = shutil.which(name)
    if path is None:
        client_unavailable(f"{name} is not installed (apt-get install {package or name}; .ci/run does it)")
    return path


def _tail(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > OUTPUT_TAIL_LINES:
        lines = [f"... {len(lines) - OUTPUT_TAIL_LINES} lines before ...", *lines[-OUTPUT_TAIL_LINES:]]
    return "\n".join(lines) or "(nothing)"


def _as_text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def run(
    args: Sequence[str],
    *,
    timeout: float = 180,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
    cwd: str | os.PathLike | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command and return its result; with `check`, a non-zero exit or a timeout fails the test.

    The failure message holds the command line, the exit status and the tail of both streams, which
    is what one needs to tell a client bug from a registry bug.
    """
    command = shlex.join(str(a) for a in args)
    try:
        result = subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"timed out after {timeout:.0f}s: {command}\n"
            f"--- stdout ---\n{_tail(_as_text(exc.stdout))}\n--- stderr ---\n{_tail(_as_text(exc.stderr))}",
            pytrace=False,
        )
    if check and result.returncode != 0:
        pytest.fail(
            f"exit status {result.returncode}: {command}\n"
            f"--- stdout ---\n{_tail(result.stdout)}\n--- stderr ---\n{_tail(result.stderr)}",
            pytrace=False,
        )
    return result


@dataclass(frozen=True)
class Client:
    """A client command line with its fixed leading options and environment, e.g. an isolated podman."""

    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def __call__(
        self, *args: str, timeout: float = 180, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run([*self.args, *args], timeout=timeout, env=self.env, input=input, check=check)


class LogFollower:
    """For a server started by the tests that writes its log to `log_path`: read what it added."""

    log_path: Path

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")

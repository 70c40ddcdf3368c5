"""End-to-end fixtures: a live gunicorn serving harborpy, and real registry clients isolated in tmp dirs.

Everything here binds loopback only and is stopped at the end of the session. A client that is
not installed (or cannot run here, e.g. dockerd without root) skips its tests with the reason;
with HARBORPY_REQUIRE_CLIENTS=1, as in CI, that is a failure instead (tests/support/commands.py).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.commands import Client, client_binary, client_unavailable
from tests.support.docker_daemon import DockerDaemon, DockerDaemonError, docker_daemon
from tests.support.live_server import LiveServer, serve
from tests.support.registry_http import RegistryHttp

# Lines of a server's log attached to a failed test's report.
FAILURE_LOG_LINES = 200
_log_marks = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def live_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """harborpy under gunicorn on the suite's database: PostgreSQL when DATABASE_URL is set, else SQLite."""
    with serve(
        base_dir=tmp_path_factory.mktemp("live-server"), database_url=os.environ.get("DATABASE_URL") or None
    ) as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_live_registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server on SQLite (the embedded default) even when the suite runs on PostgreSQL."""
    if not os.environ.get("DATABASE_URL"):
        yield request.getfixturevalue("live_registry")
        return
    base_dir = tmp_path_factory.mktemp("live-server-sqlite")
    with serve(base_dir=base_dir, database_url=None) as server:
        yield server


@pytest.fixture(scope="session")
def registry_http(live_registry: LiveServer) -> RegistryHttp:
    return RegistryHttp(live_registry.url, live_registry.admin_credentials)


@pytest.fixture
def repository(request: pytest.FixtureRequest) -> str:
    """A repository name in the public `library` project that no other test uses."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))
    stem = stem.strip("-")[:40].strip("-")
    return f"library/{stem}-{secrets.token_hex(3)}"


@pytest.fixture(autouse=True)
def _mark_server_logs(request: pytest.FixtureRequest) -> None:
    """Remember where the live servers' and dockerd's logs stand, to attach what a failing test caused."""
    marks = []
    for name in ("live_registry", "sqlite_live_registry", "ldap_registry", "dockerd"):
        if name in request.fixturenames:
            source = request.getfixturevalue(name)
            if all(source is not marked for _name, marked, _offset in marks):  # on SQLite the servers are one
                marks.append((name, source, source.log_size()))
    request.node.stash[_log_marks] = marks


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in {"call", "setup"}:
        for name, source, offset in item.stash.get(_log_marks, []):
            lines = source.log_since(offset).splitlines()[-FAILURE_LOG_LINES:]
            report.sections.append((f"{name} log during this test", "\n".join(lines) or "(empty)"))


# --- containers/image clients: skopeo, podman, buildah -------------------------------------------


@dataclass(frozen=True)
class ContainersConfig:
    env: dict[str, str]
    policy: Path


@pytest.fixture(scope="session")
def containers_config(
    live_registry: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> ContainersConfig:
    """Keeps containers/image tools away from the machine's configuration and credentials.

    A policy that accepts unsigned images, a registries.conf marking the live server insecure (it
    speaks plain HTTP on loopback), and a private auth file for `podman login`.
    """
    base = tmp_path_factory.mktemp("containers")
    policy = base / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    registries = base / "registries.conf"
    registries.write_text(
        "unqualified-search-registries = []\n\n"
        f'[[registry]]\nlocation = "{live_registry.host}"\ninsecure = true\n'
    )
    (base / "tmp").mkdir()
    # buildah refuses to start when the auth file it is given does not exist.
    (base / "auth.json").write_text(json.dumps({"auths": {}}))
    env = {
        **os.environ,
        "CONTAINERS_REGISTRIES_CONF": str(registries),
        "REGISTRY_AUTH_FILE": str(base / "auth.json"),
        "TMPDIR": str(base / "tmp"),
    }
    return ContainersConfig(env=env, policy=policy)


def _require_root(client: str) -> None:
    if os.geteuid() != 0:
        client_unavailable(f"the {client} tests run as root with a storage of their own; run them as root")


# The *_binary fixtures come first in each client fixture's arguments: a missing client skips
# before a live server is started for nothing.


@pytest.fixture(scope="session")
def skopeo_binary() -> str:
    return client_binary("skopeo")


@pytest.fixture(scope="session")
def podman_binary() -> str:
    binary = client_binary("podman")
    _require_root("podman")
    return binary


@pytest.fixture(scope="session")
def buildah_binary() -> str:
    binary = client_binary("buildah")
    _require_root("buildah")
    return binary


@pytest.fixture(scope="session")
def skopeo(skopeo_binary: str, containers_config: ContainersConfig) -> Client:
    return Client((skopeo_binary, "--policy", str(containers_config.policy)), containers_config.env)


def _storage_options(base: Path) -> list[str]:
    for name in ("root", "runroot"):
        (base / name).mkdir()
    return ["--root", str(base / "root"), "--runroot", str(base / "runroot"), "--storage-driver", "vfs"]


@pytest.fixture(scope="session")
def podman(
    podman_binary: str, containers_config: ContainersConfig, tmp_path_factory: pytest.TempPathFactory
) -> Client:
    """podman as root on a private vfs storage; it runs no daemon and leaves nothing running."""
    base = tmp_path_factory.mktemp("podman")
    (base / "tmp").mkdir()
    return Client(
        (
            podman_binary,
            *_storage_options(base),
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
            "--tmpdir",
            str(base / "tmp"),
        ),
        containers_config.env,
    )


@pytest.fixture(scope="session")
def buildah(
    buildah_binary: str, containers_config: ContainersConfig, tmp_path_factory: pytest.TempPathFactory
) -> Client:
    """buildah as root on a private vfs storage."""
    return Client(
        (buildah_binary, *_storage_options(tmp_path_factory.mktemp("buildah"))), containers_config.env
    )


# --- docker ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_binaries() -> tuple[str, str]:
    """The paths of dockerd and of the docker CLI."""
    binaries = client_binary("dockerd", package="docker.io"), client_binary("docker", package="docker.io")
    _require_root("docker")
    return binaries


@pytest.fixture(scope="session")
def dockerd(
    docker_binaries: tuple[str, str], live_registry: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DockerDaemon]:
    """A private dockerd that trusts the live server over plain HTTP."""
    try:
        with docker_daemon(
            dockerd=docker_binaries[0],
            docker=docker_binaries[1],
            base_dir=tmp_path_factory.mktemp("docker"),
            insecure_registries=[live_registry.host],
        ) as daemon:
            yield daemon
    except DockerDaemonError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def docker(dockerd: DockerDaemon, live_registry: LiveServer) -> Client:
    """The docker CLI of the private dockerd, logged in to the live server as admin."""
    client = Client((dockerd.docker,), dockerd.env)
    username, password = live_registry.admin_credentials
    client("login", "--username", username, "--password-stdin", live_registry.host, input=password)
    return client


# --- oras -----------------------------------------------------------------------------------------


@pytest.fixture
def oras_client(live_registry: LiveServer) -> Any:
    """An oras-py client of the live server, authenticating as admin through the token service."""
    try:
        import oras.client
    except ImportError:
        client_unavailable("the oras Python package is not installed (pip install -e '.[dev]')")
    client = oras.client.OrasClient(hostname=live_registry.host, insecure=True)
    client.auth.set_basic_auth(*live_registry.admin_credentials)
    return client

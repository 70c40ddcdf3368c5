"""Parallel pushes into the embedded SQLite database must queue, never fail with "database is locked"."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import skopeo as sk
from tests.support.oci import image_from_layers, layer_tar, write_layout
from tests.support.registry_http import RegistryHttp

pytestmark = pytest.mark.e2e

PUSHES = 8
# Pushes go to PUSHES // 2 repositories, two tags each, so repositories are created concurrently too.
REPOSITORIES = PUSHES // 2
# Seconds for all pushes together on a 2-core machine.
PUSH_TIMEOUT = 300
# A 5xx status in gunicorn's access log.
SERVER_ERROR_RE = re.compile(r'HTTP/1\.[01]" 5\d\d ')


def test_parallel_skopeo_pushes_on_sqlite_all_succeed(skopeo, sqlite_live_registry, repository, tmp_path):
    assert sqlite_live_registry.database == "sqlite"
    shared = layer_tar({"base/blob": os.urandom(2_000_000)})
    halves = [layer_tar({f"half/{n}": os.urandom(500_000)}) for n in range(2)]
    images = [
        image_from_layers([shared, halves[i % 2], layer_tar({f"own/{i}": os.urandom(300_000)})])
        for i in range(PUSHES)
    ]
    layouts = [write_layout(tmp_path / f"layout{i}", [image], tag="v1") for i, image in enumerate(images)]
    targets = [f"{repository}-{i % REPOSITORIES}:t{i}" for i in range(PUSHES)]
    log_offset = sqlite_live_registry.log_size()

    with ThreadPoolExecutor(max_workers=PUSHES) as pool:
        results = list(
            pool.map(
                lambda i: sk.copy_in(
                    skopeo,
                    sqlite_live_registry,
                    sk.oci(layouts[i], "v1"),
                    targets[i],
                    check=False,
                    timeout=PUSH_TIMEOUT,
                ),
                range(PUSHES),
            )
        )

    failures = [
        f"{targets[i]}: {result.stderr.strip()}" for i, result in enumerate(results) if result.returncode
    ]
    assert failures == []
    log = sqlite_live_registry.log_since(log_offset)
    assert "database is locked" not in log
    assert not SERVER_ERROR_RE.search(log), "the server answered 5xx"
    http = RegistryHttp(sqlite_live_registry.url, sqlite_live_registry.admin_credentials)
    for n in range(REPOSITORIES):
        assert http.tags(f"{repository}-{n}") == sorted(
            f"t{i}" for i in range(PUSHES) if i % REPOSITORIES == n
        )
    for image, target in zip(images, targets, strict=True):
        name, tag = target.rsplit(":", 1)
        assert http.image_check(name, tag).payload == image.manifest

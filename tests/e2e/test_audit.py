"""A push, a pull and a delete through a real client leave exactly the expected audit records."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support import skopeo as sk
from tests.support.oci import make_image, write_layout

pytestmark = pytest.mark.e2e

# The live server writes pull records in batches every HARBORPY_PULL_FLUSH_SECONDS (2 s by default).
PULL_RECORD_WAIT = 15


def _records(live_registry, repository: str) -> list[tuple[str, str, str, str]]:
    response = requests.get(
        f"{live_registry.url}/api/v2.0/audit-logs",
        params={"q": f"resource=~{repository}", "sort": "op_time", "page_size": 100},
        auth=live_registry.admin_credentials,
        timeout=30,
    )
    response.raise_for_status()
    return [(r["username"], r["operation"], r["resource_type"], r["resource"]) for r in response.json()]


def test_skopeo_push_pull_and_delete_are_audited(skopeo, live_registry, registry_http, repository, tmp_path):
    image = make_image(seed="audit", layer_count=2)
    source = write_layout(tmp_path / "in", [image], tag="v1")

    sk.copy_in(skopeo, live_registry, sk.oci(source, "v1"), f"{repository}:v1")

    assert _records(live_registry, repository) == [("admin", "create", "artifact", f"{repository}:v1")]

    sk.copy_out(skopeo, live_registry, f"{repository}:v1", sk.oci(tmp_path / "out", "v1"))
    deadline = time.monotonic() + PULL_RECORD_WAIT
    while len(_records(live_registry, repository)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)

    assert _records(live_registry, repository)[1:] == [("admin", "pull", "artifact", f"{repository}:v1")]

    registry_http.delete_manifest(repository, image.digest)

    assert _records(live_registry, repository)[2:] == [
        ("admin", "delete", "artifact", f"{repository}@{image.digest}")
    ]

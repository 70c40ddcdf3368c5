"""buildah as root, on a private vfs storage: build from scratch, commit and push to a live harborpy."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile

import pytest

from tests.support.oci import sha256

pytestmark = pytest.mark.e2e


def _tar_members(layer_tar: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(layer_tar)) as tar:
        return {
            member.name.lstrip("./"): tar.extractfile(member).read()
            for member in tar.getmembers()
            if member.isfile()
        }


def test_buildah_pushes_a_committed_image_with_intact_layers(
    buildah, live_registry, registry_http, repository, tmp_path
):
    content = os.urandom(150_000)
    (tmp_path / "payload.bin").write_bytes(content)
    (tmp_path / "hello.txt").write_text("hello from buildah\n")
    container = buildah("from", "scratch").stdout.strip()
    buildah("copy", container, str(tmp_path / "payload.bin"), "/data/payload.bin")
    buildah("copy", container, str(tmp_path / "hello.txt"), "/hello.txt")
    local_name = f"localhost/{repository}:v1"
    buildah("commit", container, local_name)
    local = json.loads(buildah("inspect", "--type", "image", local_name).stdout)

    buildah(
        "push",
        "--tls-verify=false",
        "--creds",
        ":".join(live_registry.admin_credentials),
        "--digestfile",
        str(tmp_path / "digest"),
        local_name,
        f"docker://{live_registry.host}/{repository}:v1",
    )

    pushed = registry_http.image_check(repository, "v1")
    assert pushed.digest == (tmp_path / "digest").read_text().strip()
    document = pushed.document
    assert document["config"]["digest"] == f"sha256:{local['FromImageID']}"
    config = json.loads(registry_http.blob(repository, document["config"]["digest"]))
    assert config["rootfs"]["diff_ids"] == local["OCIv1"]["rootfs"]["diff_ids"]
    assert len(document["layers"]) == 1
    layer = gzip.decompress(registry_http.blob(repository, document["layers"][0]["digest"]))
    assert sha256(layer) == config["rootfs"]["diff_ids"][0]
    files = _tar_members(layer)
    assert files["data/payload.bin"] == content
    assert files["hello.txt"] == b"hello from buildah\n"
    buildah("rm", container)

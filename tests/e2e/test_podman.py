"""podman as root, on a private vfs storage, against a live harborpy: login, push, remove, pull back."""

from __future__ import annotations

import json

import pytest

from tests.support import skopeo as sk
from tests.support.oci import make_image, write_layout

pytestmark = pytest.mark.e2e


def test_podman_login_rejects_a_wrong_password(podman, live_registry):
    result = podman(
        "login",
        "--username",
        "admin",
        "--password-stdin",
        live_registry.host,
        input="not-the-password",
        check=False,
    )

    assert result.returncode != 0
    assert "invalid username/password" in result.stderr


def test_podman_pushes_an_image_and_pulls_back_the_same_one(
    podman, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="podman", layer_count=2, layer_size=200_000)
    layout = write_layout(tmp_path / "layout", [image], tag="v1")
    config_digest = json.loads(image.manifest)["config"]["digest"]
    diff_ids = json.loads(image.config)["rootfs"]["diff_ids"]
    name = f"{live_registry.host}/{repository}:v1"
    username, password = live_registry.admin_credentials
    podman("login", "--username", username, "--password-stdin", live_registry.host, input=password)
    podman("pull", f"oci:{layout}:v1")
    podman("tag", config_digest, name)

    podman("push", "--digestfile", str(tmp_path / "digest"), name)
    podman("rmi", "--force", config_digest)
    assert podman("image", "exists", name, check=False).returncode == 1
    podman("pull", name)

    pushed_digest = (tmp_path / "digest").read_text().strip()
    pushed = registry_http.image_check(repository, "v1")
    assert pushed.digest == pushed_digest
    assert json.loads(pushed.payload)["config"]["digest"] == config_digest
    assert registry_http.blob(repository, config_digest) == image.config
    inspected = json.loads(podman("image", "inspect", name).stdout)[0]
    assert f"sha256:{inspected['Id']}" == config_digest
    assert inspected["Digest"] == pushed_digest
    assert inspected["RootFS"]["Layers"] == diff_ids


def test_podman_search_finds_a_pushed_repository_and_its_tags(
    podman, skopeo, live_registry, repository, tmp_path
):
    # podman search reads /v2/_catalog, then /v2/<name>/tags/list with --list-tags.
    image = make_image(seed="podman-search")
    sk.copy_in(
        skopeo,
        live_registry,
        sk.oci(write_layout(tmp_path / "in", [image], tag="v1"), "v1"),
        f"{repository}:v1",
    )
    sk.copy_in(skopeo, live_registry, sk.oci(tmp_path / "in", "v1"), f"{repository}:v2")
    username, password = live_registry.admin_credentials
    podman("login", "--username", username, "--password-stdin", live_registry.host, input=password)

    found = podman(
        "search",
        "--tls-verify=false",
        "--limit",
        "1000",
        "--format",
        "{{.Name}}",
        f"{live_registry.host}/library",
    )
    listing = podman("search", "--tls-verify=false", "--list-tags", f"{live_registry.host}/{repository}")

    assert f"{live_registry.host}/{repository}" in found.stdout.split()
    rows = [line.split() for line in listing.stdout.splitlines()[1:] if line.strip()]  # NAME TAG
    assert sorted(rows) == [
        [f"{live_registry.host}/{repository}", "v1"],
        [f"{live_registry.host}/{repository}", "v2"],
    ]

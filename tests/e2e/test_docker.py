"""docker (a private dockerd) against a live harborpy: login, push, pull, multi-arch, deletion."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import skopeo as sk
from tests.support.commands import Client
from tests.support.oci import make_image, make_index, sha256, write_docker_archive, write_layout

pytestmark = pytest.mark.e2e

PUSHED_DIGEST_RE = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: \d+")


def _inspect(docker: Client, reference: str) -> dict:
    return json.loads(docker("image", "inspect", reference).stdout)[0]


def test_docker_login_rejects_a_wrong_password(dockerd, live_registry, tmp_path):
    docker = Client((dockerd.docker,), {**dockerd.env, "DOCKER_CONFIG": str(tmp_path)})

    result = docker(
        "login", "--username", "admin", "--password-stdin", live_registry.host, input="wrong", check=False
    )

    assert result.returncode != 0
    assert "unauthorized" in result.stderr.lower()
    config = tmp_path / "config.json"
    assert not config.exists() or live_registry.host not in config.read_text()


def test_docker_pushes_an_image_and_pulls_back_the_same_one(
    docker, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="docker", layer_count=3, layer_size=250_000, docker=True)
    name = f"{live_registry.host}/{repository}:v1"
    docker("load", "--input", str(write_docker_archive(tmp_path / "image.tar", image, name)))
    image_id = sha256(image.config)
    assert _inspect(docker, name)["Id"] == image_id

    pushed = PUSHED_DIGEST_RE.search(docker("push", name).stdout)
    docker("rmi", name)
    docker("pull", name)

    assert pushed is not None
    manifest = registry_http.image_check(repository, "v1")
    assert manifest.digest == pushed.group(1)
    assert manifest.document["config"]["digest"] == image_id
    assert registry_http.blob(repository, image_id) == image.config
    pulled = _inspect(docker, name)
    assert pulled["Id"] == image_id
    assert pulled["RepoDigests"] == [f"{live_registry.host}/{repository}@{manifest.digest}"]
    assert pulled["RootFS"]["Layers"] == json.loads(image.config)["rootfs"]["diff_ids"]


def test_docker_pulls_each_platform_of_a_multi_arch_index(
    docker, skopeo, live_registry, registry_http, repository, tmp_path
):
    images = {
        "amd64": make_image(seed="docker-amd64", architecture="amd64"),
        "arm64": make_image(seed="docker-arm64", architecture="arm64"),
    }
    index = make_index(list(images.values()))
    layout = write_layout(tmp_path / "layout", list(images.values()), index_manifest=index, tag="multi")
    sk.copy_in(skopeo, live_registry, sk.oci(layout, "multi"), f"{repository}:multi", "--all")
    name = f"{live_registry.host}/{repository}:multi"

    pulled = {}
    for architecture in images:
        docker("pull", "--platform", f"linux/{architecture}", name)
        pulled[architecture] = _inspect(docker, name)

    assert registry_http.image_check(repository, "multi").payload == index
    for architecture, image in images.items():
        assert pulled[architecture]["Id"] == sha256(image.config)
        assert pulled[architecture]["Architecture"] == architecture
        assert pulled[architecture]["RootFS"]["Layers"] == json.loads(image.config)["rootfs"]["diff_ids"]
    assert f"{live_registry.host}/{repository}@{sha256(index)}" in pulled["amd64"]["RepoDigests"]


def test_docker_pull_fails_once_the_manifest_is_deleted(
    docker, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="docker-delete", docker=True)
    name = f"{live_registry.host}/{repository}:v1"
    docker("load", "--input", str(write_docker_archive(tmp_path / "image.tar", image, name)))
    digest = PUSHED_DIGEST_RE.search(docker("push", name).stdout).group(1)
    docker("rmi", name)

    deleted = registry_http.delete_manifest(repository, digest)
    by_tag = docker("pull", name, check=False)
    by_digest = docker("pull", f"{live_registry.host}/{repository}@{digest}", check=False)

    assert deleted.status_code == 202
    assert by_tag.returncode != 0
    assert "manifest unknown" in by_tag.stderr.lower()
    assert by_digest.returncode != 0
    assert "manifest unknown" in by_digest.stderr.lower()
    assert docker("image", "inspect", name, check=False).returncode != 0


def test_docker_push_to_a_second_repository_mounts_the_layers(
    docker, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="docker-mount", layer_count=2, layer_size=100_000, docker=True)
    first, second = f"{live_registry.host}/{repository}-a:v1", f"{live_registry.host}/{repository}-b:v1"
    docker("load", "--input", str(write_docker_archive(tmp_path / "image.tar", image, first)))
    docker("push", first)
    docker("tag", first, second)

    output = docker("push", second).stdout

    assert output.count(f"Mounted from {repository}-a") == len(image.layers)
    assert (
        registry_http.image_check(f"{repository}-b", "v1").digest
        == registry_http.manifest(f"{repository}-a", "v1").digest
    )


def test_docker_pull_of_a_deleted_tag_fails_while_another_tag_still_pulls(
    docker, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="docker-tags", docker=True)
    name = f"{live_registry.host}/{repository}"
    docker("load", "--input", str(write_docker_archive(tmp_path / "image.tar", image, f"{name}:old")))
    docker("tag", f"{name}:old", f"{name}:kept")
    docker("push", f"{name}:old")
    docker("push", f"{name}:kept")
    docker("rmi", f"{name}:old", f"{name}:kept")

    deleted = registry_http.delete_manifest(repository, "old")
    gone = docker("pull", f"{name}:old", check=False)
    docker("pull", f"{name}:kept")

    assert deleted.status_code == 202
    assert gone.returncode != 0
    assert "manifest unknown" in gone.stderr.lower()
    assert registry_http.tags(repository) == ["kept"]
    assert _inspect(docker, f"{name}:kept")["Id"] == sha256(image.config)

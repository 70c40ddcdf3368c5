"""skopeo (containers/image) against a live harborpy: copies in both directions, inspect, tags, delete."""

from __future__ import annotations

import json
import os

import pytest

from tests.support import skopeo as sk
from tests.support.commands import Client
from tests.support.oci import (
    DOCKER_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    image_from_layers,
    layer_tar,
    make_image,
    make_index,
    read_dir,
    read_layout,
    sha256,
    write_dir,
    write_layout,
)

pytestmark = pytest.mark.e2e

LARGE_LAYER_BYTES = 12 * 1024 * 1024


def test_skopeo_copies_an_image_in_and_out_unchanged(
    skopeo, live_registry, registry_http, repository, tmp_path
):
    # A large incompressible layer, so uploads and downloads span many read buffers.
    big = layer_tar({"data/big.bin": os.urandom(LARGE_LAYER_BYTES)})
    image = image_from_layers([big, layer_tar({"etc/hello": b"hello\n"}), layer_tar({"etc/empty": b""})])
    source = write_layout(tmp_path / "in", [image], tag="v1")

    sk.copy_in(skopeo, live_registry, sk.oci(source, "v1"), f"{repository}:v1")
    sk.copy_out(skopeo, live_registry, f"{repository}:v1", sk.oci(tmp_path / "out", "v1"))

    pushed = registry_http.image_check(repository, "v1")
    assert pushed.digest == image.digest
    assert pushed.payload == image.manifest
    assert pushed.media_type == OCI_MANIFEST
    back = read_layout(tmp_path / "out", "v1")
    assert back.digest == image.digest
    assert back.manifest == image.manifest
    assert back.digests() == read_layout(source, "v1").digests() == {image.digest, *image.blobs}


def test_skopeo_copies_a_multi_arch_oci_index_in_and_out_unchanged(
    skopeo, live_registry, registry_http, repository, tmp_path
):
    images = [
        make_image(seed="skopeo-amd64", architecture="amd64"),
        make_image(seed="skopeo-arm64", architecture="arm64"),
    ]
    index = make_index(images)
    source = write_layout(tmp_path / "in", images, index_manifest=index, tag="multi")

    sk.copy_in(skopeo, live_registry, sk.oci(source, "multi"), f"{repository}:multi", "--all")
    sk.copy_out(skopeo, live_registry, f"{repository}:multi", sk.oci(tmp_path / "out", "multi"), "--all")

    _assert_index_intact(registry_http, repository, "multi", images, index, OCI_INDEX)
    back = read_layout(tmp_path / "out", "multi")
    assert back.manifest == index
    assert back.digests() == read_layout(source, "multi").digests() == _all_digests(images, index)


def test_skopeo_copies_a_docker_manifest_list_in_and_out_unchanged(
    skopeo, live_registry, registry_http, repository, tmp_path
):
    images = [
        make_image(seed="skopeo-list-amd64", architecture="amd64", docker=True),
        make_image(seed="skopeo-list-arm64", architecture="arm64", docker=True),
    ]
    index = make_index(images, docker=True)
    source = write_dir(tmp_path / "in", images, index_manifest=index)

    sk.copy_in(skopeo, live_registry, f"dir:{source}", f"{repository}:list", "--all")
    sk.copy_out(skopeo, live_registry, f"{repository}:list", f"dir:{tmp_path / 'out'}", "--all")

    _assert_index_intact(registry_http, repository, "list", images, index, DOCKER_LIST)
    back = read_dir(tmp_path / "out")
    assert back.manifest == index
    assert back.digests() == read_dir(source).digests() == _all_digests(images, index)


def _assert_index_intact(registry_http, repository, tag, images, index, media_type) -> None:
    pushed = registry_http.image_check(repository, tag)
    assert pushed.payload == index
    assert pushed.media_type == media_type
    for image in images:
        assert registry_http.manifest(repository, image.digest).payload == image.manifest


def _all_digests(images, index) -> set[str]:
    digests = {sha256(index)}
    for image in images:
        digests |= {image.digest, *image.blobs}
    return digests


def test_skopeo_inspect_raw_returns_the_pushed_manifest_byte_for_byte(
    skopeo, live_registry, repository, tmp_path
):
    image = make_image(seed="skopeo-inspect")
    source = write_layout(tmp_path / "in", [image], tag="v1")
    sk.copy_in(skopeo, live_registry, sk.oci(source, "v1"), f"{repository}:v1")

    result = skopeo(
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        sk.creds(live_registry),
        sk.remote(live_registry, f"{repository}:v1"),
    )

    assert result.stdout.encode() == image.manifest


def test_skopeo_list_tags_lists_every_pushed_tag(skopeo, live_registry, repository, tmp_path):
    image = make_image(seed="skopeo-tags")
    source = write_layout(tmp_path / "in", [image], tag="v1")
    tags = ["1.0", "1.1", "latest"]
    for tag in tags:
        sk.copy_in(skopeo, live_registry, sk.oci(source, "v1"), f"{repository}:{tag}")

    result = skopeo(
        "list-tags",
        "--tls-verify=false",
        "--creds",
        sk.creds(live_registry),
        sk.remote(live_registry, repository),
    )

    listing = json.loads(result.stdout)
    assert listing["Repository"] == f"{live_registry.host}/{repository}"
    assert sorted(listing["Tags"]) == tags


def test_skopeo_delete_by_digest_makes_the_manifest_404(
    skopeo, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="skopeo-delete")
    source = write_layout(tmp_path / "in", [image], tag="v1")
    sk.copy_in(skopeo, live_registry, sk.oci(source, "v1"), f"{repository}:v1")
    assert registry_http.manifest_status(repository, image.digest) == 200

    skopeo(
        "delete",
        "--tls-verify=false",
        "--creds",
        sk.creds(live_registry),
        sk.remote(live_registry, f"{repository}@{image.digest}"),
    )

    assert registry_http.manifest_status(repository, image.digest) == 404
    assert registry_http.manifest_status(repository, "v1") == 404
    assert registry_http.tags(repository) == []
    inspect = skopeo(
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        sk.creds(live_registry),
        sk.remote(live_registry, f"{repository}:v1"),
        check=False,
    )
    assert inspect.returncode != 0
    assert "manifest unknown" in inspect.stderr.lower()


def _anonymous(skopeo, tmp_path) -> Client:
    """skopeo with an empty auth file of its own, so no login of another test is used."""
    auth_file = tmp_path / "anonymous-auth.json"
    auth_file.write_text(json.dumps({"auths": {}}))
    return Client(skopeo.args, {**skopeo.env, "REGISTRY_AUTH_FILE": str(auth_file)})


def test_skopeo_pulls_anonymously_from_a_public_project(skopeo, live_registry, repository, tmp_path):
    image = make_image(seed="skopeo-anonymous-pull")
    sk.copy_in(
        skopeo,
        live_registry,
        sk.oci(write_layout(tmp_path / "in", [image], tag="v1"), "v1"),
        f"{repository}:v1",
    )

    _anonymous(skopeo, tmp_path)(
        "copy",
        "--src-tls-verify=false",
        sk.remote(live_registry, f"{repository}:v1"),
        sk.oci(tmp_path / "out", "v1"),
    )

    assert read_layout(tmp_path / "out", "v1").digests() == {image.digest, *image.blobs}


def test_skopeo_cannot_push_anonymously_to_a_public_project(
    skopeo, live_registry, registry_http, repository, tmp_path
):
    image = make_image(seed="skopeo-anonymous-push")
    source = write_layout(tmp_path / "in", [image], tag="v1")

    result = _anonymous(skopeo, tmp_path)(
        "copy",
        "--dest-tls-verify=false",
        sk.oci(source, "v1"),
        sk.remote(live_registry, f"{repository}:v1"),
        check=False,
    )

    assert result.returncode != 0
    assert "authentication is required" in result.stderr.lower()
    assert registry_http.manifest_status(repository, "v1") == 404

"""Manifest endpoints: PUT, GET, HEAD and DELETE on /v2/<name>/manifests/<reference>."""

from __future__ import annotations

import json

import pytest

from images.models import Artifact, ArtifactBlob, Tag
from tests.support.oci import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    make_image,
    make_index,
    sha256,
)
from tests.support.registry import errors, push_blob, push_image, push_manifest

pytestmark = pytest.mark.django_db

EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}


def test_put_manifest_by_tag_returns_201_with_location_and_digest(admin_client, library):
    image = make_image()
    for data in image.blobs.values():
        push_blob(admin_client, "library/app", data)

    response = push_manifest(admin_client, "library/app", "v1", image.manifest, image.media_type)

    assert response.status_code == 201, response.content
    assert response["Docker-Content-Digest"] == image.digest
    assert response["Location"] == f"http://testserver/v2/library/app/manifests/{image.digest}"
    artifact = Artifact.objects.get(digest=image.digest)
    assert bytes(artifact.manifest) == image.manifest
    assert artifact.size == len(image.manifest) + sum(len(b) for b in image.blobs.values())
    assert ArtifactBlob.objects.filter(artifact=artifact).count() == 3
    assert Tag.objects.get(name="v1").artifact == artifact


@pytest.mark.parametrize("docker", [False, True])
def test_get_by_tag_and_digest_returns_exact_bytes_and_media_type(admin_client, library, docker):
    image = make_image(docker=docker)
    push_image(admin_client, "library/app", "v1", image)

    for reference in ("v1", image.digest):
        response = admin_client.get(
            f"/v2/library/app/manifests/{reference}", HTTP_ACCEPT=f"{OCI_MANIFEST}, {DOCKER_MANIFEST}"
        )

        assert response.status_code == 200
        assert response.content == image.manifest
        assert response["Content-Type"] == (DOCKER_MANIFEST if docker else OCI_MANIFEST)
        assert response["Docker-Content-Digest"] == image.digest
        assert response["Content-Length"] == str(len(image.manifest))


def test_head_returns_headers_without_body(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "v1", image)

    response = admin_client.head("/v2/library/app/manifests/v1")

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(image.manifest))
    assert response["Docker-Content-Digest"] == image.digest
    assert response["Content-Type"] == OCI_MANIFEST


def test_push_by_digest_creates_no_tag(admin_client, library):
    image = make_image()
    for data in image.blobs.values():
        push_blob(admin_client, "library/app", data)

    response = push_manifest(admin_client, "library/app", image.digest, image.manifest, image.media_type)

    assert response.status_code == 201
    assert not Tag.objects.exists()


def test_push_by_wrong_digest_is_digest_invalid(admin_client, library):
    image = make_image()
    for data in image.blobs.values():
        push_blob(admin_client, "library/app", data)

    response = push_manifest(admin_client, "library/app", sha256(b"other"), image.manifest, image.media_type)

    assert response.status_code == 400
    assert errors(response) == ["DIGEST_INVALID"]


def test_manifest_with_missing_blob_is_manifest_blob_unknown(admin_client, library):
    image = make_image()
    push_blob(admin_client, "library/app", image.config)

    response = push_manifest(admin_client, "library/app", "v1", image.manifest, image.media_type)

    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_BLOB_UNKNOWN"]
    assert sorted(response.json()["errors"][0]["detail"]["digests"]) == sorted(
        sha256(x) for x in image.layers
    )


def test_blobs_of_another_repository_do_not_count(admin_client, library):
    image = make_image()
    for data in image.blobs.values():
        push_blob(admin_client, "library/other", data)

    response = push_manifest(admin_client, "library/app", "v1", image.manifest, image.media_type)

    assert errors(response) == ["MANIFEST_BLOB_UNKNOWN"]


def test_descriptor_size_must_match_the_blob(admin_client, library):
    config = push_blob(admin_client, "library/app", b'{"architecture":"amd64","os":"linux"}')
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config,
                "size": 999,
            },
            "layers": [],
        }
    ).encode()

    response = push_manifest(admin_client, "library/app", "v1", manifest, OCI_MANIFEST)

    assert errors(response) == ["MANIFEST_INVALID"]


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"not json", OCI_MANIFEST),
        (b"[1, 2]", OCI_MANIFEST),
        (
            b'{"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}',
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        ),
        (b'{"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}', "application/json"),
        (b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}', OCI_MANIFEST),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}',
            OCI_MANIFEST,
        ),
        (
            b'{"schemaVersion": 2, "config": {"mediaType": "x", "digest": "sha256:bad", "size": 1}}',
            OCI_MANIFEST,
        ),
        (
            b'{"schemaVersion": 2, "config": {"mediaType": "x", "digest": "'
            + sha256(b"a").encode()
            + b'", "size": -1}}',
            OCI_MANIFEST,
        ),
        (b'{"schemaVersion": 2, "manifests": "no"}', OCI_INDEX),
        (b'{"schemaVersion": 2, "config": {}}', "application/vnd.example.unknown+json"),
    ],
)
def test_invalid_manifests_are_manifest_invalid(admin_client, library, payload, content_type):
    response = push_manifest(admin_client, "library/app", "v1", payload, content_type)

    assert response.status_code == 400
    assert errors(response) == ["MANIFEST_INVALID"]
    assert not Artifact.objects.exists()


def test_manifest_over_the_size_limit_is_refused(admin_client, library, settings):
    settings.MANIFEST_MAX_BYTES = 2048
    payload = json.dumps(
        {"schemaVersion": 2, "config": EMPTY_CONFIG, "layers": [], "annotations": {"pad": "x" * 4000}}
    ).encode()

    response = push_manifest(admin_client, "library/app", "v1", payload, OCI_MANIFEST)

    assert response.status_code == 413
    assert errors(response) == ["SIZE_INVALID"]


def test_oci_artifact_with_empty_config_and_unknown_artifact_type(admin_client, library):
    layer = push_blob(admin_client, "library/charts", b"helm chart bytes")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.cncf.helm.chart.v1",
            "config": EMPTY_CONFIG,
            "layers": [
                {
                    "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                    "digest": layer,
                    "size": 16,
                }
            ],
        }
    ).encode()

    response = push_manifest(admin_client, "library/charts", "0.1.0", manifest, OCI_MANIFEST)

    assert response.status_code == 201, response.content
    assert Artifact.objects.get().artifact_type == "application/vnd.cncf.helm.chart.v1"


def test_foreign_layers_need_not_exist(admin_client, library):
    config = push_blob(admin_client, "library/win", b'{"os":"windows"}')
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": config,
                "size": 16,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                    "digest": sha256(b"windows base"),
                    "size": 12,
                    "urls": ["https://example.com/layer"],
                }
            ],
        }
    ).encode()

    response = push_manifest(admin_client, "library/win", "ltsc", manifest, DOCKER_MANIFEST)

    assert response.status_code == 201, response.content


def test_content_type_mismatch_with_media_type_is_invalid(admin_client, library):
    image = make_image()
    for data in image.blobs.values():
        push_blob(admin_client, "library/app", data)

    response = push_manifest(admin_client, "library/app", "v1", image.manifest, DOCKER_MANIFEST)

    assert errors(response) == ["MANIFEST_INVALID"]


@pytest.mark.parametrize("docker", [False, True])
def test_index_requires_its_children_and_records_them(admin_client, library, docker):
    amd = make_image(architecture="amd64", docker=docker)
    arm = make_image(architecture="arm64", docker=docker)
    index = make_index([amd, arm], docker=docker)
    media_type = DOCKER_LIST if docker else OCI_INDEX
    push_image(admin_client, "library/multi", "amd", amd)

    missing = push_manifest(admin_client, "library/multi", "latest", index, media_type)
    push_image(admin_client, "library/multi", "arm", arm)
    created = push_manifest(admin_client, "library/multi", "latest", index, media_type)

    assert errors(missing) == ["MANIFEST_BLOB_UNKNOWN"]
    assert created.status_code == 201
    artifact = Artifact.objects.get(digest=sha256(index))
    assert artifact.child_references.count() == 2
    assert (
        artifact.size
        == len(index)
        + Artifact.objects.get(digest=amd.digest).size
        + Artifact.objects.get(digest=arm.digest).size
    )


def test_index_is_served_as_linux_amd64_to_a_client_that_cannot_read_indexes(admin_client, library):
    amd = make_image(architecture="amd64", docker=True)
    arm = make_image(architecture="arm64", docker=True)
    push_image(admin_client, "library/multi", "amd", amd)
    push_image(admin_client, "library/multi", "arm", arm)
    push_manifest(admin_client, "library/multi", "latest", make_index([amd, arm], docker=True), DOCKER_LIST)

    old_client = admin_client.get("/v2/library/multi/manifests/latest", HTTP_ACCEPT=DOCKER_MANIFEST)
    new_client = admin_client.get(
        "/v2/library/multi/manifests/latest", HTTP_ACCEPT=f"{DOCKER_LIST},{DOCKER_MANIFEST}"
    )

    assert old_client["Docker-Content-Digest"] == amd.digest
    assert old_client.content == amd.manifest
    assert new_client["Content-Type"] == DOCKER_LIST


def test_retag_moves_the_tag(admin_client, library):
    first, second = make_image(), make_image()
    push_image(admin_client, "library/app", "latest", first)

    push_image(admin_client, "library/app", "latest", second)

    assert admin_client.head("/v2/library/app/manifests/latest")["Docker-Content-Digest"] == second.digest
    assert Tag.objects.count() == 1


def test_pushing_the_same_manifest_twice_is_idempotent(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "a", image)

    push_image(admin_client, "library/app", "b", image)

    assert Artifact.objects.count() == 1
    assert set(Tag.objects.values_list("name", flat=True)) == {"a", "b"}


def test_subject_is_echoed_in_oci_subject(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "v1", image)
    signature = make_image(
        layer_count=1,
        subject={"mediaType": OCI_MANIFEST, "digest": image.digest, "size": len(image.manifest)},
    )

    for data in signature.blobs.values():
        push_blob(admin_client, "library/app", data)
    response = push_manifest(admin_client, "library/app", signature.digest, signature.manifest, OCI_MANIFEST)

    assert response.status_code == 201
    assert response["OCI-Subject"] == image.digest


@pytest.mark.parametrize("reference", ["v1", "sha256:" + "0" * 64])
def test_unknown_manifest_is_manifest_unknown(admin_client, library, reference):
    push_image(admin_client, "library/app", "other", make_image())

    response = admin_client.get(f"/v2/library/app/manifests/{reference}")

    assert response.status_code == 404
    assert errors(response) == ["MANIFEST_UNKNOWN"]


def test_unknown_repository_is_name_unknown(admin_client, library):
    response = admin_client.get("/v2/library/nothing/manifests/v1")

    assert response.status_code == 404
    assert errors(response) == ["NAME_UNKNOWN"]


def test_head_of_unknown_manifest_is_404_without_body(admin_client, library):
    response = admin_client.head("/v2/library/nothing/manifests/v1")

    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("-leading-dash", "TAG_INVALID"),
        ("x" * 129, "TAG_INVALID"),
        ("sha256:xyz", "DIGEST_INVALID"),
        ("md5:abc", "DIGEST_INVALID"),
    ],
)
def test_invalid_references_are_refused(admin_client, library, reference, code):
    response = admin_client.put(
        f"/v2/library/app/manifests/{reference}", data=b"{}", content_type=OCI_MANIFEST
    )

    assert response.status_code == 400
    assert errors(response) == [code]


def test_delete_by_tag_removes_only_the_tag(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "v1", image)

    response = admin_client.delete("/v2/library/app/manifests/v1")

    assert response.status_code == 202
    assert not Tag.objects.exists()
    assert admin_client.head(f"/v2/library/app/manifests/{image.digest}").status_code == 200


def test_delete_by_digest_removes_the_manifest_and_its_tags(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "v1", image)
    push_manifest(admin_client, "library/app", "v2", image.manifest, image.media_type)

    response = admin_client.delete(f"/v2/library/app/manifests/{image.digest}")

    assert response.status_code == 202
    assert not Artifact.objects.exists() and not Tag.objects.exists()
    assert errors(admin_client.get("/v2/library/app/manifests/v1")) == ["MANIFEST_UNKNOWN"]
    assert errors(admin_client.delete(f"/v2/library/app/manifests/{image.digest}")) == ["MANIFEST_UNKNOWN"]


def test_a_manifest_in_an_index_cannot_be_deleted_before_the_index(admin_client, library):
    amd = make_image()
    push_image(admin_client, "library/multi", "amd", amd)
    push_manifest(admin_client, "library/multi", "latest", make_index([amd]), OCI_INDEX)

    response = admin_client.delete(f"/v2/library/multi/manifests/{amd.digest}")

    assert response.status_code == 409
    assert Artifact.objects.filter(digest=amd.digest).exists()


def test_delete_needs_the_delete_action(library, client_for):
    admin = client_for(is_superuser=True)
    push_image(admin, "library/app", "v1", make_image())
    developer = client_for(
        username="dev", access=[{"type": "repository", "name": "library/app", "actions": ["pull", "push"]}]
    )

    response = developer.delete("/v2/library/app/manifests/v1")

    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert Tag.objects.exists()

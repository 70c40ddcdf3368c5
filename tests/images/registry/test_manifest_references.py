"""Pulls by a reference that cannot name a manifest answer 404, as the OCI conformance suite checks."""

from __future__ import annotations

import pytest

from tests.support.oci import OCI_MANIFEST, make_image, sha256

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(admin_client, library):
    image = make_image(layer_count=1, layer_size=64, seed="refs")
    for digest, data in image.blobs.items():
        url = f"/v2/library/app/blobs/uploads/?digest={digest}"
        response = admin_client.post(url, data=data, content_type="application/octet-stream")
        assert response.status_code == 201, response.content
    response = admin_client.put("/v2/library/app/manifests/v1", image.manifest, content_type=OCI_MANIFEST)
    assert response.status_code == 201, response.content
    return image


@pytest.mark.parametrize("reference", [".INVALID_MANIFEST_NAME", "-starts-with-dash", "x" * 129])
def test_get_and_head_of_an_invalid_tag_are_manifest_unknown(admin_client, pushed, reference):
    response = admin_client.get(f"/v2/library/app/manifests/{reference}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"

    response = admin_client.head(f"/v2/library/app/manifests/{reference}")
    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("reference", ["sha256:totallywrong", "md5:" + "0" * 32])
def test_get_of_a_malformed_or_unsupported_digest_is_still_digest_invalid(admin_client, pushed, reference):
    response = admin_client.get(f"/v2/library/app/manifests/{reference}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "DIGEST_INVALID"


def test_valid_references_still_resolve(admin_client, pushed):
    assert admin_client.get("/v2/library/app/manifests/v1").status_code == 200
    response = admin_client.head(f"/v2/library/app/manifests/{pushed.digest}")
    assert response.status_code == 200
    assert response["Docker-Content-Digest"] == sha256(pushed.manifest)


def test_push_to_an_invalid_tag_is_still_tag_invalid(admin_client, pushed):
    response = admin_client.put(
        "/v2/library/app/manifests/.INVALID_MANIFEST_NAME", data=pushed.manifest, content_type=OCI_MANIFEST
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "TAG_INVALID"

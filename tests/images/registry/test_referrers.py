"""The referrers API: GET /v2/<name>/referrers/<digest>."""

from __future__ import annotations

import json

import pytest

from tests.support.oci import OCI_INDEX, OCI_MANIFEST, make_image, sha256
from tests.support.registry import errors, push_blob, push_image, push_manifest

pytestmark = pytest.mark.django_db

EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}


def push_referrer(client, subject_digest: str, subject_size: int, artifact_type: str, note: str) -> str:
    layer = push_blob(client, "library/app", note.encode())
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": EMPTY,
            "layers": [{"mediaType": "text/plain", "digest": layer, "size": len(note)}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": subject_size},
            "annotations": {"note": note},
        }
    ).encode()
    response = push_manifest(client, "library/app", sha256(manifest), manifest, OCI_MANIFEST)
    assert response.status_code == 201, response.content
    return sha256(manifest)


@pytest.fixture
def subject(admin_client, library):
    image = make_image()
    push_image(admin_client, "library/app", "v1", image)
    return image


def test_referrers_lists_artifacts_whose_subject_is_the_digest(admin_client, subject):
    signature = push_referrer(
        admin_client, subject.digest, len(subject.manifest), "application/vnd.dev.cosign", "sig"
    )
    sbom = push_referrer(admin_client, subject.digest, len(subject.manifest), "application/spdx+json", "sbom")

    response = admin_client.get(f"/v2/library/app/referrers/{subject.digest}")

    assert response.status_code == 200
    assert response["Content-Type"] == OCI_INDEX
    document = response.json()
    assert document["schemaVersion"] == 2 and document["mediaType"] == OCI_INDEX
    by_digest = {m["digest"]: m for m in document["manifests"]}
    assert set(by_digest) == {signature, sbom}
    assert by_digest[signature]["artifactType"] == "application/vnd.dev.cosign"
    assert by_digest[signature]["annotations"] == {"note": "sig"}
    assert by_digest[signature]["mediaType"] == OCI_MANIFEST
    assert by_digest[signature]["size"] > 0


def test_referrers_filter_by_artifact_type(admin_client, subject):
    push_referrer(admin_client, subject.digest, len(subject.manifest), "application/vnd.dev.cosign", "sig")
    sbom = push_referrer(admin_client, subject.digest, len(subject.manifest), "application/spdx+json", "sbom")

    response = admin_client.get(
        f"/v2/library/app/referrers/{subject.digest}?artifactType=application/spdx%2Bjson"
    )

    assert [m["digest"] for m in response.json()["manifests"]] == [sbom]
    assert response["OCI-Filters-Applied"] == "artifactType"


def test_referrers_of_a_subject_without_referrers_is_an_empty_index(admin_client, subject):
    response = admin_client.get(f"/v2/library/app/referrers/{sha256(b'nothing')}")

    assert response.status_code == 200
    assert response.json()["manifests"] == []


def test_referrers_may_be_pushed_before_their_subject(admin_client, library):
    missing = sha256(b"subject not pushed yet")

    referrer = push_referrer(admin_client, missing, 123, "application/vnd.example", "early")

    assert [
        m["digest"] for m in admin_client.get(f"/v2/library/app/referrers/{missing}").json()["manifests"]
    ] == [referrer]


def test_referrers_with_malformed_digest(admin_client, subject):
    assert errors(admin_client.get("/v2/library/app/referrers/sha256:nope")) == ["DIGEST_INVALID"]

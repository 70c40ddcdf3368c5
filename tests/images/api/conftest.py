"""Content for the REST API tests, pushed through /v2/ as a client would push it."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from tests.support.oci import OCI_MANIFEST, make_image, make_index, sha256
from tests.support.registry import push_blob, push_image, push_manifest

EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}
COSIGN = "application/vnd.dev.cosign.artifact.sig.v1+json"


def push_referrer(client, name: str, subject, artifact_type: str, note: str) -> str:
    """Push an OCI 1.1 artifact whose subject is `subject` (an Image); returns its digest."""
    layer = push_blob(client, name, note.encode())
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": EMPTY,
            "layers": [{"mediaType": "text/plain", "digest": layer, "size": len(note)}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject.digest, "size": len(subject.manifest)},
        }
    ).encode()
    response = push_manifest(client, name, sha256(manifest), manifest, OCI_MANIFEST)
    assert response.status_code == 201, response.content
    return sha256(manifest)


def push_index(client, name: str, tag: str, images: list) -> str:
    for image in images:
        push_image(client, name, image.digest, image)
    index = make_index(images)
    response = push_manifest(client, name, tag, index, "application/vnd.oci.image.index.v1+json")
    assert response.status_code == 201, response.content
    return sha256(index)


def as_user(api_client, user):
    """Authenticated without a login (a login adds an audit record of its own)."""
    api_client.force_authenticate(user)
    return api_client


@pytest.fixture
def secret_app(admin_client, private_project):
    """secret/app (private): image v1 (tags v1, latest) and image v2."""
    first = make_image(layer_count=1, seed="one")
    second = make_image(layer_count=1, seed="two")
    push_image(admin_client, "secret/app", "v1", first)
    push_image(admin_client, "secret/app", "latest", first)
    push_image(admin_client, "secret/app", "v2", second)
    AuditEvent.objects.all().delete()
    return {"v1": first, "v2": second}


@pytest.fixture
def public_web(admin_client, library):
    """library/web (public): image v1."""
    image = make_image(layer_count=1, seed="web")
    push_image(admin_client, "library/web", "v1", image)
    AuditEvent.objects.all().delete()
    return image


def artifacts_url(project: str, repository: str) -> str:
    return f"/api/v2.0/projects/{project}/repositories/{repository}/artifacts"

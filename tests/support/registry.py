"""Driving /v2/ through Django's test client: push blobs, manifests and whole images."""

from __future__ import annotations

from django.test import Client

from tests.support.oci import Image, sha256


def push_blob(client: Client, name: str, data: bytes) -> str:
    """Monolithic upload (POST ?digest=); returns the digest."""
    digest = sha256(data)
    response = client.post(
        f"/v2/{name}/blobs/uploads/?digest={digest}", data=data, content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    return digest


def push_manifest(client: Client, name: str, reference: str, manifest: bytes, media_type: str):
    return client.put(f"/v2/{name}/manifests/{reference}", data=manifest, content_type=media_type)


def push_image(client: Client, name: str, tag: str, image: Image) -> str:
    """Push every blob and the manifest under `tag`; returns the manifest digest."""
    for data in image.blobs.values():
        push_blob(client, name, data)
    response = push_manifest(client, name, tag, image.manifest, image.media_type)
    assert response.status_code == 201, response.content
    return response["Docker-Content-Digest"]


def errors(response) -> list[str]:
    """The OCI error codes of a response."""
    return [error["code"] for error in response.json()["errors"]]

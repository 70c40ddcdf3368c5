"""Registry content pushed through /v2/ for the portal's tests: images, an index over two platforms,
and referrers (an SBOM, a signature) of an image."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.test import Client

from tests.support.oci import OCI_MANIFEST, Image, make_image, make_index, sha256
from tests.support.registry import push_blob, push_image, push_manifest

OCI_EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}
SPDX = "application/spdx+json"
COSIGN_SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"


def push_referrer(client: Client, name: str, subject: Image, artifact_type: str, payload: bytes) -> str:
    """Push an OCI artifact of `artifact_type` whose subject is `subject`; returns its digest."""
    layer = push_blob(client, name, payload)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": OCI_EMPTY,
            "layers": [{"mediaType": "application/octet-stream", "digest": layer, "size": len(payload)}],
            "subject": {
                "mediaType": subject.media_type,
                "digest": subject.digest,
                "size": len(subject.manifest),
            },
        }
    ).encode()
    response = push_manifest(client, name, sha256(manifest), manifest, OCI_MANIFEST)
    assert response.status_code == 201, response.content
    return sha256(manifest)


def push_multi_platform(client: Client, name: str, tag: str, seed: str) -> tuple[str, list[Image]]:
    """Push an image for linux/amd64 and linux/arm64 and an index over both under `tag`."""
    images = [
        make_image(seed=f"{seed}-amd64", architecture="amd64"),
        make_image(seed=f"{seed}-arm64", architecture="arm64"),
    ]
    for image in images:
        push_image(client, name, image.digest, image)
    index = make_index(images)
    response = push_manifest(client, name, tag, index, json.loads(index)["mediaType"])
    assert response.status_code == 201, response.content
    return response["Docker-Content-Digest"], images


@dataclass
class Pushed:
    """What push_repository put in one repository: the image by tag, and the digests of the rest."""

    images: dict[str, Image] = field(default_factory=dict)
    referrers: dict[str, str] = field(default_factory=dict)
    index: str = ""
    children: list[Image] = field(default_factory=list)


def push_app(client: Client, name: str, *, seed: str) -> Pushed:
    """An image tagged `1.0` and `latest`, with an SBOM and a cosign signature as referrers."""
    image = make_image(seed=seed, layer_count=2, layer_size=64 * 1024)
    push_image(client, name, "1.0", image)
    push_manifest(client, name, "latest", image.manifest, image.media_type)
    pushed = Pushed(images={"1.0": image, "latest": image})
    pushed.referrers["sbom"] = push_referrer(client, name, image, SPDX, b'{"spdxVersion": "SPDX-2.3"}')
    pushed.referrers["signature"] = push_referrer(client, name, image, COSIGN_SIGNATURE, b"signature")
    return pushed

"""Looking at a live registry over plain HTTP, to check what a client pushed digest by digest."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

import requests

from tests.support.oci import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, sha256

ACCEPT_ALL_MANIFESTS = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])
INDEX_TYPES = {OCI_INDEX, DOCKER_LIST}
GZIP_LAYER_SUFFIXES = ("tar+gzip", "tar.gzip")
# Seconds for one HTTP request to the live server.
REQUEST_TIMEOUT = 60


@dataclass(frozen=True)
class Manifest:
    payload: bytes
    digest: str  # Docker-Content-Digest as the registry sent it
    media_type: str  # Content-Type as the registry sent it

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.payload)


class RegistryHttp:
    """The registry's `/v2/` API with the admin's Basic credentials (harborpy accepts them directly)."""

    def __init__(self, base_url: str, credentials: tuple[str, str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = credentials

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return self.session.request(method, f"{self.base_url}{path}", **kwargs)

    def manifest(self, name: str, reference: str, accept: str = ACCEPT_ALL_MANIFESTS) -> Manifest:
        """GET a manifest; asserts 200 and that its bytes hash to the digest the registry announces."""
        response = self.request("GET", f"/v2/{name}/manifests/{reference}", headers={"Accept": accept})
        assert response.status_code == 200, f"GET {name}:{reference}: {response.status_code} {response.text}"
        manifest = Manifest(
            payload=response.content,
            digest=response.headers["Docker-Content-Digest"],
            media_type=response.headers["Content-Type"],
        )
        assert sha256(manifest.payload) == manifest.digest, f"{name}:{reference} does not hash to its digest"
        return manifest

    def manifest_status(self, name: str, reference: str) -> int:
        headers = {"Accept": ACCEPT_ALL_MANIFESTS}
        response = self.request("HEAD", f"/v2/{name}/manifests/{reference}", headers=headers)
        return response.status_code

    def blob(self, name: str, digest: str) -> bytes:
        """GET a blob; asserts 200 and that its bytes hash to `digest`."""
        response = self.request("GET", f"/v2/{name}/blobs/{digest}")
        assert response.status_code == 200, f"GET blob {digest}: {response.status_code} {response.text}"
        assert sha256(response.content) == digest, f"blob {name}@{digest} does not hash to its digest"
        return response.content

    def tags(self, name: str) -> list[str]:
        response = self.request("GET", f"/v2/{name}/tags/list")
        assert response.status_code == 200, f"GET tags of {name}: {response.status_code} {response.text}"
        return response.json()["tags"]

    def referrers(self, name: str, digest: str) -> dict[str, Any]:
        response = self.request("GET", f"/v2/{name}/referrers/{digest}")
        assert response.status_code == 200, f"GET referrers: {response.status_code} {response.text}"
        assert response.headers["Content-Type"] == OCI_INDEX
        return response.json()

    def delete_manifest(self, name: str, reference: str) -> requests.Response:
        return self.request("DELETE", f"/v2/{name}/manifests/{reference}")

    def image_check(self, name: str, reference: str) -> Manifest:
        """Fetch an image or index and every blob below it, checking each against its descriptor.

        Every blob must hash to its digest and have the declared size; every gzip'd layer must
        decompress to the diff_id its config lists. Returns the top manifest.
        """
        manifest = self.manifest(name, reference)
        document = manifest.document
        if manifest.media_type in INDEX_TYPES:
            for child in document["manifests"]:
                child_manifest = self.image_check(name, child["digest"])
                assert child_manifest.digest == child["digest"]
                assert len(child_manifest.payload) == child["size"]
                assert child_manifest.media_type == child["mediaType"]
            return manifest
        config_descriptor = document["config"]
        config = self.blob(name, config_descriptor["digest"])
        assert len(config) == config_descriptor["size"]
        diff_ids = json.loads(config).get("rootfs", {}).get("diff_ids")
        for i, layer in enumerate(document["layers"]):
            data = self.blob(name, layer["digest"])
            assert len(data) == layer["size"], f"layer {i} has {len(data)} bytes, not {layer['size']}"
            if diff_ids is not None and layer["mediaType"].endswith(GZIP_LAYER_SUFFIXES):
                assert sha256(gzip.decompress(data)) == diff_ids[i], f"layer {i} does not match its diff_id"
        return manifest

"""oras (the Python SDK) against a live harborpy: artifacts with files, and referrers with a subject."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.support.oci import OCI_MANIFEST, sha256

pytestmark = pytest.mark.e2e

EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2}
CONFIG_TYPE = "application/vnd.harborpy.e2e.bundle.config.v1+json"
FILE_TYPE = "application/vnd.harborpy.e2e.file.v1"
SBOM_TYPE = "application/vnd.harborpy.e2e.sbom.v1+json"
SIGNATURE_TYPE = "application/vnd.harborpy.e2e.signature.v1"
# A file sent in many uneven chunks (the last one short).
CHUNK_BYTES = 256 * 1024 + 7
CHUNKED_FILE_BYTES = 20 * CHUNK_BYTES + 1000


def _write_files(directory: Path) -> dict[str, bytes]:
    directory.mkdir()
    files = {
        "readme.txt": b"harborpy e2e artifact\n",
        "data.bin": os.urandom(700_000),
        "empty.dat": b"",
    }
    for name, content in files.items():
        (directory / name).write_bytes(content)
    return files


def _push_bundle(oras_client, target: str, directory: Path) -> tuple[dict[str, bytes], str]:
    """Push three files and a config of a custom media type; returns the files and the manifest digest."""
    files = _write_files(directory)
    config = directory.parent / "config.json"
    config.write_text(json.dumps({"purpose": "e2e"}))
    response = oras_client.push(
        target=target,
        files=[f"{directory / name}:{FILE_TYPE}" for name in files],
        manifest_config=f"{config}:{CONFIG_TYPE}",
        manifest_annotations={"org.opencontainers.image.title": "e2e bundle"},
        disable_path_validation=True,
        quiet=True,
    )
    assert response.status_code == 201, response.text
    return files, response.headers["Docker-Content-Digest"]


def _push_referrer(
    oras_client, live_registry, repository: str, subject: dict, artifact_type: str, tmp_path: Path
):
    """Push an OCI 1.1 referrer (artifactType, empty config, one layer, subject); returns its digest."""
    container = oras_client.get_container(f"{live_registry.host}/{repository}")
    payload = tmp_path / f"{hashlib.sha1(artifact_type.encode()).hexdigest()}.json"
    payload.write_text(json.dumps({"about": subject["digest"], "type": artifact_type}))
    layer = {
        "mediaType": artifact_type,
        "digest": sha256(payload.read_bytes()),
        "size": payload.stat().st_size,
    }
    empty = tmp_path / "empty-config.json"
    empty.write_bytes(b"{}")
    for path, descriptor in ((payload, layer), (empty, EMPTY_CONFIG)):
        response = oras_client.upload_blob(str(path), container, descriptor)
        assert response.status_code in {200, 201}, response.text
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": EMPTY_CONFIG,
        "layers": [layer],
        "subject": subject,
        "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
    }
    payload_bytes = json.dumps(manifest).encode()
    digest = sha256(payload_bytes)
    # By digest, untagged, as `oras attach` does.
    response = oras_client.do_request(
        f"http://{live_registry.host}/v2/{repository}/manifests/{digest}",
        "PUT",
        data=payload_bytes,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 201, response.text
    assert response.headers["Docker-Content-Digest"] == digest
    assert response.headers.get("OCI-Subject") == subject["digest"]
    return digest


def test_oras_pushes_and_pulls_an_artifact_with_its_files(
    oras_client, live_registry, registry_http, repository, tmp_path
):
    target = f"{live_registry.host}/{repository}:bundle"

    files, digest = _push_bundle(oras_client, target, tmp_path / "in")
    pulled = oras_client.pull(target=target, outdir=str(tmp_path / "out"))

    assert sorted(Path(path).name for path in pulled) == sorted(files)
    for name, content in files.items():
        assert (tmp_path / "out" / name).read_bytes() == content
    manifest = registry_http.image_check(repository, "bundle")
    assert manifest.digest == digest
    document = manifest.document
    assert document["config"]["mediaType"] == CONFIG_TYPE
    assert {
        layer["annotations"]["org.opencontainers.image.title"]: layer["digest"]
        for layer in document["layers"]
    } == {name: sha256(content) for name, content in files.items()}
    assert all(layer["mediaType"] == FILE_TYPE for layer in document["layers"])


def test_referrers_api_lists_oras_referrers_with_their_artifact_types(
    oras_client, live_registry, registry_http, repository, tmp_path
):
    _files, subject_digest = _push_bundle(
        oras_client, f"{live_registry.host}/{repository}:bundle", tmp_path / "in"
    )
    subject_payload = registry_http.manifest(repository, subject_digest).payload
    subject = {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": len(subject_payload)}

    sbom = _push_referrer(oras_client, live_registry, repository, subject, SBOM_TYPE, tmp_path)
    signature = _push_referrer(oras_client, live_registry, repository, subject, SIGNATURE_TYPE, tmp_path)

    listed = registry_http.referrers(repository, subject_digest)
    assert {(d["digest"], d["artifactType"]) for d in listed["manifests"]} == {
        (sbom, SBOM_TYPE),
        (signature, SIGNATURE_TYPE),
    }
    for descriptor in listed["manifests"]:
        payload = registry_http.manifest(repository, descriptor["digest"]).payload
        assert descriptor["size"] == len(payload)
        assert descriptor["mediaType"] == OCI_MANIFEST
        assert json.loads(payload)["subject"] == subject
    filtered = registry_http.request(
        "GET", f"/v2/{repository}/referrers/{subject_digest}", params={"artifactType": SBOM_TYPE}
    )
    assert [d["digest"] for d in filtered.json()["manifests"]] == [sbom]
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert registry_http.referrers(repository, sbom)["manifests"] == []


def test_oras_chunked_upload_resumes_the_digest_across_requests(
    oras_client, live_registry, registry_http, repository, tmp_path
):
    # Many PATCH requests with Content-Range, spread over both gunicorn workers: the running
    # hash must be carried from request to request through the database.
    data = os.urandom(CHUNKED_FILE_BYTES)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "large.bin").write_bytes(data)
    target = f"{live_registry.host}/{repository}:chunked"

    response = oras_client.push(
        target=target,
        files=[f"{tmp_path / 'in' / 'large.bin'}:{FILE_TYPE}"],
        disable_path_validation=True,
        do_chunked=True,
        chunk_size=CHUNK_BYTES,
        quiet=True,
    )
    oras_client.pull(target=target, outdir=str(tmp_path / "out"))

    assert response.status_code == 201, response.text
    assert (tmp_path / "out" / "large.bin").read_bytes() == data
    layer = registry_http.image_check(repository, "chunked").document["layers"][0]
    assert layer["digest"] == sha256(data)
    assert registry_http.blob(repository, sha256(data)) == data

from __future__ import annotations

import json

import pytest

from images import media_types as mt
from images.errors import ManifestInvalid
from images.manifests import parse_manifest
from tests.support.oci import sha256

CONFIG = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"c"), "size": 1}


def doc(**fields) -> bytes:
    return json.dumps({"schemaVersion": 2, **fields}).encode()


def test_media_type_comes_from_the_document_when_content_type_is_generic():
    parsed = parse_manifest("application/json", doc(mediaType=mt.DOCKER_MANIFEST, config=CONFIG, layers=[]))

    assert parsed.media_type == mt.DOCKER_MANIFEST


def test_media_type_is_inferred_when_absent():
    assert parse_manifest("", doc(config=CONFIG)).media_type == mt.OCI_MANIFEST
    assert parse_manifest("", doc(manifests=[])).media_type == mt.OCI_INDEX


def test_content_type_parameters_are_ignored():
    parsed = parse_manifest(f"{mt.OCI_MANIFEST}; charset=utf-8", doc(config=CONFIG))

    assert parsed.media_type == mt.OCI_MANIFEST


def test_artifact_type_falls_back_to_the_config_media_type():
    assert parse_manifest(mt.OCI_MANIFEST, doc(config=CONFIG)).effective_artifact_type == CONFIG["mediaType"]
    assert (
        parse_manifest(mt.OCI_MANIFEST, doc(config=CONFIG, artifactType="x/y")).effective_artifact_type
        == "x/y"
    )


def test_empty_descriptor_and_foreign_layers_are_not_required():
    empty = {"mediaType": mt.OCI_EMPTY, "digest": sha256(b"{}"), "size": 2}
    foreign = {
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "digest": sha256(b"f"),
        "size": 1,
    }
    layer = {"mediaType": "application/octet-stream", "digest": sha256(b"l"), "size": 1}

    parsed = parse_manifest(mt.OCI_MANIFEST, doc(config=empty, layers=[foreign, layer]))

    assert [d.digest for d in parsed.required_blobs()] == [sha256(b"l")]


@pytest.mark.parametrize(
    "payload",
    [
        doc(config=CONFIG, annotations={"a": 1}),
        doc(config={**CONFIG, "size": True}),
        doc(config={**CONFIG, "urls": "http://x"}),
        doc(config=CONFIG, subject="sha256:abc"),
        doc(config=CONFIG, artifactType=5),
        doc(config=CONFIG, mediaType=7),
        json.dumps({"schemaVersion": 3, "config": CONFIG}).encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_documents_are_invalid(payload):
    with pytest.raises(ManifestInvalid):
        parse_manifest(mt.OCI_MANIFEST, payload)

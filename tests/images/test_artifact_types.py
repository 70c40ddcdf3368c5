"""Harbor's artifact types and media types: the Python derivation and the SQL filter agree."""

from __future__ import annotations

import pytest

from images.artifact_types import (
    accessory_type_of,
    artifact_type_condition,
    artifact_type_of,
    harbor_media_type,
    harbor_media_type_expression,
)
from images.models import Artifact
from tests.factories import ArtifactFactory, RepositoryFactory

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

# (manifest media type, config media type, annotations) -> Harbor's media type and type
CASES = [
    (OCI_MANIFEST, "application/vnd.oci.image.config.v1+json", {}, "IMAGE"),
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.container.image.v1+json",
        {},
        "IMAGE",
    ),
    (OCI_INDEX, "", {}, "IMAGE"),
    (OCI_INDEX, "", {"org.opencontainers.artifactType": "application/vnd.cnab.manifest.v1"}, "CNAB"),
    (OCI_MANIFEST, "application/vnd.cncf.helm.config.v1+json", {}, "CHART"),
    (OCI_MANIFEST, "application/vnd.wasm.config.v1+json", {}, "WASM"),
    (OCI_MANIFEST, "application/vnd.caicloud.model.config.v1alpha1+json", {}, "MODEL"),
    (OCI_MANIFEST, "application/vnd.oci.empty.v1+json", {}, "UNKNOWN"),
    (OCI_MANIFEST, "text/plain", {}, "UNKNOWN"),
]


@pytest.mark.parametrize(("media_type", "config", "annotations", "expected"), CASES)
def test_type_of_an_artifact(media_type, config, annotations, expected):
    harbor = harbor_media_type(media_type=media_type, config_media_type=config, annotations=annotations)

    assert artifact_type_of(harbor) == expected


def test_an_index_names_its_own_media_type_unless_annotated():
    assert harbor_media_type(media_type=OCI_INDEX, config_media_type="", annotations={}) == OCI_INDEX


@pytest.mark.parametrize(
    ("artifact_type", "expected"),
    [
        ("application/vnd.dev.cosign.artifact.sig.v1+json", "signature.cosign"),
        ("application/vnd.cncf.notary.signature", "signature.notation"),
        ("application/spdx+json", "subject.accessory"),
    ],
)
def test_accessory_types(artifact_type, expected):
    assert accessory_type_of(artifact_type) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("type_name", sorted({case[3] for case in CASES} | {"NOTHING"}))
def test_the_sql_condition_selects_the_artifacts_of_that_type(type_name):
    repository = RepositoryFactory()
    expected = set()
    for media_type, config, annotated, kind in CASES:
        artifact = ArtifactFactory(
            repository=repository, media_type=media_type, config_media_type=config, annotations=annotated
        )
        if kind == type_name:
            expected.add(artifact.pk)

    selected = (
        Artifact.objects.annotate(harbor=harbor_media_type_expression())
        .filter(artifact_type_condition(type_name, "harbor"))
        .values_list("pk", flat=True)
    )

    assert set(selected) == expected
